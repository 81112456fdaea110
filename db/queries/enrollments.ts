import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { enrollments, enrollmentSteps, flows } from "../schema/index";

export type EnrollCandidate = {
  contactId: string;
  /** The trigger payload (merge tags, correlation). */
  trigger: Record<string, unknown>;
  /** What enrolled them: a retried router step finds its own rows by it. */
  sourceEventId: string;
};

export type Enrolled = { enrollmentId: string; contactId: string; flowVersionId: string; startNodeId: string | null };

/**
 * Enrols contacts in one flow version, honouring re-entry in one statement:
 *  - never while an enrollment of the flow is active (the partial unique index backs this up);
 *  - "once": never again; "after": only when the latest began ≥ N days before `now`; "always": again.
 * Returns the enrollments this source event produced — including those a previous attempt of the
 * same step inserted, so a retry re-sends their start events (the runner de-duplicates by runKey).
 * `ignoreHistory` is for the editor's migration: the previous enrollment was just ended to move it.
 */
export async function enrollContacts(
  db: Db,
  q: {
    workspaceId: string;
    flowId: string;
    flowVersionId: string;
    reentry: "once" | "after" | "always";
    reentryAfterDays: number | null;
    startNodeId?: string | null;
    ignoreHistory?: boolean;
    now: Date;
    candidates: EnrollCandidate[];
  },
): Promise<Enrolled[]> {
  if (q.candidates.length === 0) return [];
  const input = JSON.stringify(
    q.candidates.map((c) => ({ contact_id: c.contactId, trigger: c.trigger, source_event_id: c.sourceEventId })),
  );
  const mode = q.ignoreHistory ? "always" : q.reentry;
  const afterMs = (q.reentryAfterDays ?? 0) * 86_400_000;
  const since = new Date(q.now.getTime() - afterMs);
  const start = q.startNodeId ?? null;
  const inserted = await rows<Enrolled>(db, sql`
    insert into enrollments (workspace_id, flow_id, flow_version_id, contact_id, start_node_id, current_node_id, trigger, source_event_id, entered_at)
    select ${q.workspaceId}::uuid, ${q.flowId}::uuid, ${q.flowVersionId}::uuid, c.contact_id, ${start}::text, ${start}::text, coalesce(c.trigger, '{}'::jsonb), c.source_event_id, ${q.now.toISOString()}::timestamptz
    from jsonb_to_recordset(${input}::jsonb) as c(contact_id uuid, trigger jsonb, source_event_id text)
    join contacts k on k.id = c.contact_id and k.workspace_id = ${q.workspaceId}::uuid
    where not exists (
      -- By (flow_id, contact_id) only: the flow is this workspace's (checked by the caller's flow
      -- lookup), and naming the workspace here tempts the planner into the (workspace, flow,
      -- status) index, which scans every enrollment of the flow for each candidate.
      select 1 from enrollments e
      where e.flow_id = ${q.flowId}::uuid and e.contact_id = c.contact_id
        and (e.status = 'active'
             or ${mode}::text = 'once'
             or (${mode}::text = 'after' and e.entered_at > ${since.toISOString()}::timestamptz)
             or e.source_event_id = c.source_event_id)
    )
    on conflict do nothing
    returning id as "enrollmentId", contact_id as "contactId", flow_version_id as "flowVersionId", start_node_id as "startNodeId"`);
  // All new (the usual case): nothing to look up. Otherwise some may come from an earlier attempt
  // of this same step (same source event), which must be reported again so their runs start.
  if (inserted.length === q.candidates.length) return inserted.map((r) => ({ ...r }));
  const found = await db
    .select({
      enrollmentId: enrollments.id,
      contactId: enrollments.contactId,
      flowVersionId: enrollments.flowVersionId,
      startNodeId: enrollments.startNodeId,
      sourceEventId: enrollments.sourceEventId,
    })
    .from(enrollments)
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        inArray(
          enrollments.contactId,
          q.candidates.map((c) => c.contactId),
        ),
        inArray(
          enrollments.sourceEventId,
          [...new Set(q.candidates.map((c) => c.sourceEventId))],
        ),
      ),
    );
  const wanted = new Set(q.candidates.map((c) => `${c.contactId}\u0000${c.sourceEventId}`));
  return found
    .filter((r) => wanted.has(`${r.contactId}\u0000${r.sourceEventId}`))
    .map(({ enrollmentId, contactId, flowVersionId, startNodeId }) => ({ enrollmentId, contactId, flowVersionId, startNodeId }));
}

