import { getDb } from "@/db/client";
import { csvResponse, exportMember, rangeOf } from "../_lib/export";
import { dashboardCsv, dashboardData } from "@/lib/server/reports/reports";

/** CSV of the workspace dashboard for the range in the query (range=30d or from/to). */
export async function GET(req: Request, ctx: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await ctx.params;
  const m = await exportMember(workspace);
  if ("response" in m) return m.response;
  const range = rangeOf(req.url);
  return csvResponse(dashboardCsv(await dashboardData(getDb(), m.workspaceId, range)), `tillit-dashboard-${range.from}-${range.to}.csv`);
}
