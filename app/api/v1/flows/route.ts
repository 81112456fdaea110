import { listFlows } from "@/db/queries/flows";
import { apiRoute, json } from "@/lib/server/api/handler";

/** The workspace's flows, newest change first, with their status and how many contacts are in them. */
export const GET = apiRoute(async (_req, ctx) => {
  const rows = await listFlows(ctx.db, { workspaceId: ctx.workspaceId });
  return json(200, {
    data: rows.map((f) => ({ id: f.id, name: f.name, status: f.status, version: f.version ?? null, active_enrollments: f.active, updated_at: f.updatedAt.toISOString() })),
  });
});
