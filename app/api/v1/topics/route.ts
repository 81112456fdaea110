import { listTopics } from "@/db/queries/subscriptions";
import { apiRoute, json } from "@/lib/server/api/handler";

export const GET = apiRoute(async (_req, ctx) => {
  const rows = await listTopics(ctx.db, { workspaceId: ctx.workspaceId });
  return json(200, { data: rows.map((t) => ({ key: t.key, name: t.name, description: t.description })) });
});
