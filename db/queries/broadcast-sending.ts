import { and, eq, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { broadcastRecipients, broadcasts, messages, templateVersions, workspaces } from "../schema/index";
import type { ContactStatus, LedgerKind } from "@/lib/consent/rules";

/**
 * What the broadcast sender reads and writes (docs/broadcasts.md, "Sending"), every statement
 * scoped by workspace and set-based over a batch: a batch of 100 recipients costs a handful of
 * statements, not hundreds.
 */

/** A broadcast with what its sends need: the pinned template version and the workspace's settings. */
export async function broadcastForSending(db: Db, q: { workspaceId: string; broadcastId: string }) {
  const [row] = await db
    .select({
      id: broadcasts.id,
      name: broadcasts.name,
      status: broadcasts.status,
      audience: broadcasts.audience,
      bypassCaps: broadcasts.bypassCaps,
      scheduledAt: broadcasts.scheduledAt,
      subject: broadcasts.subject,
      preheader: broadcasts.preheader,
      fromName: broadcasts.fromName,
      fromEmail: broadcasts.fromEmail,
      replyTo: broadcasts.replyTo,
      utm: broadcasts.utm,
      recipientCount: broadcasts.recipientCount,
      version: {
        id: templateVersions.id,
        templateId: templateVersions.templateId,
        createdAt: templateVersions.createdAt,
        class: templateVersions.class,
        topic: templateVersions.topic,
        subject: templateVersions.subject,
        preheader: templateVersions.preheader,
        body: templateVersions.body,
      },
      workspace: {
        name: workspaces.name,
        secret: workspaces.secret,
        sendingPolicy: workspaces.sendingPolicy,
        fromName: workspaces.fromName,
        fromEmail: workspaces.fromEmail,
        replyTo: workspaces.replyTo,
        postalAddress: workspaces.postalAddress,
        timeZone: workspaces.timeZone,
      },
    })
    .from(broadcasts)
    .innerJoin(workspaces, eq(workspaces.id, broadcasts.workspaceId))
    .leftJoin(templateVersions, and(eq(templateVersions.id, broadcasts.templateVersionId), eq(templateVersions.workspaceId, broadcasts.workspaceId)))
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)));
  return row;
}

export type BroadcastForSending = NonNullable<Awaited<ReturnType<typeof broadcastForSending>>>;

/** The status only, for the checks between steps. */
export async function broadcastStatusOf(db: Db, q: { workspaceId: string; broadcastId: string }) {
  const [row] = await db
    .select({ status: broadcasts.status })
    .from(broadcasts)
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)));
  return row?.status ?? null;
}

/**
 * Sending starts: scheduled → sending (started_at kept from the first start). A sending broadcast
 * stays as it is (a resume, a retried step); any other status is returned unchanged and nothing starts.
 */
export async function startSending(db: Db, q: { workspaceId: string; broadcastId: string; at: Date }) {
  const [row] = await rows<{ status: string }>(db, sql`
    update ${broadcasts} set status = 'sending', started_at = coalesce(started_at, ${q.at.toISOString()}::timestamptz), updated_at = now()
    where workspace_id = ${q.workspaceId}::uuid and id = ${q.broadcastId}::uuid and status in ('scheduled', 'sending')
    returning status`);
  return row ? ("sending" as const) : await broadcastStatusOf(db, q);
}

/** Batch numbers that still have queued recipients, after `after`, in order (the fan-out's pages). */
export async function queuedBatchNos(db: Db, q: { workspaceId: string; broadcastId: string; after: number; limit: number }): Promise<number[]> {
  const found = await rows<{ batch_no: number }>(db, sql`
    select distinct batch_no from ${broadcastRecipients}
    where workspace_id = ${q.workspaceId}::uuid and broadcast_id = ${q.broadcastId}::uuid and status = 'queued' and batch_no > ${q.after}
    order by batch_no limit ${q.limit}`);
  return found.map((r) => r.batch_no);
}

export type RecipientFacts = {
  contactId: string;
  email: string;
  status: ContactStatus;
  firstName: string | null;
  lastName: string | null;
  timeZone: string | null;
  attributes: Record<string, unknown>;
  /** The list-wide ledger as ledgerForRules reads it, oldest first. */
  ledger: { id: string; kind: LedgerKind }[];
  /** The contact's state in `topic`: true/false, null when never asked. */
  topicSubscribed: boolean | null;
  /**
   * An earlier attempt froze this recipient's message into a provider batch, or the provider took
   * it: it is in flight, and goes (or went) out as frozen whatever has changed since.
   */
  inFlight: boolean;
};

/**
 * The queued recipients of one batch with what consent and rendering need, in one statement: the
 * contact, its list-wide ledger (the single opt-in read as ledgerForRules does) and its state in
 * the message's topic. Contacts deleted since the snapshot are gone from the answer.
 */
