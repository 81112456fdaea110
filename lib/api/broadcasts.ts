import { z } from "zod";
import { audienceSchema, type Audience } from "../broadcasts/audience";
import { draftFields, type BroadcastDraft, type StoredBroadcast } from "../broadcasts/draft";

/**
 * The REST API's broadcast shapes (snake_case, like the rest of the API), built from the same
 * field schemas as the app's draft (lib/broadcasts/draft), shared by the routes and the OpenAPI
 * document. Unknown keys are refused, so a misspelt field is an error, not a silent no-op.
 */

const audienceBody = z
  .object({
    everyone: z.boolean("everyone is true or false").optional(),
    segment_ids: audienceSchema.shape.segmentIds,
    topic_ids: audienceSchema.shape.topicIds,
    exclude_segment_ids: audienceSchema.shape.excludeSegmentIds,
  })
  .strict()
  .refine((a) => a.everyone === true || a.segment_ids.length > 0 || a.topic_ids.length > 0, {
    message: "choose everyone subscribed, or at least one segment or topic",
    path: ["segment_ids"],
  })
  .transform((a): Audience => ({ everyone: a.everyone ?? false, segmentIds: a.segment_ids, topicIds: a.topic_ids, excludeSegmentIds: a.exclude_segment_ids }));

/** PATCH: only the fields given change. */
export const broadcastPatch = z
  .object({
    name: draftFields.name.optional(),
    template_id: draftFields.templateId.optional(),
    subject: draftFields.subject.optional(),
    preheader: draftFields.preheader.optional(),
    from_name: draftFields.fromName.optional(),
    from_email: draftFields.fromEmail.optional(),
    reply_to: draftFields.replyTo.optional(),
    utm: draftFields.utm.optional(),
    audience: audienceBody.nullable().optional(),
    bypass_caps: draftFields.bypassCaps.optional(),
  })
  .strict();

/** POST: a new draft; only the name is required (template and audience are needed to schedule). */
export const broadcastCreate = broadcastPatch.extend({ name: draftFields.name });

export const broadcastSchedule = z
  .object({
    /** When to send; absent or null: now. */
    send_at: z.iso.datetime({ offset: true, error: "send_at is an ISO 8601 time with an offset, e.g. 2030-01-31T09:00:00Z" }).nullable().optional(),
  })
  .strict();

/** A draft with the body's fields applied over it. */
export function applyPatch(base: BroadcastDraft, p: z.output<typeof broadcastPatch>): BroadcastDraft {
  const pick = <T>(v: T | undefined, old: T): T => (v === undefined ? old : v);
  return {
    name: pick(p.name, base.name),
    templateId: pick(p.template_id, base.templateId),
    subject: pick(p.subject, base.subject),
    preheader: pick(p.preheader, base.preheader),
    fromName: pick(p.from_name, base.fromName),
    fromEmail: pick(p.from_email, base.fromEmail),
    replyTo: pick(p.reply_to, base.replyTo),
    utm: pick(p.utm, base.utm),
    audience: pick(p.audience, base.audience),
    bypassCaps: pick(p.bypass_caps, base.bypassCaps),
  };
}

/** The draft's own field name as the API spells it (templateId → template_id, audience.segmentIds.0 → audience.segment_ids.0). */
export const apiField = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentBroadcast(b: StoredBroadcast) {
  const a = audienceSchema.safeParse(b.audience);
  return {
    id: b.id,
    name: b.name,
    status: b.status,
    template_id: b.templateId,
    template_version_id: b.templateVersionId,
    subject: b.subject,
    preheader: b.preheader,
    from_name: b.fromName,
    from_email: b.fromEmail,
    reply_to: b.replyTo,
    utm: b.utm ?? null,
    audience: a.success ? { everyone: a.data.everyone, segment_ids: a.data.segmentIds, topic_ids: a.data.topicIds, exclude_segment_ids: a.data.excludeSegmentIds } : null,
    bypass_caps: b.bypassCaps,
    scheduled_at: iso(b.scheduledAt),
    started_at: iso(b.startedAt),
    finished_at: iso(b.finishedAt),
    cancelled_at: iso(b.cancelledAt),
    recipient_count: b.recipientCount,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}
