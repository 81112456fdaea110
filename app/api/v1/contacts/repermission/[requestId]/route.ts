import { getRepermissionRequest, repermissionCounts } from "@/db/queries/repermission";
import { presentRepermission } from "@/lib/api/present";
import { ApiError, apiRoute, json, uuidParam } from "@/lib/server/api/handler";

/** GET /api/v1/contacts/repermission/{id}: a re-permission request and its counts. */
export const GET = apiRoute<{ requestId: string }>(async (_req, ctx, params) => {
  const requestId = uuidParam(params.requestId, "re-permission request");
  const request = await getRepermissionRequest(ctx.db, { workspaceId: ctx.workspaceId, requestId });
  if (!request) throw new ApiError("not_found", "re-permission request not found");
  return json(200, { data: presentRepermission(request, await repermissionCounts(ctx.db, { workspaceId: ctx.workspaceId, requestId })) });
});
