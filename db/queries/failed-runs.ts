import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../client";
import { enqueueAppEvents, type AppEvent } from "./outbox";

/**
 * Runs that failed for good (docs/flows.md, "When a run fails"): the runner leaves the enrollment
 * `failed` at the node it failed at, with a readable reason. A failure is *open* until someone
 * acts on it: retried (a new enrollment whose `source_event_id` is `retry:<failed id>`; the failed
 * row stays failed, as history) or exited (status `exited`, reason "exited after failure").
 */

/** The source event id of the enrollment that retries failed enrollment `id`. */
export const retrySourceId = (failedEnrollmentId: string) => `retry:${failedEnrollmentId}`;

/** The reason an exited failure carries. */
export const EXITED_AFTER_FAILURE = "exited after failure";

/**
 * Open failures of `e` (an alias of enrollments). By (flow_id, contact_id, source_event_id), the
 * key of the retry's unique index, so the check is one index probe per failed row.
 */
const open = sql`e.status = 'failed' and not exists (
  select 1 from enrollments r
  where r.flow_id = e.flow_id and r.contact_id = e.contact_id and r.source_event_id = 'retry:' || e.id::text)`;

export type FailedRunScope = { workspaceId: string; flowId: string };
/** Which open failures an action is about: some by id, or all of them (at one node). */
export type FailedRunSelection = { enrollmentIds: string[] } | { all: true; nodeId?: string };

function selection(which: FailedRunSelection): SQL {
  if ("enrollmentIds" in which) {
    if (which.enrollmentIds.length === 0) return sql`and false`;
    return sql`and e.id in (${sql.join(which.enrollmentIds.map((id) => sql`${id}::uuid`), sql`, `)})`;
  }
  return which.nodeId !== undefined ? sql`and e.current_node_id = ${which.nodeId}` : sql``;
}

/** Open failures of a flow: in all, and by the node they failed at (the canvas's red chips). */
export async function failedRunCounts(db: Db, q: FailedRunScope): Promise<{ total: number; byNode: Record<string, number> }> {
  const found = await rows<{ node_id: string | null; n: number }>(db, sql`
    select e.current_node_id as node_id, count(*)::int as n
    from enrollments e
    where e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid and ${open}
    group by 1`);
  const byNode: Record<string, number> = {};
  let total = 0;
  for (const r of found) {
    total += r.n;
    if (r.node_id !== null) byNode[r.node_id] = r.n;
  }
  return { total, byNode };
}

export type FailedRun = {
  enrollmentId: string;
  contactId: string;
  email: string;
  firstName: string | null;
  flowVersionId: string;
  /** null: the run failed before it reached a node. */
  nodeId: string | null;
  reason: string;
  failedAt: Date;
};

/** The flow's open failures, newest first (the failed list), optionally at one node. */
export async function listFailedRuns(db: Db, q: FailedRunScope & { nodeId?: string; limit?: number }): Promise<FailedRun[]> {
  const node = q.nodeId !== undefined ? sql`and e.current_node_id = ${q.nodeId}` : sql``;
  const found = await rows<Omit<FailedRun, "failedAt"> & { failedAt: string | Date }>(db, sql`
    select e.id as "enrollmentId", e.contact_id as "contactId", c.email, c.first_name as "firstName",
           e.flow_version_id as "flowVersionId", e.current_node_id as "nodeId",
           coalesce(e.exit_reason, 'failed') as reason, coalesce(e.finished_at, e.entered_at) as "failedAt"
    from enrollments e
    join contacts c on c.id = e.contact_id and c.workspace_id = e.workspace_id
    where e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid and ${open} ${node}
    order by coalesce(e.finished_at, e.entered_at) desc, e.id
    limit ${q.limit ?? 200}`);
  return found.map((r) => ({ ...r, failedAt: new Date(r.failedAt) }));
}

export type RetryStarted = { enrollmentId: string; failedId: string; contactId: string; flowVersionId: string; startNodeId: string | null };

export type RetryBatch = {
  /** Open failures this call looked at. */
  picked: number;
  /** The last of them by id: pass it as `after` for the next batch. */
  lastId: string | null;
  started: RetryStarted[];
  /** The contact is in the flow again already (one active enrollment per flow and contact): reported, left in the list. */
  alreadyInFlow: { failedId: string; contactId: string; email: string }[];
  /** Retried by a concurrent call meanwhile (a double click). */
  alreadyRetried: string[];
  /** The start events' outbox rows, to hand over once this has committed. */
  outboxIds: number[];
};

