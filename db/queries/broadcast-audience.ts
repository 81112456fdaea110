import { createHash } from "node:crypto";
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import {
  broadcastRecipients,
  broadcasts,
  consentEvents,
  contacts,
  contactTopics,
  segmentMemberships,
  suppressions,
  topics,
  workspaces,
} from "../schema/index";
import { LEFT_OUT_REASONS, type Audience, type LeftOutReason } from "@/lib/broadcasts/audience";

/**
 * A broadcast's audience as one set-based statement (docs/broadcasts.md, "Sending"): who the
 * chosen segments/topics (or everyone) name, minus the exclusion segments, then the marketing
 * rules of lib/consent/rules.ts `mayReceive` written in SQL. Each contact gets the first rule it
 * fails, in mayReceive's order, or none (it may receive the broadcast).
 *
 * The hand-off re-checks every recipient with `checkConsent` anyway, so this statement decides
 * who is snapshotted and counted; it never lets a message out on its own.
 */

/** Recipients per provider call (Resend's batch limit) and per broadcast_recipients batch_no. */
export const BROADCAST_BATCH_SIZE = 100;

/**
 * Suppressions hold HMAC-SHA256(workspace secret, normalised address) (db/queries/suppressions.ts
 * `addressHash`). HMAC is two SHA-256 passes over the key xor'ed with fixed pads; the padded keys
 * depend on the secret only, so they are computed here once and the database runs the two
 * passes with its built-in sha256() for every contact, with no extension. The address is
 * normalised in SQL as lower(btrim()): for the odd address where that differs from JS's
 * trim().toLowerCase() (exotic whitespace or case folding) a suppression may go unseen here, and
 * the hand-off's checkConsent (which hashes in JS) still skips the recipient.
 */
function hmacPads(secret: string): { inner: string; outer: string } {
  let key = Buffer.from(secret, "utf8");
  if (key.length > 64) key = createHash("sha256").update(key).digest();
  const padded = Buffer.alloc(64);
  key.copy(padded);
  const inner = Buffer.alloc(64);
  const outer = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) {
    inner[i] = padded[i]! ^ 0x36;
    outer[i] = padded[i]! ^ 0x5c;
  }
  return { inner: inner.toString("hex"), outer: outer.toString("hex") };
}

type AudienceQuery = { workspaceId: string; audience: Audience; topicKey?: string | null };

/** Left out for a reason outside LEFT_OUT_REASONS: the workspace has no postal address (CAN-SPAM). */
const NO_POSTAL_ADDRESS = "no_postal_address";

/**
 * `select contact_id, reason from …`: every contact of the chosen audience with the reason it is
 * left out (a LeftOutReason or `no_postal_address`), null when it may receive the broadcast.
 * Null when the workspace does not exist.
 */
async function audienceStatement(db: DbOrTx, q: AudienceQuery): Promise<SQL | null> {
  const [ws] = await db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, q.workspaceId));
  if (!ws) return null;
  const pads = hmacPads(ws.secret);
  const a = q.audience;
  const ids = (xs: readonly string[]) => sql`${sql.param(`{${xs.join(",")}}`)}::uuid[]`;
  const wsId = sql`${q.workspaceId}::uuid`;
  // The chosen audience: any segment or topic named, or every contact.
  const chosen = a.everyone
    ? sql`true`
    : sql`(exists (select 1 from ${segmentMemberships} m where m.workspace_id = ${wsId} and m.contact_id = c.id and m.segment_id = any(${ids(a.segmentIds)}))
        or exists (select 1 from ${contactTopics} ct where ct.workspace_id = ${wsId} and ct.contact_id = c.id and ct.topic_id = any(${ids(a.topicIds)}) and ct.subscribed))`;
  const topicState = q.topicKey
    ? sql`(select ct.subscribed from ${contactTopics} ct join ${topics} t on t.id = ct.topic_id and t.workspace_id = ct.workspace_id
           where ct.workspace_id = ${wsId} and ct.contact_id = c.id and t.key = ${q.topicKey})`
    : sql`null::boolean`;
  // A permit (a confirmation, or an opt-in given with double opt-in off) with no withdrawal after it
  // exists exactly when mayReceive finds a permit after the latest withdrawal. Ties in time are
  // broken by id, as ledgerForRules orders the ledger.
  const permitted = sql`exists (
      select 1 from ${consentEvents} p
      where p.workspace_id = ${wsId} and p.contact_id = c.id and p.topic is null
        and (p.kind = 'confirmed' or (p.kind = 'opt_in' and coalesce((p.data ->> 'double_opt_in') = 'false', false)))
        and not exists (
          select 1 from ${consentEvents} w
          where w.workspace_id = ${wsId} and w.contact_id = c.id and w.topic is null
            and w.kind in ('withdrawn', 'complaint', 'erased')
            and (w.occurred_at, w.id) > (p.occurred_at, p.id)))`;
  return sql`
    select c.id as contact_id,
      case
        when exists (select 1 from ${segmentMemberships} x where x.workspace_id = ${wsId} and x.contact_id = c.id and x.segment_id = any(${ids(a.excludeSegmentIds)})) then 'excluded'
        when c.status = 'erased' then 'erased'
        when s.reason is not null then case s.reason when 'bounced' then 'bounced' when 'complained' then 'complained' when 'erased' then 'erased' else 'suppressed' end
        when c.status <> 'subscribed' then case c.status when 'unsubscribed' then 'unsubscribed' when 'bounced' then 'bounced' when 'complained' then 'complained' else 'no_consent' end
        when not ${permitted} then 'no_consent'
        when ${topicState} is false then 'topic_unsubscribed'
        when coalesce(btrim(w.postal_address), '') = '' then ${NO_POSTAL_ADDRESS}
        else null
      end as reason
    from ${contacts} c
    join ${workspaces} w on w.id = c.workspace_id
    left join ${suppressions} s on s.workspace_id = c.workspace_id
      and s.email_hash = encode(sha256(decode(${pads.outer}, 'hex') || sha256(decode(${pads.inner}, 'hex') || convert_to(lower(btrim(c.email)), 'UTF8'))), 'hex')
    where c.workspace_id = ${wsId} and ${chosen}`;
}

