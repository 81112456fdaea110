import Link from "next/link";
import { z } from "zod";
import { failedRunCounts, listFailedRuns } from "@/db/queries/failed-runs";
import { listFlowVersions } from "@/db/queries/flow-versions";
import { can } from "@/lib/auth/permissions";
import { graphNodeNames } from "@/lib/flows/node-labels";
import { EmptyState } from "@/app/_components/empty-state";
import { OutcomeForm, OutcomeRegion } from "@/app/_components/outcome-form";
import { button, secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { Table } from "@/app/_components/ui/table";
import { exitFailedRunsAction, retryFailedRunsAction } from "./actions";
import { flowPage } from "../flow-page";

export const metadata = { title: "Failed runs" };

const query = z.object({
  node: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional()
    .catch(undefined),
});
const LIMIT = 200;

function formatter(timeZone: string) {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" });
  } catch {
    return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" });
  }
}

/**
 * A flow's failed runs (docs/flows.md, "When a run fails"): who stopped where and why, with
 * "Retry from this node" and "Exit" per contact and "Retry all" (per node too) for editors.
 * The canvas's red "failed" chips link here, filtered to their node (`?node=`).
 */
export default async function FailedRunsPage(props: {
  params: Promise<{ workspace: string; flowId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { workspace, flowId, member, db, workspaceId, flow } = await flowPage(props.params);
  const q = query.parse(await props.searchParams);
  const [counts, runs, versions] = await Promise.all([
    failedRunCounts(db, { workspaceId, flowId }),
    listFailedRuns(db, { workspaceId, flowId, nodeId: q.node, limit: LIMIT }),
    listFlowVersions(db, { workspaceId, flowId }),
  ]);
  const canAct = can(member.role, "flows.edit");
  const fmt = formatter(member.workspace.timeZone);
  // Names as published in each run's own version, else as the newest version or the draft has them.
  const names = new Map(versions.map((v) => [v.id, graphNodeNames(v.graph)]));
  const fallback = graphNodeNames(versions[0]?.graph ?? flow.draft);
  const nodeName = (versionId: string | null, nodeId: string | null) =>
    nodeId === null
      ? "Before the first node"
      : ((versionId ? names.get(versionId)?.get(nodeId) : undefined) ?? fallback.get(nodeId) ?? `Removed node (${nodeId})`);
  const editor = `/w/${workspace}/flows/${flowId}`;
  const base = `${editor}/failed`;
  const byNode = Object.entries(counts.byNode).sort((a, b) => b[1] - a[1]);
  const shown = q.node ? (counts.byNode[q.node] ?? 0) : counts.total;

  return (
    <>
      <Link href={editor} className="text-sm text-brand-600 hover:underline">
        ← {flow.name}
      </Link>
      <h1 className="mt-1 text-2xl font-semibold">Failed runs</h1>
      <p className="mt-1 max-w-3xl text-sm text-slate-600">
        A run fails when a step keeps failing after its retries, or when the mail provider is out for longer than this flow waits (
        {flow.providerWaitHours} {flow.providerWaitHours === 1 ? "hour" : "hours"}). Its contact stops at that node. Retry starts the
        contact again from that node, on the same version and with the same trigger; Exit lets them leave the flow.
      </p>

      <OutcomeRegion testId="failed-outcome">
        {counts.total === 0 ? (
          <EmptyState title="No failed runs" action={{ href: editor, label: "Back to the flow" }}>
            <p>Every run of “{flow.name}” either finished, left the flow or is still on its way.</p>
            <p>If a run fails for good, its contact shows here, with the node and the reason, to retry or dismiss.</p>
          </EmptyState>
        ) : (
          <>
            <section className="mt-5 rounded-lg border border-slate-200 bg-white p-4" data-testid="failed-by-node">
              <div className="flex flex-wrap items-center gap-3">
                <h2 className="text-base font-semibold">
                  <span data-testid="failed-total">{counts.total}</span> failed {counts.total === 1 ? "run" : "runs"}
                </h2>
                {canAct ? (
                  <OutcomeForm action={retryFailedRunsAction} workspace={workspace} className="ml-auto" testId="retry-all-form">
                    <input type="hidden" name="flowId" value={flowId} />
                    <input type="hidden" name="all" value="on" />
                    <button type="submit" className={button}>
                      Retry all {counts.total}
                    </button>
                  </OutcomeForm>
                ) : (
                  <p className="ml-auto text-sm text-slate-500" data-testid="read-only">
                    Your role can look at failed runs; an editor can retry or dismiss them.
                  </p>
                )}
              </div>
              <ul className="mt-3 divide-y divide-slate-100 text-sm">
                {byNode.map(([nodeId, n]) => (
                  <li key={nodeId} className="flex flex-wrap items-center gap-3 py-2" data-testid={`failed-node-${nodeId}`}>
                    <span className="font-medium">{nodeName(null, nodeId)}</span>
                    <span className="rounded bg-red-100 px-1.5 text-xs font-semibold text-red-800">{n} failed</span>
                    {q.node === nodeId ? (
                      <span className="text-xs text-slate-500">shown below</span>
                    ) : (
                      <Link href={`${base}?node=${encodeURIComponent(nodeId)}`} className="text-xs text-brand-700 underline">
                        Show only these
                      </Link>
                    )}
                    {canAct ? (
                      <OutcomeForm action={retryFailedRunsAction} workspace={workspace} className="ml-auto">
                        <input type="hidden" name="flowId" value={flowId} />
                        <input type="hidden" name="all" value="on" />
                        <input type="hidden" name="nodeId" value={nodeId} />
                        <button type="submit" className={secondaryButton}>
                          Retry {n} at this node
                        </button>
                      </OutcomeForm>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>

            {q.node ? (
              <p className="mt-4 text-sm text-slate-600" data-testid="failed-filter">
                Failed at {nodeName(null, q.node)} ·{" "}
                <Link href={base} className="text-brand-700 underline">
                  show all nodes
                </Link>
              </p>
            ) : null}
            <Table
              caption={`Failed runs of ${flow.name}`}
              testId="failed-runs-table"
              className="mt-3"
              alignTop
              rows={runs}
              rowKey={(r) => r.enrollmentId}
              rowTestId={(r) => `failed-${r.email}`}
              empty={<p className="mt-3 text-sm text-slate-500">No failed runs at this node now.</p>}
              columns={[
                {
                  header: "Contact",
                  cell: (r) => (
                    <Link href={`/w/${workspace}/contacts/${r.contactId}`} className="text-brand-700 hover:underline">
                      {r.firstName ? `${r.firstName} <${r.email}>` : r.email}
                    </Link>
                  ),
                },
                { header: "Node", cell: (r) => nodeName(r.flowVersionId, r.nodeId) },
                { header: "Reason", className: "max-w-md break-words text-slate-700", cell: (r) => r.reason },
                {
                  header: "Failed",
                  className: "whitespace-nowrap text-slate-500",
                  cell: (r) => <time dateTime={r.failedAt.toISOString()}>{fmt.format(r.failedAt)}</time>,
                },
                {
                  header: "Actions",
                  hideHeader: true,
                  align: "end",
                  cell: (r) =>
                    canAct ? (
                      <div className="flex justify-end gap-2">
                        <OutcomeForm action={retryFailedRunsAction} workspace={workspace}>
                          <input type="hidden" name="flowId" value={flowId} />
                          <input type="hidden" name="enrollmentId" value={r.enrollmentId} />
                          <button type="submit" className={secondaryButton}>
                            Retry from this node
                          </button>
                        </OutcomeForm>
                        <OutcomeForm action={exitFailedRunsAction} workspace={workspace}>
                          <input type="hidden" name="flowId" value={flowId} />
                          <input type="hidden" name="enrollmentId" value={r.enrollmentId} />
                          <ConfirmSubmit
                            title={`Exit ${r.email} from “${flow.name}”?`}
                            description="The contact leaves the flow where the run failed and is not retried. Their history stays in the flow's stats."
                            confirm="Exit"
                          >
                            Exit
                          </ConfirmSubmit>
                        </OutcomeForm>
                      </div>
                    ) : null,
                },
              ]}
            />
            {shown > runs.length ? (
              <p className="mt-2 text-sm text-slate-500">
                Showing the latest {runs.length} of {shown}; retry or exit these to see the rest.
              </p>
            ) : null}
          </>
        )}
      </OutcomeRegion>
    </>
  );
}
