import "server-only";
import { getBroadcast } from "@/db/queries/broadcasts";
import { broadcastProgress } from "@/db/queries/broadcast-audience";
import { apiField, presentBroadcast } from "@/lib/api/broadcasts";
import { now } from "@/lib/clock";
import { ApiError, apiRoute, json, uuidParam, type ApiContext } from "@/lib/server/api/handler";
import { BroadcastInputError, BroadcastStateError, transition } from "./broadcasts";

/** The shared operations' refusals as the REST API answers them: 400 naming the field, 409 for a move the status does not allow. */
export async function apiRefusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BroadcastInputError) {
      const field = apiField(err.field);
      throw new ApiError("validation_failed", `${field}: ${err.message}`, field);
    }
    if (err instanceof BroadcastStateError) throw new ApiError("conflict", err.message, "status");
    throw err;
  }
}

/** The broadcast as the API shows it, with its progress once it has left the draft stage. */
export async function broadcastBody(ctx: ApiContext, broadcastId: string) {
  const b = await getBroadcast(ctx.db, { workspaceId: ctx.workspaceId, broadcastId });
  if (!b) throw new ApiError("not_found", "broadcast not found");
  const progress = b.status === "draft" ? null : await broadcastProgress(ctx.db, { workspaceId: ctx.workspaceId, broadcastId });
  return { ...presentBroadcast(b), progress };
}

/** POST …/cancel, …/pause, …/resume: no body; answers with the broadcast as it is now. */
export function transitionRoute(kind: "cancel" | "pause" | "resume") {
  return apiRoute<{ broadcastId: string }>(async (_req, ctx, params) => {
    const broadcastId = uuidParam(params.broadcastId, "broadcast");
    const done = await apiRefusals(() => transition(ctx.db, kind, { workspaceId: ctx.workspaceId, broadcastId, actor: { apiKeyId: ctx.apiKeyId }, now: now() }));
    if (!done) throw new ApiError("not_found", "broadcast not found");
    return json(200, { data: await broadcastBody(ctx, broadcastId) });
  });
}
