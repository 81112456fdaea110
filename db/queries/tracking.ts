import { and, eq, isNull, sql } from "drizzle-orm";
import { uuidv7 } from "@/lib/ids";
import { clientOf, rows, type Db, type Tx } from "../client";
import { appOutbox, contacts, eventOutboxBatches, events, trackingIdentities } from "../schema/index";

/** One accepted tracking message, already validated and normalised (lib/tracking). */
export type TrackingWrite = {
  workspaceId: string;
  type: "identify" | "track" | "page" | "screen" | "group" | "alias";
  messageId: string;
  userId?: string;
  anonymousId?: string;
  name: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
  /** From identify traits: what the contact record may learn. */
  contact?: { email?: string; firstName?: string; lastName?: string };
  /** From group: the account's attributes stored on the contact (lib/tracking groupAttributes). */
  groupAttributes?: Record<string, string | number | boolean>;
  /** From alias: the id (anonymous or an old user id) merged into `userId`'s contact. */
  previousId?: string;
};

/** Links an anonymous id to a contact and hands that visitor's waiting events to the contact. */
async function linkAnonymous(tx: Tx, workspaceId: string, anonymousId: string, contactId: string) {
  await tx.insert(trackingIdentities).values({ workspaceId, anonymousId, contactId }).onConflictDoNothing();
  const merged = await tx
    .update(events)
    .set({ contactId })
    .where(and(eq(events.workspaceId, workspaceId), eq(events.anonymousId, anonymousId), isNull(events.contactId)))
    .returning({ id: events.id });
  // They join the forwarder's queue at once, in the same transaction.
  if (merged.length) await tx.insert(eventOutboxBatches).values({ eventIds: merged.map((m) => m.id) });
}

const byExternalId = (tx: Tx, workspaceId: string, externalId: string) =>
  tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.externalId, externalId)))
    .then((r) => r[0]?.id);
const byAnonymousId = (tx: Tx, workspaceId: string, anonymousId: string) =>
  tx
    .select({ id: trackingIdentities.contactId })
    .from(trackingIdentities)
    .where(and(eq(trackingIdentities.workspaceId, workspaceId), eq(trackingIdentities.anonymousId, anonymousId)))
    .then((r) => r[0]?.id);

/**
 * Alias: `previousId` (an anonymous id, or the user id the person had before) and everything sent
 * under it become `userId`'s. The contact is the one known by userId, else the one known by
 * previousId as a user id or an anonymous id; a contact without a user id takes userId. Two
 * different contacts are never merged (each has its own consent record): the alias then only links
 * the ids nobody claims yet. Events waiting under previousId (as anonymous id or user id) join it.
 */
async function alias(tx: Tx, w: TrackingWrite): Promise<string | undefined> {
  const userId = w.userId!;
  const previousId = w.previousId!;
  let contactId = await byExternalId(tx, w.workspaceId, userId);
  if (!contactId) {
    contactId = (await byExternalId(tx, w.workspaceId, previousId)) ?? (await byAnonymousId(tx, w.workspaceId, previousId));
    if (w.anonymousId && !contactId) contactId = await byAnonymousId(tx, w.workspaceId, w.anonymousId);
    if (!contactId) return undefined;
    // The new user id replaces an old one (or none): later calls with userId find the contact.
    await tx
      .update(contacts)
      .set({ externalId: userId, updatedAt: new Date() })
      .where(and(eq(contacts.workspaceId, w.workspaceId), eq(contacts.id, contactId), sql`(${contacts.externalId} is null or ${contacts.externalId} = ${previousId})`));
  }
  for (const anonymousId of new Set([previousId, w.anonymousId].filter((a): a is string => !!a))) await linkAnonymous(tx, w.workspaceId, anonymousId, contactId);
  const merged = await tx
    .update(events)
    .set({ contactId })
    .where(and(eq(events.workspaceId, w.workspaceId), eq(events.userId, previousId), isNull(events.contactId)))
    .returning({ id: events.id });
  if (merged.length) await tx.insert(eventOutboxBatches).values({ eventIds: merged.map((m) => m.id) });
  return contactId;
}

