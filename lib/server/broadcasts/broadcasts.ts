import "server-only";
import type { Db } from "@/db/client";
import { recordAudit } from "@/db/queries/audit";
import {
  cancelBroadcast,
  createBroadcastDraft,
  deleteBroadcastDraft,
  existingIds,
  pauseBroadcast,
  resumeBroadcast,
  scheduleBroadcast,
  sendableTemplate,
  updateBroadcastDraft,
  type Actor,
  type TransitionResult,
} from "@/db/queries/broadcasts";
import { TemplateUnavailableError } from "@/db/queries/template-versions";
import { flushAppEvents } from "@/inngest/emit";
import { audienceSchema } from "@/lib/broadcasts/audience";
import { sendTimeProblem, type BroadcastDraft } from "@/lib/broadcasts/draft";

/**
 * The broadcast operations the app's actions and the REST API share (docs/broadcasts.md): the
 * workspace checks a draft's fields need (template, segments, topics), drafts with their audit
 * entries, and the transitions. The caller has checked the member's role or the secret key; it
 * turns `BroadcastInputError` into a message naming the field, `BroadcastStateError` (from
 * db/queries/broadcasts) into a refusal, and undefined into "not found".
 */

export { BroadcastStateError, type Actor } from "@/db/queries/broadcasts";

/** A field of the draft that does not hold up against the workspace (`field` is the draft's own name for it). */
export class BroadcastInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "BroadcastInputError";
  }
}

const auditActor = (actor: Actor) => ("userId" in actor ? { actorUserId: actor.userId } : { actorApiKeyId: actor.apiKeyId });

/** The template exists in the workspace and is not archived; every segment and topic named is the workspace's. */
export async function checkDraftReferences(db: Db, workspaceId: string, d: BroadcastDraft): Promise<void> {
  if (d.templateId) {
    const t = await sendableTemplate(db, { workspaceId, templateId: d.templateId });
    if (!t) throw new BroadcastInputError("templateId", "the template is not one of this workspace's");
    if (t.archivedAt) throw new BroadcastInputError("templateId", `the template “${t.name}” is archived: unarchive it or choose another`);
  }
  if (!d.audience) return;
  const a = d.audience;
  const segs = await existingIds(db, { workspaceId, of: "segments", ids: [...a.segmentIds, ...a.excludeSegmentIds] });
  for (const field of ["segmentIds", "excludeSegmentIds"] as const) {
    const i = a[field].findIndex((id) => !segs.has(id));
    if (i >= 0) throw new BroadcastInputError(`audience.${field}.${i}`, `segment ${a[field][i]} is not one of this workspace's`);
  }
  const tops = await existingIds(db, { workspaceId, of: "topics", ids: a.topicIds });
  const j = a.topicIds.findIndex((id) => !tops.has(id));
  if (j >= 0) throw new BroadcastInputError(`audience.topicIds.${j}`, `topic ${a.topicIds[j]} is not one of this workspace's`);
}

export async function createDraft(db: Db, q: { workspaceId: string; actor: Actor; draft: BroadcastDraft }): Promise<{ id: string }> {
  await checkDraftReferences(db, q.workspaceId, q.draft);
  const createdBy = "userId" in q.actor ? q.actor.userId : null;
  const row = await createBroadcastDraft(db, { workspaceId: q.workspaceId, createdBy, draft: q.draft });
  await recordAudit(db, { workspaceId: q.workspaceId, ...auditActor(q.actor), action: "broadcast.created", targetType: "broadcast", targetId: row.id, data: { name: q.draft.name } });
  return row;
}

export async function saveDraft(db: Db, q: { workspaceId: string; broadcastId: string; actor: Actor; draft: BroadcastDraft; at: Date }): Promise<{ id: string } | undefined> {
  await checkDraftReferences(db, q.workspaceId, q.draft);
  const row = await updateBroadcastDraft(db, q);
  if (row) await recordAudit(db, { workspaceId: q.workspaceId, ...auditActor(q.actor), action: "broadcast.updated", targetType: "broadcast", targetId: row.id, data: { name: q.draft.name } });
  return row;
}

export async function removeDraft(db: Db, q: { workspaceId: string; broadcastId: string; actor: Actor }): Promise<{ id: string; name: string } | undefined> {
  const row = await deleteBroadcastDraft(db, q);
  if (row) await recordAudit(db, { workspaceId: q.workspaceId, ...auditActor(q.actor), action: "broadcast.deleted", targetType: "broadcast", targetId: row.id, data: { name: row.name } });
  return row;
}

/** What a draft must have before it is scheduled: a template and an audience. */
function assertComplete(draft: { templateId: string | null; audience: unknown }): void {
  if (!draft.templateId) throw new BroadcastInputError("templateId", "choose a template before scheduling");
  const a = audienceSchema.safeParse(draft.audience);
  if (!a.success) throw new BroadcastInputError("audience", `choose the audience before scheduling: ${a.error.issues[0]!.message}`);
}

/**
 * Schedules a draft for `sendAt` (null: now). The template is pinned, the status and the outbox
 * event written in one transaction (db/queries/broadcasts); the event is handed to Inngest once
 * that has committed (or later by the forwarder).
 */
export async function schedule(db: Db, q: { workspaceId: string; broadcastId: string; actor: Actor; sendAt: Date | null; now: Date }): Promise<TransitionResult | undefined> {
  const problem = sendTimeProblem(q.sendAt, q.now);
  if (problem) throw new BroadcastInputError("sendAt", problem);
  const done = await scheduleBroadcast(db, { ...q, check: assertComplete }).catch((err: unknown) => {
    if (err instanceof TemplateUnavailableError) throw new BroadcastInputError("templateId", err.message);
    throw err;
  });
  if (done) await flushAppEvents(db, done.outboxIds);
  return done;
}

/** Cancel, pause or resume; resume hands its event to Inngest once committed. */
export async function transition(
  db: Db,
  kind: "cancel" | "pause" | "resume",
  q: { workspaceId: string; broadcastId: string; actor: Actor; now: Date },
): Promise<TransitionResult | undefined> {
  const done = await (kind === "cancel" ? cancelBroadcast : kind === "pause" ? pauseBroadcast : resumeBroadcast)(db, q);
  if (done && done.outboxIds.length > 0) await flushAppEvents(db, done.outboxIds);
  return done;
}
