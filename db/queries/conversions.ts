import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { ts } from "./analytics";

/** Goal conversions: which enrollments an event may convert, the message credited, and the record of it. */

export type GoalCandidate = {
  id: string;
  flowId: string;
  flowVersionId: string;
  status: string;
  enteredAt: Date;
  currentNodeId: string | null;
  /** The last mail this enrollment sent at or before the event (for goals windowed from a message). */
  lastSentAt: Date | null;
};

/**
 * Enrollments of a contact a goal event may convert: active ones, and finished ones that entered
 * within `lookbackMs` before the event (goals with a window count after the contact left the flow).
 */
export async function goalCandidates(
  db: Db,
  q: { workspaceId: string; contactId: string; at: Date; lookbackMs: number },
): Promise<GoalCandidate[]> {
  const since = new Date(q.at.getTime() - q.lookbackMs);
  const r = await rows<{ id: string; flowId: string; flowVersionId: string; status: string; enteredAt: string; currentNodeId: string | null; lastSentAt: string | null }>(
    db,
    sql`select e.id, e.flow_id as "flowId", e.flow_version_id as "flowVersionId", e.status::text as status, e.entered_at as "enteredAt",
               e.current_node_id as "currentNodeId",
               (select max(m.sent_at) from messages m where m.enrollment_id = e.id and m.workspace_id = e.workspace_id and m.sent_at <= ${ts(q.at)}) as "lastSentAt"
        from enrollments e
        where e.workspace_id = ${q.workspaceId}::uuid and e.contact_id = ${q.contactId}::uuid
          and (e.status = 'active' or e.entered_at >= ${ts(since)})
        order by e.entered_at`,
  );
  return r.map((x) => ({ ...x, enteredAt: new Date(x.enteredAt), lastSentAt: x.lastSentAt ? new Date(x.lastSentAt) : null }));
}

/**
 * The message credited with a conversion: the last human click on this enrollment's mail inside
 * [since, at]; failing that (when opens count), the last human open. Machine activity never counts.
 */
export async function attributeConversion(
  db: Db,
  q: { workspaceId: string; enrollmentId: string; since: Date; at: Date; opens: boolean },
): Promise<{ messageId: string; via: "click" | "open" } | null> {
  const types = q.opens ? sql`('clicked', 'opened')` : sql`('clicked')`;
  const [r] = await rows<{ messageId: string; type: string }>(
    db,
    sql`select e.message_id as "messageId", e.type::text as type
        from messages m join email_events e on e.message_id = m.id and e.workspace_id = m.workspace_id
        where m.workspace_id = ${q.workspaceId}::uuid and m.enrollment_id = ${q.enrollmentId}::uuid
          and e.type in ${types} and not e.machine and e.occurred_at >= ${ts(q.since)} and e.occurred_at <= ${ts(q.at)}
        order by (e.type = 'clicked') desc, e.occurred_at desc, e.id desc
        limit 1`,
  );
  return r ? { messageId: r.messageId, via: r.type === "clicked" ? "click" : "open" } : null;
}

/** Records a conversion once per enrollment and goal; returns whether this call recorded it. */
export async function recordConversion(
  db: Db,
  q: {
    workspaceId: string;
    flowId: string;
    flowVersionId: string;
    enrollmentId: string;
    contactId: string;
    nodeId: string;
    goalName: string;
    eventId: string | null;
    messageId: string | null;
    attributedVia: "click" | "open" | null;
    revenue: number | null;
    currency: string | null;
    occurredAt: Date;
  },
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    db,
    sql`insert into conversions (workspace_id, flow_id, flow_version_id, enrollment_id, contact_id, node_id, goal_name, event_id,
                                 message_id, attributed_via, revenue, currency, occurred_at, message_node_id, split_path)
        select e.workspace_id, e.flow_id, ${q.flowVersionId}::uuid, e.id, ${q.contactId}::uuid, ${q.nodeId}, ${q.goalName}, ${q.eventId}::uuid,
               ${q.messageId}::uuid, ${q.attributedVia}, ${q.revenue}, ${q.currency}, ${ts(q.occurredAt)},
               (select m.node_id from messages m where m.id = ${q.messageId}::uuid and m.workspace_id = e.workspace_id),
               conversion_split_path(e.id, e.workspace_id)
        from enrollments e where e.id = ${q.enrollmentId}::uuid and e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid
        on conflict (enrollment_id, node_id) do nothing
        returning id`,
  );
  return r.length > 0;
}