export async function getEnrollment(db: Db, q: { workspaceId: string; enrollmentId: string }) {
  const [row] = await db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId)));
  return row;
}

/**
 * What a run loads in its first step: the enrollment, and the flow's settings the runner follows
 * (how long a send may wait out the mail provider), in one query.
 */
export async function enrollmentForRun(db: Db, q: { workspaceId: string; enrollmentId: string }) {
  const [row] = await db
    .select({ enrollment: enrollments, providerWaitHours: flows.providerWaitHours })
    .from(enrollments)
    .innerJoin(flows, and(eq(flows.id, enrollments.flowId), eq(flows.workspaceId, q.workspaceId)))
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId)));
  return row && { ...row.enrollment, providerWaitHours: row.providerWaitHours };
}

export async function listEnrollments(db: Db, q: { workspaceId: string; flowId: string; contactId?: string }) {
  return db
    .select()
    .from(enrollments)
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        q.contactId ? eq(enrollments.contactId, q.contactId) : undefined,
      ),
    )
    .orderBy(asc(enrollments.enteredAt), asc(enrollments.id));
}

/** Active enrollments of a contact (for the goal watcher and unsubscribe bookkeeping). */
export async function activeEnrollmentsOfContact(db: Db, q: { workspaceId: string; contactId: string }) {
  return db
    .select({ id: enrollments.id, flowId: enrollments.flowId, flowVersionId: enrollments.flowVersionId })
    .from(enrollments)
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.contactId, q.contactId), eq(enrollments.status, "active")));
}

/**
 * Ends an enrollment if it is still active; returns whether this call ended it. The trace row of
 * the node it was waiting in is closed with the same reason, so "waiting now" stays honest.
 */
export async function finishEnrollment(
  db: Db,
  q: { workspaceId: string; enrollmentId: string; status: "completed" | "exited" | "cancelled" | "failed"; reason: string | null; at: Date },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const ended = await tx
      .update(enrollments)
      .set({ status: q.status, exitReason: q.reason, finishedAt: q.at })
      .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId), eq(enrollments.status, "active")))
      .returning({ id: enrollments.id });
    if (ended.length === 0) return false;
    await tx
      .update(enrollmentSteps)
      .set({ outcome: q.status === "completed" ? "done" : `exited:${q.reason ?? q.status}`, finishedAt: q.at })
      .where(
        and(
          eq(enrollmentSteps.workspaceId, q.workspaceId),
          eq(enrollmentSteps.enrollmentId, q.enrollmentId),
          isNull(enrollmentSteps.finishedAt),
        ),
      );
    return true;
  });
}

/** An enrollment after failEnrollment: `changed` says whether this call failed it. */
export type FailedEnrollment = {
  changed: boolean;
  status: (typeof enrollments.$inferSelect)["status"];
  flowId: string;
  contactId: string;
  nodeId: string | null;
  reason: string | null;
  finishedAt: Date | null;
};

/** Longest failure reason stored (exit_reason, the trace's detail, the flow/run.failed event). */
export const FAILURE_REASON_MAX = 500;

/**
 * Ends a run that failed for good (its retries spent, or the mail provider out for longer than the
 * flow allows): status "failed", the reason (cut to 500 characters), `nodeId` as its current node
 * (null: the node it stands at) and the time — only while the enrollment is still active, so a
 * repeated call (a retried failure handler) changes nothing. In the same transaction the trace row
 * it was left in (finished_at null) is closed as "failed" with the reason; when no row is open at
 * the node, a "failed" row is added there (its visit one past the node's last), so the contact's
 * trace shows where the run stopped. Returns the enrollment as it now is; null when the workspace
 * has no such enrollment.
 */
