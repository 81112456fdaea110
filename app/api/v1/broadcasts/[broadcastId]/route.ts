import { getBroadcast } from "@/db/queries/broadcasts";
import { applyPatch, broadcastPatch } from "@/lib/api/broadcasts";
import { storedDraft } from "@/lib/broadcasts/draft";
import { now } from "@/lib/clock";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";
import { removeDraft, saveDraft } from "@/lib/server/broadcasts/broadcasts";
import { apiRefusals, broadcastBody } from "@/lib/server/broadcasts/api";

type Params = { broadcastId: string };

/** One broadcast, with its progress once it is scheduled. */
export const GET = apiRoute<Params>(async (_req, ctx, params) => {
  const broadcastId = uuidParam(params.broadcastId, "broadcast");
  return json(200, { data: await broadcastBody(ctx, broadcastId) });
});

/** Changes the fields given; only a draft (409 otherwise). */
export const PATCH = apiRoute<Params>(async (req, ctx, params) => {
  const broadcastId = uuidParam(params.broadcastId, "broadcast");
  const input = await body(req, broadcastPatch);
  const current = await getBroadcast(ctx.db, { workspaceId: ctx.workspaceId, broadcastId });
  if (!current) throw new ApiError("not_found", "broadcast not found");
  const draft = applyPatch(storedDraft(current), input);
  const saved = await apiRefusals(() => saveDraft(ctx.db, { workspaceId: ctx.workspaceId, broadcastId, actor: { apiKeyId: ctx.apiKeyId }, draft, at: now() }));
  if (!saved) throw new ApiError("not_found", "broadcast not found");
  return json(200, { data: await broadcastBody(ctx, broadcastId) });
});

/** Deletes a draft (409 for anything else: cancel it instead). */
export const DELETE = apiRoute<Params>(async (_req, ctx, params) => {
  const broadcastId = uuidParam(params.broadcastId, "broadcast");
  const gone = await apiRefusals(() => removeDraft(ctx.db, { workspaceId: ctx.workspaceId, broadcastId, actor: { apiKeyId: ctx.apiKeyId } }));
  if (!gone) throw new ApiError("not_found", "broadcast not found");
  return new Response(null, { status: 204 });
});