/**
 * Group: the account's traits become attributes of the contact behind the message (found by
 * userId or anonymous id; an unknown visitor's group call stays an event only). Newer values
 * replace older ones; other attributes are kept.
 */
async function group(tx: Tx, w: TrackingWrite): Promise<string | undefined> {
  const contactId =
    (w.userId && (await byExternalId(tx, w.workspaceId, w.userId))) || (w.anonymousId && (await byAnonymousId(tx, w.workspaceId, w.anonymousId))) || undefined;
  if (!contactId || !w.groupAttributes) return contactId;
  await tx
    .update(contacts)
    .set({ attributes: sql`${contacts.attributes} || ${JSON.stringify(w.groupAttributes)}::jsonb`, updatedAt: new Date() })
    .where(and(eq(contacts.workspaceId, w.workspaceId), eq(contacts.id, contactId)));
  return contactId;
}

/**
 * Resolves (and on identify creates or updates) the contact behind a message. Identify links the
 * anonymous id to the contact and attaches that visitor's earlier events (the anonymous → known
 * merge), which become ready to forward. A contact created here has given no consent: it is unconfirmed and gets no marketing.
 */
async function identify(tx: Tx, w: TrackingWrite): Promise<string | undefined> {
  const email = w.contact?.email;
  let [found] = w.userId
    ? await tx.select({ id: contacts.id }).from(contacts).where(and(eq(contacts.workspaceId, w.workspaceId), eq(contacts.externalId, w.userId)))
    : [];
  if (!found && email)
    [found] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.workspaceId, w.workspaceId), sql`lower(${contacts.email}) = lower(${email})`));
  const names = { ...(w.contact?.firstName ? { firstName: w.contact.firstName } : {}), ...(w.contact?.lastName ? { lastName: w.contact.lastName } : {}) };
  let contactId = found?.id;
  if (contactId) {
    await tx
      .update(contacts)
      .set({ ...names, ...(w.userId ? { externalId: w.userId } : {}), updatedAt: new Date() })
      .where(and(eq(contacts.workspaceId, w.workspaceId), eq(contacts.id, contactId), w.userId ? sql`(${contacts.externalId} is null or ${contacts.externalId} = ${w.userId})` : undefined));
  } else if (email) {
    const [created] = await tx
      .insert(contacts)
      .values({ workspaceId: w.workspaceId, email, externalId: w.userId ?? null, ...names, status: "unconfirmed", source: "tracking" })
      .onConflictDoNothing()
      .returning({ id: contacts.id });
    contactId = created?.id;
  }
  if (contactId && w.anonymousId) await linkAnonymous(tx, w.workspaceId, w.anonymousId, contactId);
  return contactId;
}

/**
 * A group's events and its outbox row in one statement, so a group without identifies is a single
 * round trip that commits on its own. Input: one JSON array of rows (`$1`, positional: cheaper to
 * decode than objects), so the statement text never changes with the group size and stays
 * prepared. A message's contact is the one its identify in this group resolved, else the contact
 * with its userId, else the one its anonymous id is linked to. Events with a contact are listed in
 * one outbox row for the forwarder; the others wait (events_waiting_idx). A repeated messageId is
 * skipped (ON CONFLICT DO NOTHING), within the group as well. Event ids are time-ordered
 * (lib/ids): the events key grows at its right edge.
 */
const insertGroup = `
  with input as (
    select (r->>0)::uuid as ws, r->>1 as uid, r->>2 as aid, (r->>3)::uuid as cu, (r->>4)::uuid as ca,
           r->>5 as name, r->>6 as type, r->7 as props, r->>8 as mid, (r->>9)::timestamptz as ts, (r->>10)::uuid as id
    from jsonb_array_elements($1::text::jsonb) r
  ), stored as (
    insert into events (id, workspace_id, contact_id, anonymous_id, user_id, name, type, properties, message_id, occurred_at, source)
    select i.id, i.ws,
           coalesce(i.cu,
                    (select c.id from contacts c where c.workspace_id = i.ws and c.external_id = i.uid),
                    i.ca,
                    (select t.contact_id from tracking_identities t where t.workspace_id = i.ws and t.anonymous_id = i.aid)),
           i.aid, i.uid, i.name, i.type, i.props, i.mid, i.ts, 'tracking'
    from input i
    on conflict (workspace_id, message_id) where message_id is not null do nothing
    returning id, contact_id
  ), queued as (
    insert into event_outbox_batches (event_ids)
    select array_agg(id) from stored where contact_id is not null having count(*) > 0
  )
  select count(*)::int as inserted from stored`;

