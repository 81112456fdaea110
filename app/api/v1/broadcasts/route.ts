import { z } from "zod";
import { listBroadcasts } from "@/db/queries/broadcasts";
import { applyPatch, broadcastCreate, presentBroadcast } from "@/lib/api/broadcasts";
import { ApiError, apiRoute, body, json } from "@/lib/server/api/handler";
import { createDraft } from "@/lib/server/broadcasts/broadcasts";
import { apiRefusals, broadcastBody } from "@/lib/server/broadcasts/api";

const listQuery = z.object({
  limit: z.coerce.number().int().min(1, "limit must be 1 to 200").max(200, "limit must be 1 to 200").default(50),
});

/** The workspace's broadcasts, newest first. */
export const GET = apiRoute(async (req, ctx) => {
  const q = listQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!q.success) throw new ApiError("validation_failed", q.error.issues[0]!.message, String(q.error.issues[0]!.path[0]));
  const rows = await listBroadcasts(ctx.db, { workspaceId: ctx.workspaceId, limit: q.data.limit });
  return json(200, { data: rows.map((b) => ({ ...presentBroadcast(b), handed_off: b.handedOff })) });
});

/** A new draft. */
export const POST = apiRoute(async (req, ctx) => {
  const input = await body(req, broadcastCreate);
  const draft = applyPatch({ name: input.name, templateId: null, subject: null, preheader: null, fromName: null, fromEmail: null, replyTo: null, utm: null, audience: null, bypassCaps: false }, input);
  const { id } = await apiRefusals(() => createDraft(ctx.db, { workspaceId: ctx.workspaceId, actor: { apiKeyId: ctx.apiKeyId }, draft }));
  return json(201, { data: await broadcastBody(ctx, id) });
});