export async function batchRecipientFacts(
  db: Db,
  q: { workspaceId: string; broadcastId: string; batchNo: number; topic: string | null },
): Promise<RecipientFacts[]> {
  const found = await rows<{
    contact_id: string;
    email: string;
    status: ContactStatus;
    first_name: string | null;
    last_name: string | null;
    time_zone: string | null;
    attributes: Record<string, unknown>;
    ledger: { id: string; kind: LedgerKind }[];
    topic_subscribed: boolean | null;
    in_flight: boolean;
  }>(db, sql`
    select c.id as contact_id, c.email, c.status, c.first_name, c.last_name, c.time_zone, c.attributes,
      coalesce((
        select json_agg(json_build_object('id', e.id,
                 'kind', case when e.kind = 'opt_in' and coalesce((e.data ->> 'double_opt_in') = 'false', false) then 'single_opt_in' else e.kind::text end)
               order by e.occurred_at, e.id)
        from consent_events e
        where e.workspace_id = r.workspace_id and e.contact_id = c.id and e.topic is null
      ), '[]'::json) as ledger,
      ${
        q.topic
          ? sql`(select ct.subscribed from contact_topics ct join topics t on t.id = ct.topic_id and t.workspace_id = ct.workspace_id
                 where ct.workspace_id = r.workspace_id and ct.contact_id = c.id and t.key = ${q.topic})`
          : sql`null::boolean`
      } as topic_subscribed,
      (m.batch_id is not null or m.provider_message_id is not null) as in_flight
    from ${broadcastRecipients} r
    join contacts c on c.id = r.contact_id and c.workspace_id = r.workspace_id
    left join ${messages} m on m.workspace_id = r.workspace_id and m.idempotency_key = 'broadcast:' || r.broadcast_id || ':' || r.contact_id
    where r.workspace_id = ${q.workspaceId}::uuid and r.broadcast_id = ${q.broadcastId}::uuid and r.batch_no = ${q.batchNo} and r.status = 'queued'
    order by r.contact_id`);
  return found.map((r) => ({
    contactId: r.contact_id,
    email: r.email,
    status: r.status,
    firstName: r.first_name,
    lastName: r.last_name,
    timeZone: r.time_zone,
    attributes: r.attributes,
    ledger: r.ledger,
    topicSubscribed: r.topic_subscribed,
    inFlight: r.in_flight,
  }));
}

/** Epoch ms of each contact's marketing messages sent since `since` (the frequency cap), for many contacts. */
export async function recentMarketingSendsOf(db: Db, q: { workspaceId: string; contactIds: string[]; since: Date }): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (q.contactIds.length === 0) return out;
  const found = await rows<{ contact_id: string; sent_at: Date | string }>(db, sql`
    select contact_id, sent_at from ${messages}
    where workspace_id = ${q.workspaceId}::uuid and contact_id = any(${sql.param(q.contactIds)}::uuid[])
      and class = 'marketing' and sent_at is not null and sent_at > ${q.since.toISOString()}::timestamptz`);
  for (const r of found) {
    const list = out.get(r.contact_id) ?? [];
    list.push(new Date(r.sent_at).getTime());
    out.set(r.contact_id, list);
  }
  return out;
}

export type BroadcastMessageClaim = {
  contactId: string;
  toEmail: string;
  unsubscribeToken: string | null;
  consentEventId: string | null;
  permissionBasis: string;
};

/** The idempotency key of a broadcast's message to a contact: one per broadcast and contact, ever. */
export const broadcastMessageKey = (broadcastId: string, contactId: string) => `broadcast:${broadcastId}:${contactId}`;

/**
 * Claims the batch's message rows in one statement (a row already there, from an earlier attempt,
 * is kept as it is) and returns them all, whatever attempt made them.
 */