/** The messages that change contacts, in the order they arrived, before the events are stored. */
const contactSteps: Partial<Record<TrackingWrite["type"], (tx: Tx, w: TrackingWrite) => Promise<string | undefined>>> = { identify, alias, group };

/**
 * Commits a group of messages from many requests (grouped commit): the events, and one outbox row
 * listing the new ones that have a contact, in one statement. Identifies (and aliases and groups) first create or update their contacts (and link
 * anonymous ids) in a transaction of their own: that part is idempotent, so if the events then
 * fail to commit, the sender's retry finds the contact and changes nothing. A repeated messageId
 * is skipped, as Segment retries. Returns how many were new.
 */
export async function writeTrackingBatch(db: Db, writes: TrackingWrite[]): Promise<{ inserted: number; duplicates: number }> {
  if (writes.length === 0) return { inserted: 0, duplicates: 0 };
  const key = (ws: string, kind: "u" | "a", id: string) => `${ws}\u0000${kind}\u0000${id}`;
  const contactOf = new Map<string, string>();
  if (writes.some((w) => w.type in contactSteps))
    await db.transaction(async (tx) => {
      for (const w of writes) {
        const step = contactSteps[w.type];
        if (!step) continue;
        const c = await step(tx, w);
        if (c && w.userId) contactOf.set(key(w.workspaceId, "u", w.userId), c);
        if (c && w.anonymousId) contactOf.set(key(w.workspaceId, "a", w.anonymousId), c);
      }
    });
  const input = writes.map((w) => [
    w.workspaceId,
    w.userId ?? null,
    w.anonymousId ?? null,
    (w.userId && contactOf.get(key(w.workspaceId, "u", w.userId))) || null,
    (w.anonymousId && contactOf.get(key(w.workspaceId, "a", w.anonymousId))) || null,
    w.name,
    w.type,
    w.properties,
    w.messageId,
    w.occurredAt,
    uuidv7(),
  ]);
  const [row] = await clientOf(db).unsafe<{ inserted: number }[]>(insertGroup, [JSON.stringify(input)], { prepare: true });
  const inserted = row?.inserted ?? 0;
  return { inserted, duplicates: writes.length - inserted };
}

export type OutboxEvent = {
  eventId: string;
  workspaceId: string;
  contactId: string;
  name: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
};

/**
 * Gives waiting events (no contact yet) whose person became known after they were stored the
 * contact (an event committed in parallel with the identify that created its contact, or before
 * it), by userId first, then by anonymous id, and queues them for the forwarder in one outbox row.
 * Reads every waiting event: callers space the runs by their cost. Returns how many it attached.
 */
export async function attachPendingEvents(db: Db): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql`
    with found as (
      select e.id,
             coalesce((select c.id from ${contacts} c where c.workspace_id = e.workspace_id and c.external_id = e.user_id),
                      (select t.contact_id from ${trackingIdentities} t where t.workspace_id = e.workspace_id and t.anonymous_id = e.anonymous_id)) as contact_id
      from ${events} e
      where e.contact_id is null
    ), attached as (
      update ${events} e set contact_id = f.contact_id
      from found f
      where e.id = f.id and f.contact_id is not null and e.contact_id is null
      returning e.id
    ), queued as (
      insert into ${eventOutboxBatches} (event_ids)
      select array_agg(id) from attached having count(*) > 0
    )
    select count(*)::int as n from attached`);
  return row?.n ?? 0;
}

