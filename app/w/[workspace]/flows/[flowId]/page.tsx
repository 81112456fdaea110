import { z } from "zod";
import { enrollmentTrace, nodeCounters } from "@/db/queries/enrollments";
import { failedRunCounts } from "@/db/queries/failed-runs";
import { dryRunContacts, editorPickers } from "@/db/queries/flow-editor";
import { enrollmentOfFlow, nodeConversions, waitingAtNode, waitingByNode } from "@/db/queries/flow-stats";
import { listFlowVersions } from "@/db/queries/flow-versions";
import { templatesChangedSincePublish } from "@/db/queries/template-versions";
import { can } from "@/lib/auth/permissions";
import { flowGraphSchema, type FlowGraph } from "@/lib/flows/graph";
import { FlowEditor } from "./_editor/flow-editor";
import type { NodeStats } from "./_editor/types";
import { flowPage } from "./flow-page";

export const metadata = { title: "Flow editor" };

const query = z.object({
  node: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().catch(undefined),
  trace: z.uuid().optional().catch(undefined),
});

export default async function FlowEditorPage(props: {
  params: Promise<{ workspace: string; flowId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { workspace, flowId, member, db, workspaceId, flow } = await flowPage(props.params);
  const q = query.parse(await props.searchParams);

  const parsed = flowGraphSchema.safeParse(flow.draft);
  const draft: FlowGraph = parsed.success ? parsed.data : { nodes: [], edges: [] };
  const [versions, counters, failed, conversions, waitingInCurrent, pickers, contacts, waiting, enrollment, changedTemplates] = await Promise.all([
    listFlowVersions(db, { workspaceId, flowId }),
    nodeCounters(db, { workspaceId, flowId }),
    failedRunCounts(db, { workspaceId, flowId }),
    nodeConversions(db, { workspaceId, flowId }),
    flow.currentVersionId ? waitingByNode(db, { workspaceId, flowId, flowVersionId: flow.currentVersionId }) : Promise.resolve([]),
    editorPickers(db, { workspaceId }),
    dryRunContacts(db, { workspaceId }),
    q.node ? waitingAtNode(db, { workspaceId, flowId, nodeId: q.node }) : Promise.resolve(null),
    q.trace ? enrollmentOfFlow(db, { workspaceId, flowId, enrollmentId: q.trace }) : Promise.resolve(undefined),
    templatesChangedSincePublish(db, { workspaceId, flowId }),
  ]);
  const steps = enrollment ? await enrollmentTrace(db, { workspaceId, enrollmentId: enrollment.id }) : [];

  const stats: Record<string, NodeStats> = {};
  for (const c of counters) {
    stats[c.nodeId] = {
      entered: c.entered,
      waitingNow: c.waitingNow,
      completed: c.completed,
      exited: Object.values(c.exited).reduce((a, b) => a + b, 0),
      converted: conversions[c.nodeId] ?? 0,
      failed: failed.byNode[c.nodeId] ?? 0,
    };
  }
  for (const [nodeId, n] of Object.entries(conversions)) stats[nodeId] ??= { entered: 0, waitingNow: 0, completed: 0, exited: 0, converted: n, failed: 0 };
  for (const [nodeId, n] of Object.entries(failed.byNode)) stats[nodeId] ??= { entered: 0, waitingNow: 0, completed: 0, exited: 0, converted: 0, failed: n };

  return (
    <FlowEditor
      workspace={workspace}
      timeZone={member.workspace.timeZone}
      flow={{ id: flow.id, name: flow.name, status: flow.status, revision: flow.draftRevision, currentVersionId: flow.currentVersionId, providerWaitHours: flow.providerWaitHours }}
      failedTotal={failed.total}
      draft={draft}
      draftProblem={parsed.success ? null : `The saved draft could not be read (${parsed.error.issues[0]?.message ?? "invalid"}); it starts empty.`}
      canEdit={can(member.role, "flows.edit")}
      canPublish={can(member.role, "flows.publish")}
      versions={versions.map((v) => {
        const g = flowGraphSchema.safeParse(v.graph);
        return { id: v.id, number: v.number, note: v.note, publishedAt: v.publishedAt.toISOString(), publishedBy: v.publishedBy, graph: g.success ? g.data : null };
      })}
      stats={stats}
      waitingInCurrent={waitingInCurrent}
      pickers={pickers}
      changedTemplates={changedTemplates}
      contacts={contacts.map((c) => ({ ...c, attributes: c.attributes }))}
      waitingList={
        q.node && waiting
          ? { nodeId: q.node, contacts: waiting.map((w) => ({ enrollmentId: w.enrollmentId, email: w.email, firstName: w.firstName, since: w.since ? w.since.toISOString() : null })) }
          : null
      }
      trace={
        enrollment
          ? {
              enrollmentId: enrollment.id,
              email: enrollment.email,
              status: enrollment.status,
              exitReason: enrollment.exitReason,
              version: enrollment.versionNumber,
              trigger: enrollment.trigger,
              steps: steps.map((s) => ({ nodeId: s.nodeId, outcome: s.outcome, exit: s.exit, detail: s.detail, at: s.at.toISOString(), finishedAt: s.finishedAt?.toISOString() ?? null })),
            }
          : null
      }
    />
  );
}