export type AudienceSummary = {
  /** Contacts the chosen segments/topics (or everyone) name, before any rule. */
  inAudience: number;
  /** Those who may receive it now. */
  eligible: number;
  /** The others, under the first rule they fail (excluded segments first, then mayReceive's order). */
  leftOut: Record<LeftOutReason, number>;
  /**
   * Contacts who pass every rule but one: the workspace has no postal address, which every
   * marketing message must carry. Non-zero only then; inAudience = eligible + leftOut + this.
   */
  noPostalAddress: number;
};

/** The live counts the broadcast page shows: who gets it, who is left out and why. */
export async function audienceSummary(db: Db, q: AudienceQuery): Promise<AudienceSummary> {
  const leftOut = Object.fromEntries(LEFT_OUT_REASONS.map((r) => [r, 0])) as Record<LeftOutReason, number>;
  const out: AudienceSummary = { inAudience: 0, eligible: 0, leftOut, noPostalAddress: 0 };
  const statement = await audienceStatement(db, q);
  if (!statement) return out;
  const rows = await db.execute<{ reason: string | null; n: number }>(sql`select a.reason, count(*)::int as n from (${statement}) a group by a.reason`);
  for (const r of rows) {
    out.inAudience += r.n;
    if (r.reason === null) out.eligible += r.n;
    else if (r.reason === NO_POSTAL_ADDRESS) out.noPostalAddress += r.n;
    else out.leftOut[r.reason as LeftOutReason] += r.n;
  }
  return out;
}

/** The eligible contacts' ids (tests, and the hand-off's cross-checks). */
export async function eligibleContactIds(db: Db, q: AudienceQuery): Promise<string[]> {
  const statement = await audienceStatement(db, q);
  if (!statement) return [];
  const rows = await db.execute<{ contact_id: string }>(sql`select a.contact_id from (${statement}) a where a.reason is null order by a.contact_id`);
  return rows.map((r) => r.contact_id);
}

/**
 * Takes the audience snapshot when sending starts: one `insert … select` of the eligible contacts
 * into broadcast_recipients, numbered into batches of BROADCAST_BATCH_SIZE by contact id, and the
 * count on broadcasts.recipient_count. Idempotent: once a snapshot exists (recipient_count set) it
 * is kept as it is (a resumed broadcast sends to the audience it started with), and the insert
 * itself does nothing on rows already there. Returns the snapshot's size.
 */
export async function snapshotAudience(
  db: Db,
  q: { workspaceId: string; broadcastId: string; audience: Audience; topicKey?: string | null },
): Promise<number> {
  return db.transaction(async (tx) => {
    // The row lock serialises two runs racing to take the same snapshot.
    const [b] = await tx
      .select({ recipientCount: broadcasts.recipientCount })
      .from(broadcasts)
      .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)))
      .for("update");
    if (!b) throw new Error(`broadcast ${q.broadcastId} not found in workspace ${q.workspaceId}`);
    if (b.recipientCount !== null) return b.recipientCount;
    const statement = await audienceStatement(tx, q);
    if (!statement) throw new Error(`workspace ${q.workspaceId} not found`);
    await tx.execute(sql`
      insert into ${broadcastRecipients} (broadcast_id, contact_id, workspace_id, batch_no)
      select ${q.broadcastId}::uuid, a.contact_id, ${q.workspaceId}::uuid, ((row_number() over (order by a.contact_id)) - 1) / ${BROADCAST_BATCH_SIZE}
      from (${statement}) a where a.reason is null
      on conflict do nothing`);
    const [count] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(broadcastRecipients)
      .where(and(eq(broadcastRecipients.workspaceId, q.workspaceId), eq(broadcastRecipients.broadcastId, q.broadcastId)));
    const n = count?.n ?? 0;
    await tx
      .update(broadcasts)
      .set({ recipientCount: n, updatedAt: sql`now()` })
      .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)));
    return n;
  });
}

export type BroadcastProgress = { total: number; queued: number; sent: number; failed: number; skipped: Record<string, number> };

/** The live progress bar: the snapshot by status, skipped ones by reason. */
export async function broadcastProgress(db: Db, q: { workspaceId: string; broadcastId: string }): Promise<BroadcastProgress> {
  const rows = await db
    .select({ status: broadcastRecipients.status, reason: broadcastRecipients.reason, n: sql<number>`count(*)::int` })
    .from(broadcastRecipients)
    .where(and(eq(broadcastRecipients.workspaceId, q.workspaceId), eq(broadcastRecipients.broadcastId, q.broadcastId)))
    .groupBy(broadcastRecipients.status, broadcastRecipients.reason);
  const out: BroadcastProgress = { total: 0, queued: 0, sent: 0, failed: 0, skipped: {} };
  for (const r of rows) {
    out.total += r.n;
    if (r.status === "skipped") {
      const reason = r.reason ?? "unknown";
      out.skipped[reason] = (out.skipped[reason] ?? 0) + r.n;
    } else out[r.status] += r.n;
  }
  return out;
}
