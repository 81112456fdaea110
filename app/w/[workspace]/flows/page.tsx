import Link from "next/link";
import { getDb } from "@/db/client";
import { listFlows } from "@/db/queries/flows";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { starterInfo, starterKeys } from "@/lib/flows/starters";
import { ActionForm } from "@/app/_components/action-form";
import { EmptyState } from "@/app/_components/empty-state";
import { button, input, label, secondaryButton } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";
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
      <Table
        caption="Flows"
        testId="flows-table"
        className="mt-4"
        rows={flows}
        rowKey={(f) => f.id}
        rowTestId={(f) => `flow-${f.name}`}
        empty={
          <EmptyState title="No flows yet">
            <p>A flow is a drip campaign drawn on a canvas: a trigger, waits, conditions and messages, run once for each contact who enters it.</p>
            <p>{edit ? "Start one below, from an empty canvas or one of the starters." : "An editor of this workspace can create the first one."}</p>
          </EmptyState>
        }
        columns={[
          {
            header: "Flow",
            className: "font-medium",
            cell: (f) => (
              <Link href={`/w/${workspace}/flows/${f.id}`} className="text-brand-700 hover:underline">
                {f.name}
              </Link>
            ),
          },
          { header: "Status", cell: (f) => <span className={`rounded px-2 py-0.5 text-xs font-medium ${statusStyle[f.status] ?? ""}`}>{f.status}</span> },
          { header: "Version", cell: (f) => (f.version ? `v${f.version}` : "draft only") },
          { header: "In the flow now", align: "end", cell: (f) => f.active },
          { header: "Entered", align: "end", cell: (f) => f.entered },
          { header: "Completed", align: "end", cell: (f) => f.completed },
          {
            header: "Converted",
            align: "end",
            cell: (f) => (
              <>
                {f.converted}
                {f.entered > 0 ? <span className="ml-1 text-xs text-slate-500">({Math.round((f.converted / f.entered) * 100)}%)</span> : null}
              </>
            ),
          },
          {
            header: "Actions",
            hideHeader: true,
            align: "end",
            cell: (f) =>
              publish ? (
                <ActionForm action={publishFlowAction} workspace={workspace} className="inline">
                  <input type="hidden" name="flowId" value={f.id} />
                  <button type="submit" className={secondaryButton}>Publish draft</button>
                </ActionForm>
              ) : null,
          },
        ]}
      />
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