/**
 * Retries open failures: for each, a new enrollment of the same contact in the same flow version,
 * starting at the node it failed at (from the trigger when it failed before any), with the trigger
 * payload copied and `source_event_id` `retry:<failed id>`, so a second call (a double click, two
 * tabs) cannot start another: the unique index on (flow, contact, source) refuses it. Re-entry
 * rules do not apply (this is the same entry, carried on), but the one-active rule does: a contact
 * who is already in the flow again is reported instead. The new runs' start events are written to
 * the outbox in the same transaction (`startEvents` builds them), so none is lost.
 *
 * One batch of at most `limit` failures, by id after `after`: the caller loops for "retry all".
 */
export async function retryFailedRuns(
  db: Db,
  q: FailedRunScope & {
    which: FailedRunSelection;
    at: Date;
    startEvents: (started: RetryStarted[]) => AppEvent[];
    limit?: number;
    after?: string | null;
  },
): Promise<RetryBatch> {
  const limit = q.limit ?? 500;
  const after = q.after ? sql`and e.id > ${q.after}::uuid` : sql``;
  return db.transaction(async (tx) => {
    const found = await rows<{
      failedId: string;
      contactId: string;
      email: string;
      enrollmentId: string | null;
      flowVersionId: string | null;
      startNodeId: string | null;
    }>(tx, sql`
      with picked as (
        select e.id, e.contact_id, e.flow_version_id, e.current_node_id, e.trigger
        from enrollments e
        where e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid and ${open}
          ${selection(q.which)} ${after}
        order by e.id
        limit ${limit}
        for update of e
      ), ins as (
        insert into enrollments (workspace_id, flow_id, flow_version_id, contact_id, start_node_id, current_node_id, trigger, source_event_id, entered_at)
        select ${q.workspaceId}::uuid, ${q.flowId}::uuid, p.flow_version_id, p.contact_id, p.current_node_id, p.current_node_id, p.trigger,
               'retry:' || p.id::text, ${q.at.toISOString()}::timestamptz
        from picked p
        order by p.id
        on conflict do nothing
        returning id, flow_version_id, start_node_id, source_event_id
      )
      select p.id as "failedId", p.contact_id as "contactId", c.email,
             i.id as "enrollmentId", i.flow_version_id as "flowVersionId", i.start_node_id as "startNodeId"
      from picked p
      join contacts c on c.id = p.contact_id
      left join ins i on i.source_event_id = 'retry:' || p.id::text
      order by p.id`);
    const started: RetryStarted[] = [];
    const refused: typeof found = [];
    for (const r of found) {
      if (r.enrollmentId && r.flowVersionId) {
        started.push({ enrollmentId: r.enrollmentId, failedId: r.failedId, contactId: r.contactId, flowVersionId: r.flowVersionId, startNodeId: r.startNodeId });
      } else refused.push(r);
    }
    // Refused by a unique index: the retry a concurrent call just committed, or the one active
    // enrollment the contact already has. This statement sees what committed meanwhile.
    const retried = new Set<string>();
    if (refused.length > 0) {
      const sources = await rows<{ source: string }>(tx, sql`
        select source_event_id as source from enrollments
        where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid
          and source_event_id in (${sql.join(refused.map((r) => sql`${retrySourceId(r.failedId)}`), sql`, `)})`);
      for (const s of sources) retried.add(s.source.slice("retry:".length));
    }
    const outboxIds = started.length > 0 ? await enqueueAppEvents(tx, q.startEvents(started)) : [];
    return {
      picked: found.length,
      lastId: found.at(-1)?.failedId ?? null,
      started,
      alreadyInFlow: refused.filter((r) => !retried.has(r.failedId)).map((r) => ({ failedId: r.failedId, contactId: r.contactId, email: r.email })),
      alreadyRetried: refused.filter((r) => retried.has(r.failedId)).map((r) => r.failedId),
      outboxIds,
    };
  });
}

/**
 * Dismisses open failures: the contact leaves the flow for good (`exited`, "exited after
 * failure"); the failure's time stays its finish time and its trace keeps the failed step.
 */
export async function exitFailedRuns(
  db: Db,
  q: FailedRunScope & { which: FailedRunSelection },
): Promise<{ enrollmentId: string; contactId: string; nodeId: string | null }[]> {
  return rows(db, sql`
    update enrollments e set status = 'exited', exit_reason = ${EXITED_AFTER_FAILURE}
    where e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid and ${open} ${selection(q.which)}
    returning e.id as "enrollmentId", e.contact_id as "contactId", e.current_node_id as "nodeId"`);
}
