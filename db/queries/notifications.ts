import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { rows, type Db, type DbOrTx } from "../client";
import { flows, notifications, users } from "../schema/index";

/**
 * Notices for a workspace's owners and admins. Failed runs: one row per (kind, flow, hour)
 * counting occurrences, so a flow failing a thousand runs in an hour is one notice and at most one
 * mail. Team notices (a flow's notify-team node): one row per contact and step, keyed by
 * `dedupe_key`, naming the contact and the members told. Read state is the workspace's, shared by
 * its admins.
 */

export const FLOW_FAILED = "flow_failed";
export const TEAM_NOTIFIED = "team_notified";

const HOUR_MS = 3_600_000;
/** The UTC hour an occurrence is gathered into. */
export const hourOf = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

export type RecordedNotice = { id: string; count: number; hour: Date; mailedAt: Date | null };

/**
 * Counts one failed run of a flow into its notice for that hour (created on the first), keeping
 * the latest reason and making the notice unread again. Null when the flow is not the workspace's.
 */
export async function recordFlowFailure(
  db: Db,
  q: { workspaceId: string; flowId: string; reason: string; at: Date },
): Promise<RecordedNotice | null> {
  const at = q.at.toISOString();
  const [row] = await rows<{ id: string; count: number; hour: string | Date; mailedAt: string | Date | null }>(db, sql`
    insert into notifications (workspace_id, kind, flow_id, hour, title, detail, count, first_at, last_at)
    select f.workspace_id, ${FLOW_FAILED}, f.id, ${hourOf(q.at).toISOString()}::timestamptz,
           'Runs of “' || f.name || '” failed', ${q.reason}, 1, ${at}::timestamptz, ${at}::timestamptz
    from flows f
    where f.id = ${q.flowId}::uuid and f.workspace_id = ${q.workspaceId}::uuid
    on conflict (workspace_id, kind, flow_id, hour) where dedupe_key is null do update set
      count = notifications.count + 1,
      first_at = least(notifications.first_at, excluded.first_at),
      last_at = greatest(notifications.last_at, excluded.last_at),
      detail = case when excluded.last_at >= notifications.last_at then excluded.detail else notifications.detail end,
      read_at = null
    returning id, count, hour, mailed_at as "mailedAt"`);
  if (!row) return null;
  return { id: row.id, count: row.count, hour: new Date(row.hour), mailedAt: row.mailedAt === null ? null : new Date(row.mailedAt) };
}

/**
 * Takes the right to mail admins about a notice: true for exactly one caller, however many
 * failures arrive at once (at most one mail per notice, so per flow and hour). A caller whose
 * answer is lost and who asks again gets false: that hour's mail is skipped rather than doubled.
 */
export async function claimNoticeMail(db: Db, q: { workspaceId: string; noticeId: string; at: Date }): Promise<boolean> {
  const claimed = await rows<{ id: string }>(db, sql`
    update notifications set mailed_at = ${q.at.toISOString()}::timestamptz
    where id = ${q.noticeId}::uuid and workspace_id = ${q.workspaceId}::uuid and mailed_at is null
    returning id`);
  return claimed.length === 1;
}

export type NoticeMailFacts = {
  workspace: { slug: string; name: string };
  flow: { id: string; name: string };
  count: number;
  detail: string;
  firstAt: Date;
  lastAt: Date;
  /** The workspace's owners and admins. */
  recipients: { userId: string; email: string }[];
};

/** What the mail about a flow's failure notice says, and to whom. */
export async function noticeMailFacts(db: Db, q: { workspaceId: string; noticeId: string }): Promise<NoticeMailFacts | null> {
  const [n] = await rows<{ slug: string; ws_name: string; flow_id: string; flow_name: string; count: number; detail: string; first_at: string | Date; last_at: string | Date }>(db, sql`
    select w.slug, w.name as ws_name, f.id as flow_id, f.name as flow_name, n.count, n.detail, n.first_at, n.last_at
    from notifications n
    join workspaces w on w.id = n.workspace_id
    join flows f on f.id = n.flow_id and f.workspace_id = n.workspace_id
    where n.id = ${q.noticeId}::uuid and n.workspace_id = ${q.workspaceId}::uuid`);
  if (!n) return null;
  const recipients = await rows<{ userId: string; email: string }>(db, sql`
    select u.id as "userId", u.email
    from memberships m join users u on u.id = m.user_id
    where m.workspace_id = ${q.workspaceId}::uuid and m.role in ('owner', 'admin') and u.email is not null
    order by m.role, u.email`);
  return {
    workspace: { slug: n.slug, name: n.ws_name },
    flow: { id: n.flow_id, name: n.flow_name },
    count: n.count,
    detail: n.detail,
    firstAt: new Date(n.first_at),
    lastAt: new Date(n.last_at),
    recipients,
  };
}

/** The workspace's notices, latest first, with the flow's current name and, for team notices, who was told. */
export async function listNotices(db: Db, q: { workspaceId: string; limit?: number }) {
  const list = await db
    .select({
      id: notifications.id,
      kind: notifications.kind,
      flowId: notifications.flowId,
      flowName: flows.name,
      title: notifications.title,
      detail: notifications.detail,
      count: notifications.count,
      hour: notifications.hour,
      firstAt: notifications.firstAt,
      lastAt: notifications.lastAt,
      mailedAt: notifications.mailedAt,
      readAt: notifications.readAt,
      contactId: notifications.contactId,
      nodeId: notifications.nodeId,
      recipientUserIds: notifications.recipientUserIds,
    })
    .from(notifications)
    .leftJoin(flows, and(eq(flows.id, notifications.flowId), eq(flows.workspaceId, notifications.workspaceId)))
    .where(eq(notifications.workspaceId, q.workspaceId))
    .orderBy(desc(notifications.lastAt), desc(notifications.id))
    .limit(q.limit ?? 100);
  const ids = [...new Set(list.flatMap((n) => n.recipientUserIds ?? []))];
  // Users, not memberships: someone told and removed since is still who was told.
  const people = ids.length ? await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids)) : [];
  const byId = new Map(people.map((p) => [p.id, p.name || p.email || "a former user"]));
  return list.map((n) => ({ ...n, told: (n.recipientUserIds ?? []).map((id) => byId.get(id) ?? "a former user") }));
}

