import { now } from "@/lib/clock";
import { exportContact } from "@/lib/server/consent/gdpr";
import { ApiError, apiRoute, json, uuidParam } from "@/lib/server/api/handler";

type Params = { id: string };

/** GET /api/v1/contacts/{id}/export: everything held about the contact (a data-subject access request). */
export const GET = apiRoute<Params>(async (_req, ctx, p) => {
  const contactId = uuidParam(p.id, "contact");
  const data = await exportContact(ctx.db, { workspaceId: ctx.workspaceId, contactId, at: now() });
  if (!data) throw new ApiError("not_found", "contact not found");
  await ctx.audit("contact.exported", "contact", contactId);
  return json(200, { data });
});
