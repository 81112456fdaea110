import { eventType } from "inngest";
import { z } from "zod";

/**
 * Every event the app sends or reacts to, declared once with its payload. Schemas carry no
 * defaults or transforms: the SDK refuses schemas whose input and output types differ.
 * Every payload names its workspace; functions scope every query by it.
 */

const uuid = z.uuid();
const properties = z.record(z.string(), z.unknown());

/** Start (or continue) one enrollment's run of the flow runner. */
export const enrollmentStarted = eventType("flow/enrollment.started", {
  schema: z.object({
    workspaceId: uuid,
    enrollmentId: uuid,
    flowVersionId: uuid,
    contactId: uuid,
    /** Enter here instead of at the trigger (continue-as-new, the editor's version migration). */
    startNodeId: z.string().optional(),
    /** Continue-as-new: the run number; runs of one enrollment are 0, 1, 2, … */
    segment: z.number().int().min(0).optional(),
    /** Continue-as-new: visits so far per node, so step ids (and send idempotency keys) stay unique. */
    visits: z.record(z.string(), z.number().int()).optional(),
    /** Continue-as-new: when each wait node last resumed (epoch ms), for the wait look-back rule. */
    lastResume: z.record(z.string(), z.number()).optional(),
    /** `${enrollmentId}:${segment}`: the runner's idempotency key. */
    runKey: z.string(),
    /**
     * Continue-as-new in the middle of a send-email node that is waiting (sending policy, or the
     * mail provider's rate limit or outage): the run resumes that node's loop, same visit and
     * idempotency key, with its next try at `at` (epoch ms) and the provider waiting so far.
     */
    resumeSend: z
      .object({
        nodeId: z.string(),
        at: z.number(),
        /** The loop's next try (its step ids are `defer-<n>` and `send-email-<n>`). */
        attempt: z.number().int().min(2),
        providerWait: z.object({ failures: z.number().int().min(0), waitedMs: z.number().min(0) }).nullable(),
        /** When the contact reached the node (its send-within limit runs from here); absent in older events. */
        reachedAt: z.number().optional(),
      })
      .optional(),
  }),
});

/** Ends an enrollment wherever it is (cancelOn matches enrollmentId); reason goal, migrated, manual… */
export const flowExit = eventType("flow/exit", {
  schema: z.object({ workspaceId: uuid, enrollmentId: uuid, reason: z.string().min(1).max(200) }),
});

/**
 * A run failed for good (its retries spent, or the provider out for longer than the flow allows)
 * and its enrollment was marked failed at `nodeId`. Admins are told of it (at most one mail per
 * flow per hour).
 */
export const flowRunFailed = eventType("flow/run.failed", {
  schema: z.object({
    workspaceId: uuid,
    flowId: uuid,
    enrollmentId: uuid,
    contactId: uuid,
    /** The node the run failed at; null when it failed before reaching one. */
    nodeId: z.string().nullable(),
    reason: z.string().min(1).max(1000),
    /** Epoch ms. */
    failedAt: z.number(),
  }),
});

/** The contact withdrew marketing consent; every run of theirs is cancelled (cancelOn contactId). */
export const contactUnsubscribed = eventType("contact/unsubscribed", {
  schema: z.object({ workspaceId: uuid, contactId: uuid, source: z.string().optional() }),
});

/** A tracked event, after it was committed to the events table. */
export const eventTracked = eventType("contact/event.tracked", {
  schema: z.object({
    workspaceId: uuid,
    contactId: uuid,
    /** The events row id. */
    eventId: uuid,
    name: z.string().min(1),
    properties,
    /** Epoch ms. */
    occurredAt: z.number(),
  }),
});

export const contactCreated = eventType("contact/created", {
  schema: z.object({ workspaceId: uuid, contactId: uuid, source: z.string() }),
});

/**
 * Contacts an import created, a thousand at most per event: for flows and segments the same as a
 * `contact/created` each, at a function run per thousand contacts instead of one per contact.
 */
export const contactsImported = eventType("contacts/imported", {
  schema: z.object({ workspaceId: uuid, source: z.string(), contactIds: z.array(uuid).min(1).max(5000) }),
});

export const tagAdded = eventType("contact/tag.added", {
  schema: z.object({ workspaceId: uuid, contactId: uuid, tag: z.string().min(1) }),
});

export const formSubmitted = eventType("form/submitted", {
  schema: z.object({ workspaceId: uuid, contactId: uuid, formId: z.string().min(1), fields: properties.optional() }),
});

/**
 * Seam for the segments issue: whoever evaluates segment membership sends this when contacts
 * start matching; the router enrols them in flows with a matching segment-entered trigger.
 */
export const segmentEntered = eventType("contact/segment.entered", {
  schema: z.object({ workspaceId: uuid, segmentId: z.string().min(1), contactIds: z.array(uuid).min(1).max(5000) }),
});

