import Link from "next/link";
import { getDb } from "@/db/client";
import { listFlows } from "@/db/queries/flows";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { starterInfo, starterKeys } from "@/lib/flows/starters";
import { ActionForm } from "@/app/_components/action-form";
import { EmptyState } from "@/app/_components/empty-state";
import { button, input, label, secondaryButton } from "@/app/_components/styles";
import { createFlowAction, publishFlowAction } from "./actions";

export const metadata = { title: "Flows" };

const statusStyle: Record<string, string> = {
  draft: "bg-slate-100 text-slate-700",
  live: "bg-emerald-100 text-emerald-800",
  paused: "bg-amber-100 text-amber-800",
  archived: "bg-slate-200 text-slate-500",
};

export default async function FlowsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const flows = await listFlows(getDb(), { workspaceId: member.workspace.id });
  const publish = can(member.role, "flows.publish");
  const edit = can(member.role, "flows.edit");
  return (
    <>
      <h1 className="text-2xl font-semibold">Flows</h1>
      {flows.length === 0 ? (
        <EmptyState title="No flows yet">
          <p>A flow is a drip campaign drawn on a canvas: a trigger, waits, conditions and messages, run once for each contact who enters it.</p>
          <p>{edit ? "Start one below, from an empty canvas or one of the starters." : "An editor of this workspace can create the first one."}</p>
        </EmptyState>
      ) : (
        <table className="mt-4 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="flows-table">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Flow</th>
              <th className="px-4 py-2 font-medium">Status</th>
              <th className="px-4 py-2 font-medium">Version</th>
              <th className="px-4 py-2 text-right font-medium">In the flow now</th>
              <th className="px-4 py-2 text-right font-medium">Entered</th>
              <th className="px-4 py-2 text-right font-medium">Completed</th>
              <th className="px-4 py-2 text-right font-medium">Converted</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody>
            {flows.map((f) => (
              <tr key={f.id} className="border-t border-slate-100" data-testid={`flow-${f.name}`}>
                <td className="px-4 py-2 font-medium">
                  <Link href={`/w/${workspace}/flows/${f.id}`} className="text-brand-700 hover:underline">
                    {f.name}
                  </Link>
                </td>
                <td className="px-4 py-2">
                  <span className={`rounded px-2 py-0.5 text-xs font-medium ${statusStyle[f.status] ?? ""}`}>{f.status}</span>
                </td>
                <td className="px-4 py-2">{f.version ? `v${f.version}` : "draft only"}</td>
                <td className="px-4 py-2 text-right tabular-nums">{f.active}</td>
                <td className="px-4 py-2 text-right tabular-nums">{f.entered}</td>
                <td className="px-4 py-2 text-right tabular-nums">{f.completed}</td>
                <td className="px-4 py-2 text-right tabular-nums">
                  {f.converted}
                  {f.entered > 0 ? <span className="ml-1 text-xs text-slate-500">({Math.round((f.converted / f.entered) * 100)}%)</span> : null}
                </td>
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
      {edit ? (
        <section className="mt-8 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-lg font-semibold">New flow</h2>
          <ActionForm action={createFlowAction} workspace={workspace} testId="new-flow-form" className="mt-2 space-y-3">
            <label className={label}>
              Name
              <input name="name" required maxLength={200} className={input} placeholder="Abandoned cart" />
            </label>
            <fieldset>
              <legend className={label}>Start from</legend>
              <div className="mt-1 grid gap-2 sm:grid-cols-3">
                {starterKeys.map((k, i) => (
                  <label key={k} className="flex cursor-pointer gap-2 rounded-md border border-slate-200 p-2 text-sm has-[:checked]:border-brand-500 has-[:checked]:bg-brand-50">
                    <input type="radio" name="starter" value={k} defaultChecked={i === 0} />
                    <span>
                      <span className="block font-medium">{starterInfo(k).title}</span>
                      <span className="block text-xs text-slate-600">{starterInfo(k).description}</span>
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
            <button type="submit" className={button}>Create flow</button>
          </ActionForm>
        </section>
      ) : null}
    </>
  );
}
