import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

export const flowStatus = pgEnum("flow_status", ["draft", "live", "paused", "archived"]);
export const reentryMode = pgEnum("reentry_mode", ["once", "after", "always"]);

export const flows = pgTable(
  "flows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: flowStatus("status").notNull().default("draft"),
    /** The editor graph (nodes, edges, positions), parsed with lib/flows' schema when read. */
    draft: jsonb("draft").$type<unknown>().notNull().default({ nodes: [], edges: [] }),
    /** Bumped on every save; a save names the revision it started from, so two editors conflict instead of overwriting. */
    draftRevision: integer("draft_revision").notNull().default(0),
    currentVersionId: uuid("current_version_id"),
    reentry: reentryMode("reentry").notNull().default("once"),
    reentryAfterDays: integer("reentry_after_days"),
    /**
     * How long a run may wait out the mail provider's rate limits and outages (429, 5xx) at one
     * send before the run fails. Waiting spends none of the run's retries.
     */
    providerWaitHours: integer("provider_wait_hours").notNull().default(24),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("flows_workspace_idx").on(t.workspaceId, t.status),
    check(
      "flows_reentry_after_days",
      sql`(${t.reentry} <> 'after') or (${t.reentryAfterDays} is not null and ${t.reentryAfterDays} > 0)`,
    ),
    check("flows_provider_wait_hours", sql`${t.providerWaitHours} between 1 and 168`),
  ],
);

/** Immutable (a trigger refuses UPDATE, and DELETE while the flow exists): a published plan; a new publish is a new row. */
export const flowVersions = pgTable(
  "flow_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    /** sha256 of the canonical plan JSON. */
    hash: text("hash").notNull(),
    plan: jsonb("plan").$type<unknown>().notNull(),
    /** The editor graph as published, for diffs and restore-to-draft. */
    graph: jsonb("graph").$type<unknown>().notNull(),
    note: text("note"),
    publishedBy: uuid("published_by").references(() => users.id, { onDelete: "set null" }),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("flow_versions_flow_number_key").on(t.flowId, t.number)],
);

export const enrollmentStatus = pgEnum("enrollment_status", [
  "active",
  "completed",
  "exited",
  "cancelled",
  "failed",
]);

export const enrollments = pgTable(
  "enrollments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    flowVersionId: uuid("flow_version_id")
      .notNull()
      .references(() => flowVersions.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    status: enrollmentStatus("status").notNull().default("active"),
    /** An enrollment may start at any node (continue-as-new, migration between versions). */
    startNodeId: text("start_node_id"),
    currentNodeId: text("current_node_id"),
    /** The trigger event's payload, available to merge tags and correlation. */
    trigger: jsonb("trigger").$type<Record<string, unknown>>().notNull().default({}),
    exitReason: text("exit_reason"),
    /**
     * What enrolled the contact (the trigger event's id, or a cron's date key): a retried router
     * step finds its own rows instead of enrolling twice under re-entry "always".
     */
    sourceEventId: text("source_event_id"),
    enteredAt: timestamp("entered_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    // Re-entry rules are enforced here rather than by Inngest's 24 h idempotency window.
    uniqueIndex("enrollments_one_active_key")
      .on(t.flowId, t.contactId)
      .where(sql`${t.status} = 'active'`),
    index("enrollments_flow_contact_idx").on(t.flowId, t.contactId, t.enteredAt),
    index("enrollments_contact_idx").on(t.contactId, t.enteredAt),
    index("enrollments_version_node_idx").on(t.flowVersionId, t.currentNodeId),
    uniqueIndex("enrollments_source_event_key")
      .on(t.flowId, t.contactId, t.sourceEventId)
      .where(sql`${t.sourceEventId} is not null`),
    index("enrollments_workspace_flow_status_idx").on(t.workspaceId, t.flowId, t.status, t.currentNodeId),
  ],
);

/**
 * The per-contact trace: one row per step a run took (node visit), written inside that step, so
 * the editor shows where each contact went and when. Unique by (enrollment, step id): a retried
 * step rewrites nothing. Per-node counters are aggregates of this table and of enrollments.
 */
export const enrollmentSteps = pgTable(
  "enrollment_steps",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Insertion order: a run's steps are sequential, so this orders a trace even within one millisecond. */
    seq: bigserial("seq", { mode: "number" }).notNull(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    flowVersionId: uuid("flow_version_id")
      .notNull()
      .references(() => flowVersions.id, { onDelete: "cascade" }),
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /** `${nodeId}#${visit}:${kind}`, the run's step id. */
    stepId: text("step_id").notNull(),
    nodeId: text("node_id").notNull(),
    visit: integer("visit").notNull(),
    kind: text("kind").notNull(),
    /** waiting (still there), or what happened: sent, skipped, yes, matched, timeout, … */
    outcome: text("outcome").notNull(),
    /** The exit handle taken; null while waiting or where the path stopped. */
    exit: text("exit"),
    detail: text("detail").notNull().default(""),
    at: timestamp("at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("enrollment_steps_step_key").on(t.enrollmentId, t.stepId),
    index("enrollment_steps_flow_node_idx").on(t.workspaceId, t.flowId, t.nodeId),
  ],
);

/**
 * What a workspace's admins are told in the app (failed runs today): one row per subject and
 * hour, counting occurrences, so a flow failing a thousand runs makes one notice, not a thousand.
 * `mailedAt` is when the admins were mailed about it (at most once per flow per hour).
 */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** flow_failed */
    kind: text("kind").notNull(),
    flowId: uuid("flow_id").references(() => flows.id, { onDelete: "cascade" }),
    /** The hour (UTC, truncated) this notice gathers occurrences for. */
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    title: text("title").notNull(),
    detail: text("detail").notNull().default(""),
    count: integer("count").notNull().default(1),
    firstAt: timestamp("first_at", { withTimezone: true }).notNull(),
    lastAt: timestamp("last_at", { withTimezone: true }).notNull(),
    mailedAt: timestamp("mailed_at", { withTimezone: true }),
    readAt: timestamp("read_at", { withTimezone: true }),
    /** team_notified: the contact a flow's notify-team node told members about. */
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "cascade" }),
    nodeId: text("node_id"),
    /** The members a notify-team node chose; null: everyone who may read notices. */
    recipientUserIds: uuid("recipient_user_ids").array(),
    /** team_notified: `enrollmentId:stepId`, so a retried step notifies once. */
    dedupeKey: text("dedupe_key"),
  },
  (t) => [
    uniqueIndex("notifications_subject_hour_key")
      .on(t.workspaceId, t.kind, t.flowId, t.hour)
      .where(sql`${t.dedupeKey} is null`),
    uniqueIndex("notifications_dedupe_key").on(t.workspaceId, t.dedupeKey).where(sql`${t.dedupeKey} is not null`),
    index("notifications_workspace_time_idx").on(t.workspaceId, t.lastAt),
  ],
);
