import { z } from "zod";
import { listContactEvents } from "@/db/queries/contact-events";
import { getContact } from "@/db/queries/contacts";
import { keysetCursor } from "@/lib/api/cursor";
import { ApiError, apiRoute, json, uuidParam } from "@/lib/server/api/handler";

type Params = { id: string };

const query = z.object({
  limit: z.coerce.number().int().min(1, "limit must be 1 to 200").max(200, "limit must be 1 to 200").default(50),
  name: z.string().max(200).optional(),
  cursor: keysetCursor.optional(),
});

/** The contact's tracked events, newest first. */
export const GET = apiRoute<Params>(async (req, ctx, p) => {
  const c = await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(p.id, "contact") });
  if (!c) throw new ApiError("not_found", "contact not found");
  const q = query.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw new ApiError("validation_failed", q.error.issues[0]!.message, String(q.error.issues[0]!.path[0]));
  const cursor = q.data.cursor;
  const page = await listContactEvents(ctx.db, {
    workspaceId: ctx.workspaceId,
    contactId: c.id,
    limit: q.data.limit,
    name: q.data.name,
    before: cursor ? { occurredAt: cursor.at, id: cursor.id } : undefined,
  });
  const last = page.rows.at(-1);
  return json(200, {
    data: page.rows.map((r) => ({ id: r.id, name: r.name, type: r.type, properties: r.properties, timestamp: r.occurredAt.toISOString(), source: r.source })),
    next_cursor: page.hasMore && last ? `${last.cursorAt}_${last.id}` : null,
  });
});
