"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { exitFailedRuns, retryFailedRuns, type FailedRunSelection, type RetryStarted } from "@/db/queries/failed-runs";
import { getFlowForEditor } from "@/db/queries/flows";
import { flushAppEvents, type AppEvent } from "@/inngest/emit";
import { enrollmentStarted } from "@/inngest/events";
import { now } from "@/lib/clock";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";

/**
 * The failed list's actions (docs/flows.md, "When a run fails"): retry a failed run from the node
 * it failed at, or dismiss it; one run, or all of them (at one node). Editors and above.
 */

const input = formFields(
  z.object({
    flowId: z.uuid("flow not found"),
    /** One failed run (its enrollment)… */
    enrollmentId: z.uuid("failed run not found").optional(),
    /** …or all of them, optionally only those at one node. */
    all: z.boolean().default(false),
    nodeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "node not found").optional(),
  }),
  { all: "boolean" },
);

function selectionOf(i: { enrollmentId?: string; all: boolean; nodeId?: string }): FailedRunSelection {
  if (i.enrollmentId) return { enrollmentIds: [i.enrollmentId] };
  if (i.all) return i.nodeId ? { all: true, nodeId: i.nodeId } : { all: true };
  throw new ActionError("Pick a failed run, or choose all of them", "enrollmentId");
}

async function flowOf(db: Parameters<typeof getFlowForEditor>[0], workspaceId: string, flowId: string) {
  const flow = await getFlowForEditor(db, { workspaceId, flowId });
  if (!flow) throw new ActionError("flow not found");
  return flow;
}

const BATCH = 500;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const retryFailedRunsAction = workspaceAction("flows.edit", input, async ({ db, member, input, audit }) => {
  const workspaceId = member.workspace.id;
  const flow = await flowOf(db, workspaceId, input.flowId);
  const which = selectionOf(input);
  // The same start event the router sends, at the failed node: the runner picks the run up there.
  const startEvents = (started: RetryStarted[]): AppEvent[] =>
    started.map((s) => ({
      id: `${s.enrollmentId}:0`,
      name: enrollmentStarted.name,
      data: {
        workspaceId,
        enrollmentId: s.enrollmentId,
        flowVersionId: s.flowVersionId,
        contactId: s.contactId,
        ...(s.startNodeId ? { startNodeId: s.startNodeId } : {}),
        segment: 0,
        runKey: `${s.enrollmentId}:0`,
      },
    }));
  const started: RetryStarted[] = [];
  const alreadyInFlow: string[] = [];
  let after: string | null = null;
  for (;;) {
    const batch = await retryFailedRuns(db, { workspaceId, flowId: flow.id, which, at: now(), startEvents, limit: BATCH, after });
    // Committed: hand the start events over now (the outbox keeps them if Inngest is unreachable).
    await flushAppEvents(db, batch.outboxIds);
    started.push(...batch.started);
    alreadyInFlow.push(...batch.alreadyInFlow.map((r) => r.email));
    if (batch.picked < BATCH || !batch.lastId) break;
    after = batch.lastId;
  }
  if (started.length === 0 && alreadyInFlow.length === 0) {
    throw new ActionError(input.enrollmentId ? "That run was already retried or dismissed" : "No failed runs to retry");
  }
  await audit({
    action: "flow.failed_runs_retried",
    targetType: "flow",
    targetId: flow.id,
    data: {
      name: flow.name,
      nodeId: input.nodeId ?? null,
      started: started.length,
      alreadyInFlow: alreadyInFlow.length,
      runs: started.slice(0, 100).map((s) => ({ failed: s.failedId, retry: s.enrollmentId })),
    },
  });
  revalidatePath(`/w/${member.workspace.slug}/flows/${flow.id}`);
  const parts = [`Started ${plural(started.length, "run", "runs")} again from the node ${started.length === 1 ? "it" : "they"} failed at`];
  if (alreadyInFlow.length > 0) {
    const shown = alreadyInFlow.slice(0, 5).join(", ");
    parts.push(
      `${plural(alreadyInFlow.length, "contact is", "contacts are")} in the flow again already, so ${alreadyInFlow.length === 1 ? "its failure stays" : "their failures stay"} listed: ${shown}${alreadyInFlow.length > 5 ? ", …" : ""}`,
    );
  }
  return { ok: started.length > 0, message: parts.join("; "), data: { started: started.length, alreadyInFlow: alreadyInFlow.length } };
});

export const exitFailedRunsAction = workspaceAction("flows.edit", input, async ({ db, member, input, audit }) => {
  const workspaceId = member.workspace.id;
  const flow = await flowOf(db, workspaceId, input.flowId);
  const ended = await exitFailedRuns(db, { workspaceId, flowId: flow.id, which: selectionOf(input) });
  if (ended.length === 0) throw new ActionError(input.enrollmentId ? "That run was already retried or dismissed" : "No failed runs to dismiss");
  await audit({
    action: "flow.failed_runs_exited",
    targetType: "flow",
    targetId: flow.id,
    data: { name: flow.name, nodeId: input.nodeId ?? null, exited: ended.length, runs: ended.slice(0, 100).map((e) => e.enrollmentId) },
  });
  revalidatePath(`/w/${member.workspace.slug}/flows/${flow.id}`);
  return { ok: true, message: `${plural(ended.length, "contact", "contacts")} left the flow (exited after failure)`, data: { exited: ended.length } };
});
