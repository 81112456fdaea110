import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { rows, type Db, type DbOrTx, type Tx } from "../client";
import { broadcasts, segments, templates, topics, users } from "../schema/index";
import { TRANSITIONS, transitionRefusal, type BroadcastDraft, type BroadcastStatus, type Transition } from "@/lib/broadcasts/draft";
import { recordAudit } from "./audit";
import { enqueueAppEvents } from "./outbox";
import { pinTemplate } from "./template-versions";

/**
 * Broadcasts: drafts and their moves draft → scheduled → sending → sent, or cancelled / paused
 * (docs/broadcasts.md). Every read and write names the workspace. Only a draft is edited or
 * deleted; each transition locks the row, checks the status it starts from and refuses any other
 * with a `BroadcastStateError`, and writes its audit entry in the same transaction, so the log
 * and the status never disagree.
 */

/** Who made a change: a member (the app) or a secret key (the REST API). */
export type Actor = { userId: string } | { apiKeyId: string };

/** A move the broadcast's status does not allow (scheduling a sent one, pausing a draft…). */
export class BroadcastStateError extends Error {
  constructor(
    readonly status: BroadcastStatus,
    message: string,
  ) {
    super(message);
    this.name = "BroadcastStateError";
  }
}

const columns = {
  id: broadcasts.id,
  name: broadcasts.name,
  status: broadcasts.status,
  templateId: broadcasts.templateId,
  templateVersionId: broadcasts.templateVersionId,
  subject: broadcasts.subject,
  preheader: broadcasts.preheader,
  fromName: broadcasts.fromName,
  fromEmail: broadcasts.fromEmail,
  replyTo: broadcasts.replyTo,
  utm: broadcasts.utm,
  audience: broadcasts.audience,
  bypassCaps: broadcasts.bypassCaps,
  scheduledAt: broadcasts.scheduledAt,
  startedAt: broadcasts.startedAt,
  finishedAt: broadcasts.finishedAt,
  cancelledAt: broadcasts.cancelledAt,
  recipientCount: broadcasts.recipientCount,
  createdAt: broadcasts.createdAt,
  updatedAt: broadcasts.updatedAt,
};

const auditOf = (actor: Actor) => ("userId" in actor ? { actorUserId: actor.userId } : { actorApiKeyId: actor.apiKeyId });

/**
 * The workspace's broadcasts, newest first, with their template's name and how many recipients
 * were handed off so far (the status index counts them).
 */
export async function listBroadcasts(db: DbOrTx, q: { workspaceId: string; limit?: number }) {
  return db
    .select({
      ...columns,
      templateName: templates.name,
      handedOff: sql<number>`(select count(*)::int from broadcast_recipients r where r.broadcast_id = ${broadcasts.id} and r.status = 'sent')`,
    })
    .from(broadcasts)
    .leftJoin(templates, and(eq(templates.id, broadcasts.templateId), eq(templates.workspaceId, broadcasts.workspaceId)))
    .where(eq(broadcasts.workspaceId, q.workspaceId))
    .orderBy(desc(broadcasts.createdAt), desc(broadcasts.id))
    .limit(q.limit ?? 200);
}

export async function getBroadcast(db: DbOrTx, q: { workspaceId: string; broadcastId: string }) {
  const [row] = await db
    .select({ ...columns, templateName: templates.name, createdByEmail: users.email })
    .from(broadcasts)
    .leftJoin(templates, and(eq(templates.id, broadcasts.templateId), eq(templates.workspaceId, broadcasts.workspaceId)))
    .leftJoin(users, eq(users.id, broadcasts.createdBy))
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)));
  return row;
}

const draftValues = (d: BroadcastDraft) => ({
  name: d.name,
  templateId: d.templateId,
  subject: d.subject,
  preheader: d.preheader,
  fromName: d.fromName,
  fromEmail: d.fromEmail,
  replyTo: d.replyTo,
  utm: d.utm,
  audience: d.audience ?? {},
  bypassCaps: d.bypassCaps,
});

export async function createBroadcastDraft(db: DbOrTx, q: { workspaceId: string; createdBy: string | null; draft: BroadcastDraft }): Promise<{ id: string }> {
  const [row] = await db
    .insert(broadcasts)
    .values({ workspaceId: q.workspaceId, createdBy: q.createdBy, ...draftValues(q.draft) })
    .returning({ id: broadcasts.id });
  return row!;
}

/** The current status, or undefined when the workspace has no such broadcast. */
async function statusOf(db: DbOrTx, q: { workspaceId: string; broadcastId: string }): Promise<BroadcastStatus | undefined> {
  const [row] = await db
    .select({ status: broadcasts.status })
    .from(broadcasts)
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)));
  return row?.status;
}

