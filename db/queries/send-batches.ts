import { gunzipSync, gzipSync } from "node:zlib";
import { and, eq, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { messages, sendBatches } from "../schema/index";

/**
 * Provider batches and the sending pace (docs/sending.md). A batch is frozen — its members, in
 * order, and the request's exact bytes — before its first call, and every later call sends those
 * bytes again under the key derived from the row, so the provider's request-wide idempotency key
 * always sees the body it first saw. Exactly-once stays with the unique per-message row: a member
 * is in at most one batch, and a batch the provider took marks all its members at once.
 */

/** The provider idempotency key of a batch: derived from its row, never from its members. */
export const batchKey = (batchId: string) => `send-batch:${batchId}`;

/**
 * The frozen body's compression: the fastest level. The row lives only until the provider takes
 * the batch (the body is dropped then), so CPU per batch matters more than bytes on disk.
 */
const GZIP_LEVEL = 1;

/** How long one caller holds a batch while it calls the provider with it. */
const LEASE_SECONDS = 60;

/**
 * Reserves the workspace's next request slot: one slot every `intervalMs`, never more than
 * `aheadMs` past now. Returns how long to wait for the slot (0: go now), or null with how long
 * until a slot could be reserved, when the queue of reserved slots is already `aheadMs` long.
 */
export async function reservePaceSlot(
  db: Db,
  q: { workspaceId: string; intervalMs: number; aheadMs: number },
): Promise<{ waitMs: number } | { fullForMs: number }> {
  const interval = `${q.intervalMs} milliseconds`;
  const [row] = await rows<{ waitMs: number | string }>(db, sql`
    insert into send_pace (workspace_id, next_at)
    values (${q.workspaceId}::uuid, clock_timestamp() + ${interval}::interval)
    on conflict (workspace_id) do update
      set next_at = greatest(send_pace.next_at, clock_timestamp()) + ${interval}::interval
      where send_pace.next_at <= clock_timestamp() + ${`${q.aheadMs} milliseconds`}::interval
    returning greatest(0, extract(epoch from (next_at - ${interval}::interval - clock_timestamp())) * 1000) as "waitMs"`);
  if (row) return { waitMs: Math.ceil(Number(row.waitMs)) };
  const [full] = await rows<{ ms: number | string }>(db, sql`
    select greatest(0, extract(epoch from (next_at - clock_timestamp())) * 1000 - ${q.aheadMs}) as ms
    from send_pace where workspace_id = ${q.workspaceId}::uuid`);
  return { fullForMs: Math.max(1, Math.ceil(Number(full?.ms ?? 1))) };
}

/**
 * Freezes a batch of queued messages: each member not yet in a batch joins this one, and the row
 * keeps the members in request order with the body built for them; the caller holds the batch for
 * its first call. Null when every message is in a batch already (each goes with its own).
 */
export async function freezeBatch(
  db: Db,
  q: { workspaceId: string; messageIds: string[]; body: (members: string[]) => string },
): Promise<TakenBatch | null> {
  // Usually every message is free (a broadcast's batch, a flow group): then the batch is frozen in
  // one statement — lock the members, insert the batch only if all of them are free, point them at
  // it — a round trip instead of a transaction's five.
  const body = q.body(q.messageIds);
  const ids = sql.param(q.messageIds);
  const [whole] = await rows<{ id: string }>(db, sql`
    with free as (
      select id from ${messages}
      where workspace_id = ${q.workspaceId}::uuid and id = any(${ids}::uuid[]) and batch_id is null and status = 'queued'
      for update
    ), batch as (
      insert into send_batches (workspace_id, message_ids, body, attempts, lease_until)
      select ${q.workspaceId}::uuid, ${ids}::uuid[], decode(${gzipSync(body, { level: GZIP_LEVEL }).toString("base64")}, 'base64'), 1,
             clock_timestamp() + ${`${LEASE_SECONDS} seconds`}::interval
      where (select count(*) from free) = ${q.messageIds.length}
      returning id
    ), joined as (
      update ${messages} m set batch_id = batch.id from batch where m.workspace_id = ${q.workspaceId}::uuid and m.id = any(${ids}::uuid[])
    )
    select id from batch`);
  if (whole) return { batchId: whole.id, members: q.messageIds, body };
  // Some are in a batch already (an earlier attempt's): the free ones make one of their own.
  return db.transaction(async (tx) => {
    // Locked, not rewritten: a row lock keeps a concurrent freeze off these members without
    // writing a new version of each row (and its index entries) only to take the lock.
    const taken = await rows<{ id: string }>(tx, sql`
      select id from ${messages}
      where workspace_id = ${q.workspaceId}::uuid and id = any(${sql.param(q.messageIds)}::uuid[]) and batch_id is null and status = 'queued'
      for update`);
    const free = new Set(taken.map((t) => t.id));
    const members = q.messageIds.filter((id) => free.has(id));
    if (members.length === 0) return null;
    const body = q.body(members);
    const [batch] = await tx
      .insert(sendBatches)
      // The freezing caller makes the first call: it holds the batch from the start.
      .values({ workspaceId: q.workspaceId, messageIds: members, body: gzipSync(body, { level: GZIP_LEVEL }), attempts: 1, leaseUntil: sql`clock_timestamp() + ${`${LEASE_SECONDS} seconds`}::interval` })
      .returning({ id: sendBatches.id });
    await tx
      .update(messages)
      .set({ batchId: batch!.id })
      .where(and(eq(messages.workspaceId, q.workspaceId), sql`${messages.id} = any(${sql.param(members)}::uuid[])`));
    return { batchId: batch!.id, members, body };
  });
}

export type TakenBatch = { batchId: string; members: string[]; body: string };

/**
 * Takes a pending batch to call the provider with: null when it was sent or split already, or
 * another caller holds it (then `heldForMs` says for how long).
 */
export async function takeBatch(
  db: Db,
  q: { workspaceId: string; batchId: string },
): Promise<{ taken: TakenBatch } | { status: "sent" | "split" } | { heldForMs: number }> {
  const [row] = await rows<{ members: string[]; body: Buffer | Uint8Array }>(db, sql`
    update send_batches set lease_until = clock_timestamp() + ${`${LEASE_SECONDS} seconds`}::interval, attempts = attempts + 1
    where id = ${q.batchId}::uuid and workspace_id = ${q.workspaceId}::uuid and status = 'pending'
      and (lease_until is null or lease_until < clock_timestamp())
    returning message_ids as members, body`);
  if (row) return { taken: { batchId: q.batchId, members: row.members, body: gunzipSync(row.body).toString("utf8") } };
  const [state] = await rows<{ status: "pending" | "sent" | "split"; heldMs: number | string | null }>(db, sql`
    select status, extract(epoch from (lease_until - clock_timestamp())) * 1000 as "heldMs"
    from send_batches where id = ${q.batchId}::uuid and workspace_id = ${q.workspaceId}::uuid`);
  if (!state || state.status === "split") return { status: "split" };
  if (state.status === "sent") return { status: "sent" };
  return { heldForMs: Math.max(1, Math.ceil(Number(state.heldMs ?? 1))) };
}

/**
 * The provider took the batch: every member is sent with its id (in request order) and the
 * subject it went out with, and the body is dropped. One transaction, so no member is left behind.
 */
export async function completeBatch(
  db: Db,
  q: { workspaceId: string; batchId: string; members: string[]; providerIds: string[]; subjects: string[]; at: Date },
): Promise<void> {
  if (q.providerIds.length !== q.members.length) throw new Error(`batch ${q.batchId}: ${q.providerIds.length} ids for ${q.members.length} messages`);
  // One statement, so its two updates commit together (a WITH's update always runs in full): a
  // round trip per batch rather than a transaction's four.
  await db.execute(sql`
    with sent as (
      update messages m set status = 'sent', provider_message_id = s.provider_id, subject = s.subject, sent_at = ${q.at.toISOString()}::timestamptz, error = null
      from unnest(${sql.param(q.members)}::uuid[], ${sql.param(q.providerIds)}::text[], ${sql.param(q.subjects)}::text[]) as s(id, provider_id, subject)
      where m.id = s.id and m.workspace_id = ${q.workspaceId}::uuid and m.batch_id = ${q.batchId}::uuid and m.status = 'queued'
    )
    update send_batches set status = 'sent', body = null, lease_until = null, error = null, sent_at = ${q.at.toISOString()}::timestamptz
    where id = ${q.batchId}::uuid and workspace_id = ${q.workspaceId}::uuid`);
}

/** The call failed in a way worth trying again (rate limit, outage): the batch stays as frozen. */
export async function releaseBatch(db: Db, q: { workspaceId: string; batchId: string; error: string }): Promise<void> {
  await db
    .update(sendBatches)
    .set({ leaseUntil: null, error: q.error.slice(0, 500) })
    .where(and(eq(sendBatches.id, q.batchId), eq(sendBatches.workspaceId, q.workspaceId)));
}

/**
 * The provider refused the request as a whole: its members keep pointing at it and, seeing it
 * split, go out alone, each under its own message key, so one bad message cannot hold back the rest.
 */
export async function splitBatch(db: Db, q: { workspaceId: string; batchId: string; error: string }): Promise<void> {
  await db
    .update(sendBatches)
    .set({ status: "split", body: null, leaseUntil: null, error: q.error.slice(0, 500) })
    .where(and(eq(sendBatches.id, q.batchId), eq(sendBatches.workspaceId, q.workspaceId)));
}

/** A message's state as the batch path needs it, read again after a batch moved on. */
export async function messageSendState(db: Db, q: { workspaceId: string; messageId: string }) {
  const [row] = await db
    .select({ status: messages.status, providerMessageId: messages.providerMessageId, batchId: messages.batchId, subject: messages.subject })
    .from(messages)
    .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.id, q.messageId)));
  return row ?? null;
}
