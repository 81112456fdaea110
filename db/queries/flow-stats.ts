import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { contacts, enrollments, enrollmentSteps, flowVersions } from "../schema/index";

/** What the editor shows on a flow's nodes now: who waits where, who converted, one enrollment's trace. */

/** Active enrollments of one version, by the node they are at now (the migration map's rows). */
export async function waitingByNode(db: Db, q: { workspaceId: string; flowId: string; flowVersionId: string }) {
  const rows = await db
    .select({ nodeId: enrollments.currentNodeId, count: sql<number>`count(*)::int` })
    .from(enrollments)
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        eq(enrollments.flowVersionId, q.flowVersionId),
        eq(enrollments.status, "active"),
        isNotNull(enrollments.currentNodeId),
      ),
    )
    .groupBy(enrollments.currentNodeId);
  return rows.filter((r): r is { nodeId: string; count: number } => r.nodeId !== null);
}

/** Per node: how many enrollments that passed through it ended at a goal. */
export async function nodeConversions(db: Db, q: { workspaceId: string; flowId: string }): Promise<Record<string, number>> {
  const goals = await rows<{ node_id: string; n: number }>(db, sql`
    select s.node_id, count(distinct s.enrollment_id)::int as n
    from enrollment_steps s
    join enrollments e on e.id = s.enrollment_id and e.workspace_id = s.workspace_id
    where s.workspace_id = ${q.workspaceId}::uuid and s.flow_id = ${q.flowId}::uuid and e.exit_reason = 'goal'
    group by s.node_id`);
  return Object.fromEntries(goals.map((r) => [r.node_id, r.n]));
}

/** Who is at a node now, most recent first (the node's waiting list in the editor). */
export async function waitingAtNode(db: Db, q: { workspaceId: string; flowId: string; nodeId: string; limit?: number }) {
  return db
    .select({
      enrollmentId: enrollments.id,
      contactId: enrollments.contactId,
      email: contacts.email,
      firstName: contacts.firstName,
      enteredAt: enrollments.enteredAt,
      since: sql<Date>`(select max(s.at) from ${enrollmentSteps} s where s.enrollment_id = ${enrollments.id} and s.node_id = ${q.nodeId})`.mapWith(
        (v: string | Date | null) => (v === null ? null : new Date(v)),
      ),
    })
    .from(enrollments)
    .innerJoin(contacts, and(eq(contacts.id, enrollments.contactId), eq(contacts.workspaceId, enrollments.workspaceId)))
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        eq(enrollments.status, "active"),
        eq(enrollments.currentNodeId, q.nodeId),
      ),
    )
    .orderBy(desc(enrollments.enteredAt))
    .limit(q.limit ?? 50);
}

/** One enrollment of this flow with its contact, for the trace panel; undefined if not this flow's. */
export async function enrollmentOfFlow(db: Db, q: { workspaceId: string; flowId: string; enrollmentId: string }) {
  const [row] = await db
    .select({
      id: enrollments.id,
      status: enrollments.status,
      exitReason: enrollments.exitReason,
      enteredAt: enrollments.enteredAt,
      trigger: enrollments.trigger,
      versionNumber: flowVersions.number,
      email: contacts.email,
      firstName: contacts.firstName,
    })
    .from(enrollments)
    .innerJoin(contacts, and(eq(contacts.id, enrollments.contactId), eq(contacts.workspaceId, enrollments.workspaceId)))
    .innerJoin(flowVersions, eq(flowVersions.id, enrollments.flowVersionId))
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.flowId, q.flowId), eq(enrollments.id, q.enrollmentId)));
  return row;
}
