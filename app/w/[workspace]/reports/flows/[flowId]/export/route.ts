import { getDb } from "@/db/client";
import { csvResponse, exportMember, rangeOf, UUID } from "@/app/w/[workspace]/reports/_lib/export";
import { flowCsv, flowData } from "@/lib/server/reports/reports";

/** CSV of one flow's report; another workspace's flow is a 404. */
export async function GET(req: Request, ctx: { params: Promise<{ workspace: string; flowId: string }> }) {
  const { workspace, flowId } = await ctx.params;
  const m = await exportMember(workspace);
  if ("response" in m) return m.response;
  if (!UUID.test(flowId)) return new Response("Not found\n", { status: 404 });
  const range = rangeOf(req.url);
  const d = await flowData(getDb(), m.workspaceId, flowId, range);
  if (!d) return new Response("Not found\n", { status: 404 });
  return csvResponse(flowCsv(d), `tillit-flow-${d.flow.name}-${range.from}-${range.to}.csv`);
}