/** Saves a draft's fields; undefined when there is no such broadcast, a BroadcastStateError when it is no longer a draft. */
export async function updateBroadcastDraft(db: DbOrTx, q: { workspaceId: string; broadcastId: string; draft: BroadcastDraft; at: Date }): Promise<{ id: string } | undefined> {
  const [row] = await db
    .update(broadcasts)
    .set({ ...draftValues(q.draft), updatedAt: q.at })
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId), eq(broadcasts.status, "draft")))
    .returning({ id: broadcasts.id });
  if (row) return row;
  const status = await statusOf(db, q);
  if (status) throw new BroadcastStateError(status, `only a draft can be edited: this broadcast is ${status}`);
  return undefined;
}

/** Deletes a draft; undefined when there is none, a BroadcastStateError when it is no longer a draft (its history stays). */
export async function deleteBroadcastDraft(db: DbOrTx, q: { workspaceId: string; broadcastId: string }): Promise<{ id: string; name: string } | undefined> {
  const [row] = await db
    .delete(broadcasts)
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId), eq(broadcasts.status, "draft")))
    .returning({ id: broadcasts.id, name: broadcasts.name });
  if (row) return row;
  const status = await statusOf(db, q);
  if (status) throw new BroadcastStateError(status, `only a draft can be deleted: this broadcast is ${status} (cancel it instead)`);
  return undefined;
}

/** Locks the broadcast for a transition and checks the status it starts from. */
async function lockFor(tx: Tx, q: { workspaceId: string; broadcastId: string }, t: Transition) {
  const [row] = await tx
    .select({ id: broadcasts.id, name: broadcasts.name, status: broadcasts.status, templateId: broadcasts.templateId, audience: broadcasts.audience })
    .from(broadcasts)
    .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, q.broadcastId)))
    .for("update");
  if (!row) return undefined;
  if (!(TRANSITIONS[t] as readonly BroadcastStatus[]).includes(row.status)) throw new BroadcastStateError(row.status, transitionRefusal(t, row.status));
  return row;
}

/** The event that starts (attempt 0) or resumes a send; its id makes a repeated hand-over a duplicate. */
const sendEvent = (workspaceId: string, broadcastId: string, attempt: number) => ({
  id: `broadcast:${broadcastId}:send:${attempt}`,
  // inngest/events.ts broadcastSendRequested (db/ does not import inngest/).
  name: "broadcast/send.requested",
  data: { workspaceId, broadcastId, attempt },
});

export type TransitionResult = { id: string; name: string; status: BroadcastStatus; outboxIds: number[] };

/**
 * Schedules a draft, in one transaction: pins the template's current content as a template
 * version (editing the template later changes nothing this broadcast sends), sets the status and
 * the time (now when none is given), and writes the `broadcast/send.requested` event to the
 * outbox. `check` runs on the locked draft before anything is written (the audience and template
 * must be complete); what it throws comes back to the caller.
 */
export async function scheduleBroadcast(
  db: Db,
  q: { workspaceId: string; broadcastId: string; sendAt: Date | null; now: Date; actor: Actor; check: (draft: { templateId: string | null; audience: unknown }) => void },
): Promise<TransitionResult | undefined> {
  return db.transaction(async (tx) => {
    const row = await lockFor(tx, q, "schedule");
    if (!row) return undefined;
    q.check(row);
    const pin = await pinTemplate(tx, { workspaceId: q.workspaceId, templateId: row.templateId! });
    const scheduledAt = q.sendAt ?? q.now;
    await tx
      .update(broadcasts)
      .set({ status: "scheduled", templateVersionId: pin.templateVersionId, scheduledAt, updatedAt: q.now })
      .where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, row.id)));
    const outboxIds = await enqueueAppEvents(tx, [sendEvent(q.workspaceId, row.id, 0)]);
    await recordAudit(tx, {
      workspaceId: q.workspaceId,
      ...auditOf(q.actor),
      action: "broadcast.scheduled",
      targetType: "broadcast",
      targetId: row.id,
      data: { name: row.name, scheduledAt: scheduledAt.toISOString(), now: q.sendAt === null, templateVersionId: pin.templateVersionId, templateVersion: pin.number },
    });
    return { id: row.id, name: row.name, status: "scheduled" as const, outboxIds };
  });
}

/** Cancels a scheduled, sending or paused broadcast: the sender hands off nothing more (batches in flight may finish). */
export async function cancelBroadcast(db: Db, q: { workspaceId: string; broadcastId: string; now: Date; actor: Actor }): Promise<TransitionResult | undefined> {
  return simpleTransition(db, q, "cancel", { status: "cancelled", cancelledAt: q.now, updatedAt: q.now }, "broadcast.cancelled");
}