/** Re-evaluate one segment for every contact (after an edit; the schedule sends one per segment). */
export const segmentRefreshRequested = eventType("segment/refresh.requested", {
  schema: z.object({ workspaceId: uuid, segmentId: uuid }),
});

/** A date attribute's anniversary came round (sent by the anniversary cron, one per flow page). */
export const anniversaryReached = eventType("contact/anniversary.reached", {
  schema: z.object({
    workspaceId: uuid,
    flowId: uuid,
    attribute: z.string(),
    /** The local calendar date of the anniversary, for de-duplication: one enrolment per year. */
    contacts: z.array(z.object({ contactId: uuid, date: z.string() })).min(1).max(5000),
  }),
});

/**
 * Enrol named contacts in one flow: manual/API enrolment, and the editor's migration map
 * (startNodeId of the current version; `migration` skips the re-entry history, since the
 * contact's previous enrollment in this flow was just ended to move them).
 */
export const enrollRequested = eventType("flow/enroll.requested", {
  schema: z.object({
    workspaceId: uuid,
    flowId: uuid,
    contactIds: z.array(uuid).min(1).max(5000),
    startNodeId: z.string().optional(),
    migration: z.boolean().optional(),
    trigger: properties.optional(),
  }),
});

/**
 * The editor published a new version over a running one with a migration map: contacts waiting
 * in `fromVersionId` at a map key move to `toVersionId` at its value (nodes mapped to nothing
 * stay and finish on the old version, so they are not in the map).
 */
export const flowMigrationRequested = eventType("flow/migration.requested", {
  schema: z.object({
    workspaceId: uuid,
    flowId: uuid,
    fromVersionId: uuid,
    toVersionId: uuid,
    map: z.record(z.string(), z.string()),
  }),
});

/**
 * Engagement and delivery feedback, sent after the email event is stored (webhook, click redirect,
 * open pixel). Opens and clicks are sent for people only (machine activity is stored, flagged,
 * and not sent), so waits and conditions wake on human engagement by default. The event id is
 * the stored event's dedupe key: a replayed webhook sends nothing new.
 */
const emailEventFields = {
  workspaceId: uuid,
  contactId: uuid,
  messageId: uuid,
  enrollmentId: uuid.nullable(),
  nodeId: z.string().nullable(),
  templateId: uuid.nullable(),
  flowId: uuid.nullable(),
  machine: z.boolean(),
  /** Epoch ms. */
  occurredAt: z.number(),
};
export const emailOpened = eventType("email/opened", { schema: z.object(emailEventFields) });
export const emailClicked = eventType("email/clicked", { schema: z.object({ ...emailEventFields, url: z.string() }) });
export const emailBounced = eventType("email/bounced", {
  schema: z.object({ ...emailEventFields, bounceType: z.string(), hard: z.boolean() }),
});
export const emailComplained = eventType("email/complained", { schema: z.object(emailEventFields) });

export type EnrollmentStarted = z.infer<typeof enrollmentStarted.schema>;

/**
 * Ask a re-permission request's unconfirmed contacts to confirm (docs/forms-and-consent.md#re-permission).
 * `part` > 0: the same request continued in a fresh run (a large request outgrows one run's steps).
 */
export const repermissionRequested = eventType("contacts/repermission.requested", {
  schema: z.object({ workspaceId: uuid, requestId: uuid, part: z.number().int().min(0).optional() }),
});

/**
 * Send a double opt-in mail whose first attempt (inline, as the contact signed up or was created
 * through the API) failed: the opt-in is already committed, so the mail is retried here
 * (docs/forms-and-consent.md). One mail per opt-in: the opt-in event id keys the message.
 */
export const confirmationMailRequested = eventType("contacts/confirmation.requested", {
  schema: z.object({ workspaceId: uuid, contactId: uuid, optInEventId: uuid }),
});

/**
 * A broadcast was scheduled (or resumed): its sender sleeps until `scheduledAt`, snapshots the
 * audience and fans its batches out (docs/broadcasts.md). `attempt` tells a resumed send's event
 * apart from the first, so each gets its own id.
 */
export const broadcastSendRequested = eventType("broadcast/send.requested", {
  schema: z.object({
    workspaceId: uuid,
    broadcastId: uuid,
    attempt: z.number().int().min(0).optional(),
    /** A fan-out continued in a fresh run (Inngest caps a run's steps): batches after this one. */
    fromBatch: z.number().int().min(0).optional(),
  }),
});

/** One batch of (up to) 100 recipients of a sending broadcast to hand off. */
export const broadcastBatchRequested = eventType("broadcast/batch.requested", {
  schema: z.object({ workspaceId: uuid, broadcastId: uuid, batchNo: z.number().int().min(0) }),
});
