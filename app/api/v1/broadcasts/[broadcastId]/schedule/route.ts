import { broadcastSchedule } from "@/lib/api/broadcasts";
import { now } from "@/lib/clock";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";
import { schedule } from "@/lib/server/broadcasts/broadcasts";
import { apiRefusals, broadcastBody } from "@/lib/server/broadcasts/api";

/** Schedules a draft: `send_at` in the future, or now when absent; the template is pinned as it is now. */
export const POST = apiRoute<{ broadcastId: string }>(async (req, ctx, params) => {
  const broadcastId = uuidParam(params.broadcastId, "broadcast");
  // No body at all is "send now".
  const input = (await req.clone().text()).trim() === "" ? {} : await body(req, broadcastSchedule);
  const sendAt = input.send_at ? new Date(input.send_at) : null;
  const done = await apiRefusals(() => schedule(ctx.db, { workspaceId: ctx.workspaceId, broadcastId, actor: { apiKeyId: ctx.apiKeyId }, sendAt, now: now() }));
  if (!done) throw new ApiError("not_found", "broadcast not found");
  return json(200, { data: await broadcastBody(ctx, broadcastId) });
});
