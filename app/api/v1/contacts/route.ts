import { z } from "zod";
import { ContactExistsError, createContact, getContact, listContacts } from "@/db/queries/contacts";
import { suppressionsFor } from "@/db/queries/suppressions";
import { now } from "@/lib/clock";
import { recordOptInAndConfirm } from "@/lib/server/consent/confirmation";
import { configuredTransport } from "@/lib/server/email/transport";
import { contactCreate } from "@/lib/api/contacts";
import { keysetCursor } from "@/lib/api/cursor";
import { ApiError, apiRoute, body, json } from "@/lib/server/api/handler";
import { presentContact } from "@/lib/api/present";
import { contactCreatedEvent, emit, outboxEmitter } from "@/inngest/emit";

const listQuery = z.object({
  limit: z.coerce.number().int().min(1, "limit must be 1 to 200").max(200, "limit must be 1 to 200").default(50),
  search: z.string().max(200).optional(),
  cursor: keysetCursor.optional(),
});

export const GET = apiRoute(async (req, ctx) => {
  const q = listQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw new ApiError("validation_failed", q.error.issues[0]!.message, String(q.error.issues[0]!.path[0]));
  const cursor = q.data.cursor;
  const page = await listContacts(ctx.db, {
    workspaceId: ctx.workspaceId,
    search: q.data.search,
    limit: q.data.limit,
    after: cursor ? { createdAt: cursor.at, id: cursor.id } : undefined,
  });
  const full = await Promise.all(page.rows.map((r) => getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: r.id })));
  const last = page.rows.at(-1);
  return json(200, {
    data: full.filter((c) => c !== undefined).map(presentContact),
    next_cursor: page.hasMore && last ? `${last.cursorAt}_${last.id}` : null,
  });
});

export const POST = apiRoute(async (req, ctx) => {
  const input = await body(req, contactCreate);
  // An address erased at the person's request is not re-added behind their back.
  const suppressed = (await suppressionsFor(ctx.db, { workspaceId: ctx.workspaceId, emails: [input.email] })).get(input.email.trim().toLowerCase());
  if (suppressed === "erased") {
    throw new ApiError("conflict", "this address was erased at the person's request: it can only come back through their own signup", "email");
  }
  try {
    const { id } = await createContact(ctx.db, {
      workspaceId: ctx.workspaceId,
      email: input.email,
      firstName: input.first_name ?? null,
      lastName: input.last_name ?? null,
      timeZone: input.time_zone ?? null,
      externalId: input.external_id ?? null,
      attributes: input.attributes ?? {},
      source: "api",
    });
    await ctx.audit("contact.created", "contact", id);
    // The contact and its opt-in are committed before the confirmation mail is tried: a mail that
    // cannot go out now is retried in the background and never fails the request (a client's retry
    // would only meet a conflict).
    let confirmation: "sent" | "queued" | "not_sent" | null = null;
    if (input.consent) {
      ({ confirmation } = await recordOptInAndConfirm(ctx.db, configuredTransport(ctx.db), outboxEmitter(ctx.db), {
        workspaceId: ctx.workspaceId,
        contactId: id,
        email: input.email,
        source: "api",
        wording: input.consent.wording ?? null,
        ip: input.consent.ip ?? null,
        userAgent: input.consent.user_agent ?? null,
        topics: input.consent.topics,
        data: input.consent.source_description ? { source_description: input.consent.source_description, api_key_id: ctx.apiKeyId } : { api_key_id: ctx.apiKeyId },
        at: now(),
      }));
    }
    await emit(ctx.db, [contactCreatedEvent(ctx.workspaceId, id, "api")]);
    return json(201, { data: { ...presentContact((await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: id }))!), confirmation_mail: confirmation } });
  } catch (err) {
    if (err instanceof ContactExistsError) throw new ApiError("conflict", err.message, "email");
    throw err;
  }
});
