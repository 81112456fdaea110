import { getDb } from "../../../../db/client";
import { listFlows } from "../../../../db/queries/flows";
import { requireMember } from "../../../../lib/auth/member";
import { can } from "../../../../lib/auth/permissions";
import { ActionForm } from "../../../_components/action-form";
import { EmptyState } from "../../../_components/empty-state";
import { secondaryButton } from "../../../_components/styles";
import { publishFlowAction } from "./actions";

export const metadata = { title: "Flows" };

export default async function FlowsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const flows = await listFlows(getDb(), { workspaceId: member.workspace.id });
  const publish = can(member.role, "flows.publish");
  return (
    <>
      <h1 className="text-2xl font-semibold">Flows</h1>
      {flows.length === 0 ? (
        <EmptyState title="No flows yet">
          <p>A flow is a drip campaign drawn on a canvas: a trigger, waits, conditions and messages, run once for each contact who enters it.</p>
          <p>The flow editor is on its way. Once it lands, start here with “New flow”.</p>
        </EmptyState>
      ) : (
        <table className="mt-4 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="flows-table">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Flow</th>
              <th className="px-4 py-2 font-medium">Status</th>
              <th className="px-4 py-2 font-medium">Version</th>
              <th className="px-4 py-2 font-medium">In the flow now</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody>
            {flows.map((f) => (
              <tr key={f.id} className="border-t border-slate-100" data-testid={`flow-${f.name}`}>
                <td className="px-4 py-2 font-medium">{f.name}</td>
                <td className="px-4 py-2">{f.status}</td>
                <td className="px-4 py-2">{f.version ? `v${f.version}` : "draft only"}</td>
                <td className="px-4 py-2">{f.active}</td>
                <td className="px-4 py-2 text-right">
                  {publish ? (
                    <ActionForm action={publishFlowAction} workspace={workspace} className="inline">
                      <input type="hidden" name="flowId" value={f.id} />
                      <button type="submit" className={secondaryButton}>Publish draft</button>
                    </ActionForm>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
