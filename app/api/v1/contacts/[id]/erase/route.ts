import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { eraseContact } from "@/lib/server/consent/gdpr";
import { ApiError, apiRoute, json, uuidParam } from "@/lib/server/api/handler";

type Params = { id: string };

/**
 * POST /api/v1/contacts/{id}/erase: erases the contact's personal data (right to erasure). The
 * address stays only as an HMAC in suppressions, so it is flagged if it comes back.
 */
export const POST = apiRoute<Params>(async (_req, ctx, p) => {
  const contactId = uuidParam(p.id, "contact");
  const r = await eraseContact(ctx.db, { workspaceId: ctx.workspaceId, contactId, at: now(), emit: outboxEmitter(ctx.db) });
  if (!r) throw new ApiError("not_found", "contact not found");
  if (!r.alreadyErased) await ctx.audit("contact.erased", "contact", contactId, { endedEnrollments: r.endedEnrollments });
  return json(200, { data: { id: contactId, status: "erased", already_erased: r.alreadyErased } });
});
