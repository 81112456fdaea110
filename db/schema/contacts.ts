import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { workspaces } from "./workspaces";

/**
 * unconfirmed: double opt-in pending, never receives marketing.
 * subscribed: may receive marketing (subject to topics and suppressions).
 * unsubscribed / bounced / complained: receives transactional mail only, or none.
 * erased: personal fields redacted on request; kept so references stay valid.
 */
export const contactStatus = pgEnum("contact_status", [
  "unconfirmed",
  "subscribed",
  "unsubscribed",
  "bounced",
  "complained",
  "erased",
]);

export type AttributeValue = string | number | boolean | null;

export const contacts = pgTable(
  "contacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    /** The id the workspace's own systems know this person by (Segment's userId). */
    externalId: text("external_id"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    /** IANA zone, e.g. Europe/Oslo; null means the workspace default. */
    timeZone: text("time_zone"),
    /** Typed attributes: strings, numbers, booleans; dates as ISO-8601 strings (typed by the attribute catalog). */
    attributes: jsonb("attributes").$type<Record<string, AttributeValue>>().notNull().default({}),
    status: contactStatus("status").notNull().default("unconfirmed"),
    /** How the contact first arrived: form, api, import, manual, tracking. */
    source: text("source").notNull().default("manual"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Case-insensitive uniqueness without an extension type, portable to PGlite and PG 15.
    uniqueIndex("contacts_workspace_email_key").on(t.workspaceId, sql`lower(${t.email})`),
    uniqueIndex("contacts_workspace_external_id_key")
      .on(t.workspaceId, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index("contacts_workspace_created_idx").on(t.workspaceId, t.createdAt, t.id),
    index("contacts_workspace_status_idx").on(t.workspaceId, t.status),
    // Name prefix search in the contact list (LIKE 'ann%' under any collation).
    index("contacts_workspace_first_name_idx").on(t.workspaceId, sql`lower(${t.firstName}) text_pattern_ops`),
    index("contacts_workspace_last_name_idx").on(t.workspaceId, sql`lower(${t.lastName}) text_pattern_ops`),
    // Segment conditions "attribute = value" (compiled with a containment test beside the exact one).
    index("contacts_attributes_idx").using("gin", sql`${t.attributes} jsonb_path_ops`),
  ],
);

export const tags = pgTable(
  "tags",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("tags_workspace_name_key").on(t.workspaceId, sql`lower(${t.name})`)],
);

export const contactTags = pgTable(
  "contact_tags",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    tagId: uuid("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.tagId] }), index("contact_tags_tag_idx").on(t.tagId)],
);

/** Subscription topics ("Newsletter", "Product updates"): forms offer them, the preference centre lists them. */
export const topics = pgTable(
  "topics",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** Stable machine key used in the API, consent events and templates, e.g. `newsletter`. */
    key: text("key").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("topics_workspace_key").on(t.workspaceId, t.key)],
);

/**
 * A contact's state per topic. No row: never asked (marketing of that topic follows the list-wide
 * consent). The consent ledger keeps the history; this is the current state.
 */
export const contactTopics = pgTable(
  "contact_topics",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    topicId: uuid("topic_id")
      .notNull()
      .references(() => topics.id, { onDelete: "cascade" }),
    subscribed: boolean("subscribed").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.topicId] }), index("contact_topics_topic_idx").on(t.topicId, t.subscribed)],
);

export const consentKind = pgEnum("consent_kind", [
  "opt_in", // consent given (form, API, import with a stated source, by hand)
  "confirmed", // double opt-in confirmation, its own event
  "withdrawn", // unsubscribe (all or one topic)
  "complaint", // spam complaint from the mailbox provider
  "erased", // erasure request carried out
]);

/**
 * The consent ledger. Append-only: a trigger (migration 0001) refuses DELETE and any UPDATE
 * except erasure's redaction of personal fields, which keeps each row's kind, time and form version.
 */
export const consentEvents = pgTable(
  "consent_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    kind: consentKind("kind").notNull(),
    /** null: the whole marketing list; otherwise a topic key. */
    topic: text("topic"),
    /** The address at the time of the event. */
    email: text("email"),
    /** hosted_form, embedded_form, api, import, manual, unsubscribe_link, list_unsubscribe, webhook */
    source: text("source").notNull(),
    formId: uuid("form_id"),
    formVersion: text("form_version"),
    /** The exact consent wording shown. */
    wording: text("wording"),
    privacyNoticeUrl: text("privacy_notice_url"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("consent_events_contact_idx").on(t.contactId, t.occurredAt),
    index("consent_events_workspace_time_idx").on(t.workspaceId, t.occurredAt),
    // An import's contacts (re-permission lists them from their opt-ins).
    index("consent_events_import_idx")
      .on(t.workspaceId, sql`(${t.data}->>'importId')`, t.contactId)
      .where(sql`${t.kind} = 'opt_in' and ${t.source} = 'import'`),
  ],
);

export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "cascade" }),
    anonymousId: text("anonymous_id"),
    /** The sender's own id for the person (Segment userId), as sent. */
    userId: text("user_id"),
    /** track: the event name; page: "Page Viewed"; identify: "Identified". */
    name: text("name").notNull(),
    type: text("type").notNull().default("track"),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
    /** The sender's de-duplication id (Segment messageId). */
    messageId: text("message_id"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    source: text("source").notNull().default("api"),
  },
  (t) => [
    // Only events with a contact: an unknown visitor's page views (most of the traffic) skip it.
    index("events_contact_name_time_idx")
      .on(t.contactId, t.name, t.occurredAt)
      .where(sql`${t.contactId} is not null`),
    // Events waiting for a contact (unknown visitors), for the ingest's attach pass.
    index("events_waiting_idx")
      .on(t.id)
      .where(sql`${t.contactId} is null`),
    // contact_id last: "who did X in this window" is an index-only range scan (segments hash-join it).
    index("events_workspace_name_time_contact_idx").on(t.workspaceId, t.name, t.occurredAt, t.contactId),
    index("events_anonymous_idx")
      .on(t.workspaceId, t.anonymousId)
      .where(sql`${t.anonymousId} is not null`),
    uniqueIndex("events_workspace_message_id_key")
      .on(t.workspaceId, t.messageId)
      .where(sql`${t.messageId} is not null`),
  ],
);