export async function failEnrollment(
  db: Db,
  q: { workspaceId: string; enrollmentId: string; nodeId: string | null; reason: string; at: Date },
): Promise<FailedEnrollment | null> {
  const trimmed = q.reason.trim() || "The run failed";
  const reason = trimmed.length > FAILURE_REASON_MAX ? `${trimmed.slice(0, FAILURE_REASON_MAX - 1)}…` : trimmed;
  const columns = {
    status: enrollments.status,
    flowId: enrollments.flowId,
    flowVersionId: enrollments.flowVersionId,
    contactId: enrollments.contactId,
    nodeId: enrollments.currentNodeId,
    reason: enrollments.exitReason,
    finishedAt: enrollments.finishedAt,
  };
  return db.transaction(async (tx) => {
    const [failed] = await tx
      .update(enrollments)
      .set({ status: "failed", exitReason: reason, finishedAt: q.at, ...(q.nodeId === null ? {} : { currentNodeId: q.nodeId }) })
      .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId), eq(enrollments.status, "active")))
      .returning(columns);
    if (!failed) {
      const [row] = await tx
        .select(columns)
        .from(enrollments)
        .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId)));
      if (!row) return null;
      const { flowVersionId: _, ...rest } = row;
      return { changed: false, ...rest };
    }
    const closed = await tx
      .update(enrollmentSteps)
      .set({ outcome: "failed", detail: reason, finishedAt: q.at })
      .where(
        and(
          eq(enrollmentSteps.workspaceId, q.workspaceId),
          eq(enrollmentSteps.enrollmentId, q.enrollmentId),
          isNull(enrollmentSteps.finishedAt),
        ),
      )
      .returning({ nodeId: enrollmentSteps.nodeId });
    const node = failed.nodeId;
    if (node !== null && !closed.some((c) => c.nodeId === node)) {
      // The node's kind from the enrollment's own plan; the step id cannot collide with a run's.
      await tx.execute(sql`
        insert into enrollment_steps (workspace_id, flow_id, flow_version_id, enrollment_id, contact_id, step_id, node_id, visit, kind, outcome, exit, detail, at, finished_at)
        select ${q.workspaceId}::uuid, ${failed.flowId}::uuid, ${failed.flowVersionId}::uuid, ${q.enrollmentId}::uuid, ${failed.contactId}::uuid,
               ${node} || '#' || n.visit || ':failed', ${node}, n.visit, coalesce(v.plan->'nodes'->${node}->>'kind', 'unknown'),
               'failed', null, ${reason}, ${q.at.toISOString()}::timestamptz, ${q.at.toISOString()}::timestamptz
        from (select coalesce(max(visit), 0) + 1 as visit from enrollment_steps
              where workspace_id = ${q.workspaceId}::uuid and enrollment_id = ${q.enrollmentId}::uuid and node_id = ${node}) n
        left join flow_versions v on v.workspace_id = ${q.workspaceId}::uuid and v.id = ${failed.flowVersionId}::uuid
        on conflict (enrollment_id, step_id) do nothing`);
    }
    const { flowVersionId: _, ...rest } = failed;
    return { changed: true, ...rest };
  });
}

export type TraceEntry = {
  stepId: string;
  nodeId: string;
  visit: number;
  kind: string;
  outcome: string;
  exit: string | null;
  detail: string;
  at: Date;
  /** null: the contact is still at this node (waiting). */
  finishedAt: Date | null;
};

export type TraceScope = { workspaceId: string; flowId: string; flowVersionId: string; enrollmentId: string; contactId: string };

/**
 * Writes trace rows and moves the enrollment's current node, in one transaction. Idempotent per
 * step id, so a retried step changes nothing; `close` finishes the row of a wait that resumed.
 */
export async function recordSteps(
  db: Db,
  q: TraceScope & {
    close?: { stepId: string; outcome: string; exit: string | null; detail: string; at: Date } | null;
    /** Rewrites the detail of a row still open (a send waiting again: until when, and why). */
    note?: { stepId: string; detail: string } | null;
    entries: TraceEntry[];
    currentNodeId: string | null;
  },
): Promise<void> {
  await db.transaction(async (tx) => {
    if (q.close) {
      await tx
        .update(enrollmentSteps)
        .set({ outcome: q.close.outcome, exit: q.close.exit, detail: q.close.detail, finishedAt: q.close.at })
        .where(
          and(
            eq(enrollmentSteps.workspaceId, q.workspaceId),
            eq(enrollmentSteps.enrollmentId, q.enrollmentId),
            eq(enrollmentSteps.stepId, q.close.stepId),
            isNull(enrollmentSteps.finishedAt),
          ),
        );
    }
    if (q.note) {
      await tx
        .update(enrollmentSteps)
        .set({ detail: q.note.detail })
        .where(
          and(
            eq(enrollmentSteps.workspaceId, q.workspaceId),
            eq(enrollmentSteps.enrollmentId, q.enrollmentId),
            eq(enrollmentSteps.stepId, q.note.stepId),
            isNull(enrollmentSteps.finishedAt),
          ),
        );
    }
    if (q.entries.length > 0) {
      await tx
        .insert(enrollmentSteps)
        .values(
          q.entries.map((e) => ({
            workspaceId: q.workspaceId,
            flowId: q.flowId,
            flowVersionId: q.flowVersionId,
            enrollmentId: q.enrollmentId,
            contactId: q.contactId,
            ...e,
          })),
        )
        .onConflictDoNothing({ target: [enrollmentSteps.enrollmentId, enrollmentSteps.stepId] });
    }
    await tx
      .update(enrollments)
      .set({ currentNodeId: q.currentNodeId })
      .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.id, q.enrollmentId), eq(enrollments.status, "active")));
  });
}

