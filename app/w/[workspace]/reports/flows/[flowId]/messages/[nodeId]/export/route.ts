import { getDb } from "@/db/client";
import { csvResponse, exportMember, NODE_ID, rangeOf, UUID } from "@/app/w/[workspace]/reports/_lib/export";
import { messageCsv, messageData } from "@/lib/server/reports/reports";

/** CSV of one message's report (a flow's send node); another workspace's flow is a 404. */
export async function GET(req: Request, ctx: { params: Promise<{ workspace: string; flowId: string; nodeId: string }> }) {
  const { workspace, flowId, nodeId } = await ctx.params;
  const m = await exportMember(workspace);
  if ("response" in m) return m.response;
  if (!UUID.test(flowId) || !NODE_ID.test(nodeId)) return new Response("Not found\n", { status: 404 });
  const range = rangeOf(req.url);
  const d = await messageData(getDb(), m.workspaceId, flowId, nodeId, range);
  if (!d) return new Response("Not found\n", { status: 404 });
  return csvResponse(messageCsv(d, nodeId), `tillit-message-${d.flow.name}-${nodeId}-${range.from}-${range.to}.csv`);
}