export async function claimBroadcastMessages(
  db: Db,
  q: { workspaceId: string; broadcastId: string; templateId: string; templateVersionId: string; class: "marketing" | "transactional"; subject: string; claims: BroadcastMessageClaim[] },
) {
  if (q.claims.length === 0) return [];
  const keys = q.claims.map((c) => broadcastMessageKey(q.broadcastId, c.contactId));
  const c = q.claims;
  type Claimed = { id: string; contactId: string | null; status: string; batchId: string | null; providerMessageId: string | null; unsubscribeToken: string | null };
  const select = sql`
    select id, contact_id as "contactId", status, batch_id as "batchId", provider_message_id as "providerMessageId", unsubscribe_token as "unsubscribeToken"
    from ${messages} where workspace_id = ${q.workspaceId}::uuid and idempotency_key = any(${sql.param(keys)}::text[])`;
  // One statement over arrays rather than a row of parameters per message (a batch is 100 rows):
  // the rows it inserts, and those an earlier attempt made (which its own insert cannot see, so
  // none twice).
  const got = await rows<Claimed>(db, sql`
    with claimed as (
      insert into ${messages} (workspace_id, idempotency_key, contact_id, template_id, template_version_id, broadcast_id, class, to_email, subject,
                               unsubscribe_token, consent_event_id, permission_basis, status)
      select ${q.workspaceId}::uuid, s.key, s.contact_id, ${q.templateId}::uuid, ${q.templateVersionId}::uuid, ${q.broadcastId}::uuid, ${q.class}::message_class,
             s.to_email, ${q.subject}, s.token, s.consent_event_id, s.basis, 'queued'
      from unnest(${sql.param(keys)}::text[], ${sql.param(c.map((x) => x.contactId))}::uuid[], ${sql.param(c.map((x) => x.toEmail))}::text[],
                  ${sql.param(c.map((x) => x.unsubscribeToken))}::text[], ${sql.param(c.map((x) => x.consentEventId))}::uuid[],
                  ${sql.param(c.map((x) => x.permissionBasis))}::text[]) as s(key, contact_id, to_email, token, consent_event_id, basis)
      on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
      returning id, contact_id, status, batch_id, provider_message_id, unsubscribe_token
    )
    select id, contact_id as "contactId", status, batch_id as "batchId", provider_message_id as "providerMessageId", unsubscribe_token as "unsubscribeToken"
    from claimed
    union all
    ${select}`);
  // A concurrent attempt committed a row after this statement's snapshot: read them all afresh.
  return got.length === keys.length ? got : rows<Claimed>(db, select);
}

export type RecipientOutcome = { contactId: string; status: "sent" | "skipped" | "failed"; reason: string | null; messageId: string | null };

/** Records the batch's outcomes in one statement; only rows still queued change. */
export async function markRecipients(db: Db, q: { workspaceId: string; broadcastId: string; outcomes: RecipientOutcome[] }): Promise<void> {
  if (q.outcomes.length === 0) return;
  const o = q.outcomes;
  await db.execute(sql`
    update ${broadcastRecipients} r set status = s.status::broadcast_recipient_status, reason = s.reason, message_id = s.message_id, updated_at = now()
    from unnest(${sql.param(o.map((x) => x.contactId))}::uuid[], ${sql.param(o.map((x) => x.status))}::text[],
                ${sql.param(o.map((x) => x.reason))}::text[], ${sql.param(o.map((x) => x.messageId))}::uuid[]) as s(contact_id, status, reason, message_id)
    where r.workspace_id = ${q.workspaceId}::uuid and r.broadcast_id = ${q.broadcastId}::uuid and r.contact_id = s.contact_id and r.status = 'queued'`);
}

/**
 * sending → sent once no recipient is queued. Conditional, so of the batches finishing together
 * exactly one flips it (the last to commit always sees the others' rows). True when this call did.
 *
 * Every batch asks, so the question must be cheap while most are queued: a `not exists` was planned
 * as a scan of the broadcast's recipients (the statistics say nearly all are queued), passing every
 * row already sent, 10 ms and more a batch at 100k. Batches go out in contact-id order, so walking
 * the key from the highest contact meets a queued one at once until the last batches; only those
 * walk it all.
 */
export async function finishIfDone(db: Db, q: { workspaceId: string; broadcastId: string; at: Date }): Promise<boolean> {
  const done = await rows<{ id: string }>(db, sql`
    update ${broadcasts} b set status = 'sent', finished_at = ${q.at.toISOString()}::timestamptz, updated_at = now()
    where b.workspace_id = ${q.workspaceId}::uuid and b.id = ${q.broadcastId}::uuid and b.status = 'sending'
      and (select r.contact_id from ${broadcastRecipients} r where r.broadcast_id = b.id and r.status = 'queued'
           order by r.contact_id desc limit 1) is null
    returning b.id`);
  return done.length > 0;
}

/**
 * Marks messages the provider took, in one statement: those still queued (sent alone after a split
 * batch; a batch's members were marked with it) get their provider id and rendered subject.
 */
export async function markMessagesSent(db: Db, q: { workspaceId: string; at: Date; sent: { messageId: string; providerMessageId: string; subject: string }[] }): Promise<void> {
  if (q.sent.length === 0) return;
  const s = q.sent;
  await db.execute(sql`
    update ${messages} m set status = 'sent', provider_message_id = s.provider_id, subject = s.subject, sent_at = ${q.at.toISOString()}::timestamptz, error = null
    from unnest(${sql.param(s.map((x) => x.messageId))}::uuid[], ${sql.param(s.map((x) => x.providerMessageId))}::text[], ${sql.param(s.map((x) => x.subject))}::text[]) as s(id, provider_id, subject)
    where m.id = s.id and m.workspace_id = ${q.workspaceId}::uuid and m.status = 'queued'`);
}
