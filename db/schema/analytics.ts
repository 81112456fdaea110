import {
  bigint,
  boolean,
  date,
  index,
  jsonb,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { contacts } from "./contacts";
import { messages } from "./email";
import { enrollments, flows, flowVersions } from "./flows";
import { forms } from "./forms";
import { workspaces } from "./workspaces";

/**
 * Stands in for "no flow / no node / no template" in rollup keys: the keys are NOT NULL so one
 * ON CONFLICT target covers every row (a NULL would never conflict and would split counters).
 */
export const NO_ID = "00000000-0000-0000-0000-000000000000";

/**
 * A goal reached: one row per enrollment and goal node (the first matching event wins, so a
 * replayed or repeated event cannot count twice). Attributed to the last human click (or open)
 * on this enrollment's mail inside the goal's window.
 */
export const conversions = pgTable(
  "conversions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    flowVersionId: uuid("flow_version_id").references(() => flowVersions.id, { onDelete: "set null" }),
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    /** The goal node. */
    nodeId: text("node_id").notNull(),
    goalName: text("goal_name").notNull(),
    /** The tracked event (events.id) that converted. */
    eventId: uuid("event_id"),
    /** The message credited with the conversion; null when no human engagement fell inside the window. */
    messageId: uuid("message_id").references(() => messages.id, { onDelete: "set null" }),
    /** click | open | null */
    attributedVia: text("attributed_via"),
    revenue: numeric("revenue", { precision: 14, scale: 2, mode: "number" }),
    currency: text("currency"),
    /** The credited message's node, copied when recorded: message reports need no join per conversion. */
    messageNodeId: text("message_node_id"),
    /**
     * The split arms the enrollment had taken when it converted (first visit of each split node,
     * with its time): A/B results read them from here rather than probe the step trace per conversion.
     */
    splitPath: jsonb("split_path").$type<{ node: string; exit: string; at: string }[]>().notNull().default([]),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("conversions_enrollment_goal_key").on(t.enrollmentId, t.nodeId),
    index("conversions_workspace_flow_time_idx").on(t.workspaceId, t.flowId, t.occurredAt),
    index("conversions_workspace_time_idx").on(t.workspaceId, t.occurredAt),
    index("conversions_message_idx").on(t.messageId),
  ],
);

/** Hosted form page views per form and (UTC) day: the top of the form funnel. */
export const formViews = pgTable(
  "form_views",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    formId: uuid("form_id")
      .notNull()
      .references(() => forms.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    views: integer("views").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.formId, t.day] }), index("form_views_workspace_day_idx").on(t.workspaceId, t.day)],
);

/**
 * Mail activity per day, flow, send node and template, kept by triggers (see the migration's
 * hand-written block) so reports read thousands of rows instead of millions of events.
 * `events` counts every event; `messages` counts messages whose first event of that kind
 * (type × human/machine) this was — the "unique" figure rates are built on. Sends come from
 * messages.sent_at, not from provider "sent" events, so a webhook's echo cannot double them.
 */
export const emailStatsDaily = pgTable(
  "email_stats_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    flowId: uuid("flow_id").notNull().default(NO_ID),
    nodeId: text("node_id").notNull().default(""),
    templateId: uuid("template_id").notNull().default(NO_ID),
    type: text("type").notNull(),
    machine: boolean("machine").notNull().default(false),
    events: bigint("events", { mode: "number" }).notNull().default(0),
    messages: bigint("messages", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    uniqueIndex("email_stats_daily_key").on(t.workspaceId, t.day, t.flowId, t.nodeId, t.templateId, t.type, t.machine),
    index("email_stats_daily_flow_idx").on(t.workspaceId, t.flowId, t.nodeId, t.day),
  ],
);

/** Clicks per link per day (same keys as email_stats_daily, plus the URL). */
export const emailLinkClicksDaily = pgTable(
  "email_link_clicks_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    flowId: uuid("flow_id").notNull().default(NO_ID),
    nodeId: text("node_id").notNull().default(""),
    templateId: uuid("template_id").notNull().default(NO_ID),
    /** md5 of the URL: URLs may exceed what a btree key holds. */
    urlHash: text("url_hash").notNull(),
    url: text("url").notNull(),
    machine: boolean("machine").notNull().default(false),
    clicks: bigint("clicks", { mode: "number" }).notNull().default(0),
    /** Messages whose first click on this link this was. */
    messages: bigint("messages", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    uniqueIndex("email_link_clicks_daily_key").on(t.workspaceId, t.day, t.flowId, t.nodeId, t.templateId, t.urlHash, t.machine),
    index("email_link_clicks_daily_flow_idx").on(t.workspaceId, t.flowId, t.nodeId, t.day),
  ],
);

/** Enrollments per flow and day (trigger on enrollments). */
export const flowEnrollmentsDaily = pgTable(
  "flow_enrollments_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    enrolled: bigint("enrolled", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.flowId, t.day] }),
    index("flow_enrollments_daily_day_idx").on(t.workspaceId, t.day),
  ],
);

/**
 * Enrollments reaching each node per day (first visit only, so loops do not inflate the funnel),
 * split by the exit taken when it was known at once (random splits, conditions).
 */
export const flowStepsDaily = pgTable(
  "flow_steps_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    nodeId: text("node_id").notNull(),
    exit: text("exit").notNull().default(""),
    day: date("day", { mode: "string" }).notNull(),
    entered: bigint("entered", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.flowId, t.nodeId, t.exit, t.day] })],
);

// Indexes the reports need on other aggregates' tables (consent events by form and kind) live in
// the migration's hand-written block, beside the triggers that keep the rollups above.

/**
 * "Has this message had an event of this kind yet?": a row per (message, kind), inserted by the
 * rollup trigger with ON CONFLICT DO NOTHING, so unique counts stay exact under concurrent and
 * out-of-order webhooks. kind is `${type}:${machine}` or `click:${machine}:${md5(url)}`.
 */
export const emailFirsts = pgTable(
  "email_firsts",
  {
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.kind] })],
);

/**
 * Contacts per creation day and current status (trigger on contacts: a status change moves the
 * contact between rows of its creation day), for subscriber growth without scanning contacts.
 */
export const contactGrowthDaily = pgTable(
  "contact_growth_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    status: text("status").notNull(),
    contacts: bigint("contacts", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.day, t.status] })],
);

/**
 * Form submissions (opt-ins naming the form) per form and opt-in day, and how many of those
 * contacts confirmed (double opt-in), credited to the opt-in's day so the funnel is a cohort.
 * Kept by a trigger on consent_events.
 */
export const formStatsDaily = pgTable(
  "form_stats_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    formId: uuid("form_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    submissions: bigint("submissions", { mode: "number" }).notNull().default(0),
    confirmations: bigint("confirmations", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.formId, t.day] })],
);