/** One contact's path through a flow: every step, in order (the editor's per-contact trace). */
export async function enrollmentTrace(db: Db, q: { workspaceId: string; enrollmentId: string }): Promise<TraceEntry[]> {
  return db
    .select({
      stepId: enrollmentSteps.stepId,
      nodeId: enrollmentSteps.nodeId,
      visit: enrollmentSteps.visit,
      kind: enrollmentSteps.kind,
      outcome: enrollmentSteps.outcome,
      exit: enrollmentSteps.exit,
      detail: enrollmentSteps.detail,
      at: enrollmentSteps.at,
      finishedAt: enrollmentSteps.finishedAt,
    })
    .from(enrollmentSteps)
    .where(and(eq(enrollmentSteps.workspaceId, q.workspaceId), eq(enrollmentSteps.enrollmentId, q.enrollmentId)))
    .orderBy(asc(enrollmentSteps.seq));
}

export type NodeCounters = {
  nodeId: string;
  /** Enrollments that reached the node. */
  entered: number;
  /** Active enrollments at the node now (waiting in a delay or wait, or mid-step). */
  waitingNow: number;
  /** Enrollments that passed through the node (took one of its exits). */
  completed: number;
  /** Enrollments that ended at this node, by reason (goal, unsubscribed, exit, migrated, …). */
  exited: Record<string, number>;
  /** Runs that failed for good at this node (retried ones included; open ones: db/queries/failed-runs). */
  failed: number;
};

/**
 * The editor's live stats per node, as aggregates over the trace and the enrollments table (both
 * indexed on workspace + flow). Derived rather than incremented so a retried step cannot count
 * twice; materialise later if flows reach millions of enrollments.
 */
export async function nodeCounters(db: Db, q: { workspaceId: string; flowId: string; flowVersionId?: string }): Promise<NodeCounters[]> {
  const versionFilter = q.flowVersionId ? sql`and flow_version_id = ${q.flowVersionId}::uuid` : sql``;
  const passed = await rows<{ node_id: string; entered: number; completed: number }>(db, sql`
    select node_id, count(distinct enrollment_id)::int as entered,
           count(distinct enrollment_id) filter (where exit is not null)::int as completed
    from enrollment_steps
    where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid ${versionFilter}
    group by node_id`);
  const states = await rows<{ node_id: string; status: string; reason: string; n: number }>(db, sql`
    select current_node_id as node_id, status::text as status, coalesce(exit_reason, status::text) as reason, count(*)::int as n
    from enrollments
    where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid ${versionFilter}
      and current_node_id is not null and status <> 'completed'
    group by 1, 2, 3`);
  const out = new Map<string, NodeCounters>();
  const of = (nodeId: string) => {
    let c = out.get(nodeId);
    if (!c) out.set(nodeId, (c = { nodeId, entered: 0, waitingNow: 0, completed: 0, exited: {}, failed: 0 }));
    return c;
  };
  for (const r of passed) Object.assign(of(r.node_id), { entered: r.entered, completed: r.completed });
  for (const s of states) {
    const c = of(s.node_id);
    if (s.status === "active") c.waitingNow += s.n;
    else if (s.status === "failed") c.failed += s.n;
    else c.exited[s.reason] = (c.exited[s.reason] ?? 0) + s.n;
  }
  return [...out.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
}