/** Pauses a sending broadcast: no new batch is handed off until it is resumed. */
export async function pauseBroadcast(db: Db, q: { workspaceId: string; broadcastId: string; now: Date; actor: Actor }): Promise<TransitionResult | undefined> {
  return simpleTransition(db, q, "pause", { status: "paused", updatedAt: q.now }, "broadcast.paused");
}

async function simpleTransition(
  db: Db,
  q: { workspaceId: string; broadcastId: string; actor: Actor },
  t: "cancel" | "pause",
  set: Partial<typeof broadcasts.$inferInsert> & { status: BroadcastStatus },
  action: string,
): Promise<TransitionResult | undefined> {
  return db.transaction(async (tx) => {
    const row = await lockFor(tx, q, t);
    if (!row) return undefined;
    await tx.update(broadcasts).set(set).where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, row.id)));
    await recordAudit(tx, { workspaceId: q.workspaceId, ...auditOf(q.actor), action, targetType: "broadcast", targetId: row.id, data: { name: row.name, from: row.status } });
    return { id: row.id, name: row.name, status: set.status, outboxIds: [] };
  });
}

/**
 * Resumes a paused broadcast: back to sending, with a new `broadcast/send.requested` whose
 * attempt is one more than the resumes before it (counted in the audit log, which this same
 * transaction writes, under the row's lock), so each resume's event has an id of its own.
 */
export async function resumeBroadcast(db: Db, q: { workspaceId: string; broadcastId: string; now: Date; actor: Actor }): Promise<TransitionResult | undefined> {
  return db.transaction(async (tx) => {
    const row = await lockFor(tx, q, "resume");
    if (!row) return undefined;
    const [prior] = await rows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from audit_log where workspace_id = ${q.workspaceId}::uuid and action = 'broadcast.resumed' and target_type = 'broadcast' and target_id = ${row.id}`,
    );
    const attempt = (prior?.n ?? 0) + 1;
    await tx.update(broadcasts).set({ status: "sending", updatedAt: q.now }).where(and(eq(broadcasts.workspaceId, q.workspaceId), eq(broadcasts.id, row.id)));
    const outboxIds = await enqueueAppEvents(tx, [sendEvent(q.workspaceId, row.id, attempt)]);
    await recordAudit(tx, { workspaceId: q.workspaceId, ...auditOf(q.actor), action: "broadcast.resumed", targetType: "broadcast", targetId: row.id, data: { name: row.name, attempt } });
    return { id: row.id, name: row.name, status: "sending" as const, outboxIds };
  });
}

/** Which of `ids` are this workspace's segments or topics (the rest are refused by name of the field). */
export async function existingIds(db: DbOrTx, q: { workspaceId: string; of: "segments" | "topics"; ids: readonly string[] }): Promise<Set<string>> {
  if (q.ids.length === 0) return new Set();
  const t = q.of === "segments" ? segments : topics;
  const found = await db
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.workspaceId, q.workspaceId), inArray(t.id, [...q.ids])));
  return new Set(found.map((r) => r.id));
}

/** The workspace's template, if it exists and is not archived (what a broadcast may name). */
export async function sendableTemplate(db: DbOrTx, q: { workspaceId: string; templateId: string }) {
  const [row] = await db
    .select({ id: templates.id, name: templates.name, class: templates.class, topic: templates.topic, archivedAt: templates.archivedAt })
    .from(templates)
    .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)));
  return row;
}

/** The pickers of the broadcast editor: active templates, segments, topics. */
export async function broadcastPickers(db: DbOrTx, q: { workspaceId: string }) {
  const [tpl, seg, top] = await Promise.all([
    db
      .select({ id: templates.id, name: templates.name, class: templates.class, topic: templates.topic, subject: templates.subject, preheader: templates.preheader })
      .from(templates)
      .where(and(eq(templates.workspaceId, q.workspaceId), isNull(templates.archivedAt)))
      .orderBy(templates.name),
    db.select({ id: segments.id, name: segments.name }).from(segments).where(eq(segments.workspaceId, q.workspaceId)).orderBy(segments.name),
    db.select({ id: topics.id, key: topics.key, name: topics.name }).from(topics).where(eq(topics.workspaceId, q.workspaceId)).orderBy(topics.name),
  ]);
  return { templates: tpl, segments: seg, topics: top };
}
export type BroadcastPickers = Awaited<ReturnType<typeof broadcastPickers>>;