// ---------------------------------------------------------------- team notices (notify-team nodes)

/** Those of `userIds` who are members of the workspace now, with how to reach them. */
export async function membersAmong(db: DbOrTx, q: { workspaceId: string; userIds: readonly string[] }) {
  if (q.userIds.length === 0) return [];
  return rows<{ userId: string; name: string | null; email: string | null }>(db, sql`
    select u.id as "userId", u.name, u.email
    from memberships m join users u on u.id = m.user_id
    where m.workspace_id = ${q.workspaceId}::uuid
      and m.user_id in (${sql.join(q.userIds.map((id) => sql`${id}::uuid`), sql`, `)})
    order by u.email`);
}

export type TeamNotice = {
  id: string;
  /** False when an earlier try of the same step made it (a retried step). */
  created: boolean;
  flow: { id: string; name: string };
  contact: { id: string; display: string };
  workspace: { slug: string; name: string };
};

/**
 * Records a notify-team node's notice for one contact, once per `dedupeKey` (`<enrollment>:<step>`):
 * a retried step finds the row it made. The title names the flow and the contact by name, or
 * address when they have none (erasing the contact blanks it: eraseTeamNotices). Null when the
 * flow or contact is not the workspace's.
 */
export async function recordTeamNotice(
  db: Db,
  q: { workspaceId: string; flowId: string; contactId: string; nodeId: string; dedupeKey: string; message: string; recipientUserIds: string[]; at: Date },
): Promise<TeamNotice | null> {
  const at = q.at.toISOString();
  const display = sql`coalesce(nullif(trim(concat_ws(' ', c.first_name, c.last_name)), ''), c.email)`;
  const ids = q.recipientUserIds.length
    ? sql`array[${sql.join(q.recipientUserIds.map((id) => sql`${id}::uuid`), sql`, `)}]::uuid[]`
    : sql`array[]::uuid[]`;
  const inserted = await rows<{ id: string }>(db, sql`
    insert into notifications (workspace_id, kind, flow_id, hour, title, detail, count, first_at, last_at, contact_id, node_id, recipient_user_ids, dedupe_key)
    select f.workspace_id, ${TEAM_NOTIFIED}, f.id, ${hourOf(q.at).toISOString()}::timestamptz, f.name || ': ' || ${display}, ${q.message}, 1,
           ${at}::timestamptz, ${at}::timestamptz, c.id, ${q.nodeId}, ${ids}, ${q.dedupeKey}
    from flows f join contacts c on c.workspace_id = f.workspace_id and c.id = ${q.contactId}::uuid
    where f.id = ${q.flowId}::uuid and f.workspace_id = ${q.workspaceId}::uuid
    on conflict (workspace_id, dedupe_key) where dedupe_key is not null do nothing
    returning id`);
  const [row] = await rows<{ id: string; flow_id: string; flow_name: string; contact_id: string; display: string; slug: string; ws_name: string }>(db, sql`
    select n.id, f.id as flow_id, f.name as flow_name, c.id as contact_id, ${display} as display, w.slug, w.name as ws_name
    from notifications n
    join flows f on f.id = n.flow_id and f.workspace_id = n.workspace_id
    join contacts c on c.id = n.contact_id and c.workspace_id = n.workspace_id
    join workspaces w on w.id = n.workspace_id
    where n.workspace_id = ${q.workspaceId}::uuid and n.dedupe_key = ${q.dedupeKey}`);
  if (!row) return null;
  return {
    id: row.id,
    created: inserted.length === 1,
    flow: { id: row.flow_id, name: row.flow_name },
    contact: { id: row.contact_id, display: row.display },
    workspace: { slug: row.slug, name: row.ws_name },
  };
}

/** Erasure (lib/server/consent/gdpr.ts): the contact's team notices keep no name or address. */
export async function eraseTeamNotices(db: DbOrTx, q: { workspaceId: string; contactId: string }) {
  await db
    .update(notifications)
    .set({ title: sql`coalesce((select f.name from flows f where f.id = ${notifications.flowId}), 'A flow') || ': an erased contact'` })
    .where(and(eq(notifications.workspaceId, q.workspaceId), eq(notifications.contactId, q.contactId)));
}

/** Notices nobody has marked read yet (the header's count). */
export async function unreadNoticeCount(db: Db, q: { workspaceId: string }): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.workspaceId, q.workspaceId), isNull(notifications.readAt)));
  return r?.n ?? 0;
}

/** Marks notices read (all the workspace's unread ones when `ids` is absent); returns how many changed. */
export async function markNoticesRead(db: Db, q: { workspaceId: string; ids?: string[]; at: Date }): Promise<number> {
  if (q.ids && q.ids.length === 0) return 0;
  const changed = await db
    .update(notifications)
    .set({ readAt: q.at })
    .where(and(eq(notifications.workspaceId, q.workspaceId), isNull(notifications.readAt), q.ids ? inArray(notifications.id, q.ids) : undefined))
    .returning({ id: notifications.id });
  return changed.length;
}