/**
 * Hands the oldest outbox rows' events to `send`, at most `limit` events a call, and deletes the
 * rows once every call returned. Rows are claimed for `claimMs` in a short statement first: no
 * transaction stays open across the sends, which on the embedded database (one session for every
 * process) would hold up the very receiver being called. A crash mid-send leaves the claim to lapse
 * and the rows to be sent again; receivers de-duplicate by event id. A listed event deleted since
 * (erasure, a deleted workspace) is not found and not sent. Returns how many rows it took and how
 * many events it sent.
 */
export async function forwardOutbox(
  db: Db,
  limit: number,
  send: (batch: OutboxEvent[]) => Promise<void>,
  claimMs = 30_000,
  // A row lists up to a whole group (1,000 events at most): ten keep a pass's sends well inside the claim.
  claimRows = 10,
): Promise<{ rows: number; sent: number }> {
  const claimed = await rows<{ id: string | number; eventIds: string[] }>(db, sql`
    update ${eventOutboxBatches} b set claimed_until = now() + ${`${claimMs} milliseconds`}::interval, attempts = b.attempts + 1
    where b.id in (
      select id from ${eventOutboxBatches}
      where claimed_until is null or claimed_until < now()
      order by id
      limit ${claimRows}
      for update skip locked)
    returning b.id, b.event_ids::text[] as "eventIds"`);
  if (claimed.length === 0) return { rows: 0, sent: 0 };
  claimed.sort((a, b) => Number(a.id) - Number(b.id));
  const order = claimed.flatMap((c) => c.eventIds);
  let sent = 0;
  for (let at = 0; at < order.length; at += limit) {
    const ids = order.slice(at, at + limit);
    const found = await rows<Omit<OutboxEvent, "occurredAt"> & { occurredAt: string | Date }>(db, sql`
      select id as "eventId", workspace_id as "workspaceId", contact_id as "contactId", name, properties, occurred_at as "occurredAt"
      from ${events}
      where id = any(${`{${ids.join(",")}}`}::uuid[]) and contact_id is not null`);
    const byId = new Map(found.map((f) => [f.eventId, { ...f, occurredAt: new Date(f.occurredAt) }]));
    const batch = ids.flatMap((id) => byId.get(id) ?? []);
    if (batch.length) await send(batch);
    sent += batch.length;
  }
  // One array parameter rather than one per row: the same statement text for any number of rows.
  await db.execute(sql`delete from ${eventOutboxBatches} where id = any(${`{${claimed.map((c) => c.id).join(",")}}`}::bigint[])`);
  return { rows: claimed.length, sent };
}

/**
 * Events not yet handed to Inngest: ready (a contact known, listed in the outbox) and waiting (an
 * unknown visitor's), each counted up to `cap` so that a huge backlog costs no more than that to
 * report; and the forwarder's lag, the age in seconds of the oldest row of the tracking outbox or
 * the app's outbox (null: both empty; found by primary key, so it costs two index reads).
 */
export async function outboxBacklog(db: Db, cap = 100_000): Promise<{ ready: number; waiting: number; capped: boolean; oldestSeconds: number | null }> {
  const [row] = await rows<{ ready: number; waiting: number; oldestSeconds: number | null }>(db, sql`
    select (select count(*)::int from (select 1 from ${eventOutboxBatches} b, unnest(b.event_ids) limit ${cap}) r) as ready,
           (select count(*)::int from (select 1 from ${events} where contact_id is null limit ${cap}) w) as waiting,
           (select extract(epoch from now() - min(o.created_at))::float8 from (
              (select created_at from ${eventOutboxBatches} order by id limit 1)
              union all
              (select created_at from ${appOutbox} order by id limit 1)) o) as "oldestSeconds"`);
  const ready = row?.ready ?? 0;
  const waiting = row?.waiting ?? 0;
  const oldest = row?.oldestSeconds;
  return { ready, waiting, capped: ready >= cap || waiting >= cap, oldestSeconds: oldest == null ? null : Math.max(0, Math.round(Number(oldest) * 10) / 10) };
}
