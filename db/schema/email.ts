import { sql } from "drizzle-orm";
import {
  boolean,
  customType,
  index,
  integer,
  primaryKey,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import { consentEvents, contacts } from "./contacts";
import { broadcasts } from "./broadcasts";
import { enrollments, flows, flowVersions } from "./flows";
import { workspaces } from "./workspaces";

/** Marketing mail needs consent and carries unsubscribe headers; transactional mail does neither. */
export const messageClass = pgEnum("message_class", ["marketing", "transactional"]);

export const templates = pgTable(
  "templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    class: messageClass("class").notNull().default("marketing"),
    /** Topic key (topics.key) a marketing template belongs to; null: the general list. */
    topic: text("topic"),
    subject: text("subject").notNull().default(""),
    preheader: text("preheader").notNull().default(""),
    /** Editor document (blocks or markup), parsed with the template schema when read. */
    body: jsonb("body").$type<unknown>().notNull().default({}),
    /** Archived templates leave the pickers; those pinned by a published flow version cannot be deleted. */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("templates_workspace_idx").on(t.workspaceId)],
);

/**
 * A template's content as a flow version pinned it at publish. Immutable (a trigger refuses
 * UPDATE, and DELETE while the template exists); a publish reuses the newest version when the
 * content hash matches, so versions are only made when the template changed.
 */
export const templateVersions = pgTable(
  "template_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    templateId: uuid("template_id")
      .notNull()
      .references(() => templates.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    /** sha256 of the canonical content (name excluded): equal hashes send the same mail. */
    hash: text("hash").notNull(),
    name: text("name").notNull(),
    class: messageClass("class").notNull(),
    topic: text("topic"),
    subject: text("subject").notNull(),
    preheader: text("preheader").notNull(),
    body: jsonb("body").$type<unknown>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("template_versions_template_number_key").on(t.templateId, t.number),
    index("template_versions_template_hash_idx").on(t.templateId, t.hash),
  ],
);

/**
 * Which template version each template a flow version sends was pinned to. The reference (NO ACTION,
 * checked at the end of the statement, so deleting a whole workspace passes) keeps a pinned
 * version, and so its template, from being deleted.
 */
export const flowVersionTemplates = pgTable(
  "flow_version_templates",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    flowVersionId: uuid("flow_version_id")
      .notNull()
      .references(() => flowVersions.id, { onDelete: "cascade" }),
    templateId: uuid("template_id").notNull(),
    templateVersionId: uuid("template_version_id")
      .notNull()
      .references(() => templateVersions.id, { onDelete: "no action" }),
  },
  (t) => [
    primaryKey({ columns: [t.flowVersionId, t.templateId] }),
    index("flow_version_templates_template_idx").on(t.workspaceId, t.templateId),
  ],
);

export const messageStatus = pgEnum("message_status", [
  "queued",
  "sent",
  "delivered",
  "delayed",
  "bounced",
  "complained",
  "failed",
  "suppressed",
]);

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    templateId: uuid("template_id").references(() => templates.id, { onDelete: "set null" }),
    /** The pinned template version this message was rendered from (flow sends). */
    templateVersionId: uuid("template_version_id").references(() => templateVersions.id, { onDelete: "set null" }),
    flowId: uuid("flow_id").references(() => flows.id, { onDelete: "set null" }),
    enrollmentId: uuid("enrollment_id").references(() => enrollments.id, { onDelete: "set null" }),
    nodeId: text("node_id"),
    class: messageClass("class").notNull(),
    toEmail: text("to_email").notNull(),
    /** The subject as rendered for this contact, stored when the provider takes the message (the template's own until then). */
    subject: text("subject").notNull(),
    /**
     * The consent receipt: the ledger event that permitted this marketing message at hand-off
     * (the confirmation or single opt-in in force), null for transactional mail.
     */
    consentEventId: uuid("consent_event_id").references(() => consentEvents.id, { onDelete: "set null" }),
    /** Why this message could go out: "consent" (see consentEventId) or "transactional: …" (needs none). */
    permissionBasis: text("permission_basis"),
    /**
     * The provider batch this message went out in (flow sends): frozen with its bytes before the
     * first call, so a retried step sends the same request again (docs/sending.md).
     */
    batchId: uuid("batch_id").references((): AnyPgColumn => sendBatches.id, { onDelete: "set null" }),
    /** The broadcast this message belongs to (one per broadcast and contact, see broadcast_recipients). */
    broadcastId: uuid("broadcast_id").references((): AnyPgColumn => broadcasts.id, { onDelete: "set null" }),
    /** `enrollmentId:stepId` for flow sends: stable across retries. */
    idempotencyKey: text("idempotency_key"),
    /** The provider's id (Resend email id, or the dev mailbox row id). */
    providerMessageId: text("provider_message_id"),
    /**
     * The opaque List-Unsubscribe token in this message (marketing only). Kept in the clear, unlike
     * sign-in tokens: a retried send must carry the same bytes, and the token can only unsubscribe.
     */
    unsubscribeToken: text("unsubscribe_token"),
    status: messageStatus("status").notNull().default("queued"),
    error: text("error"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("messages_workspace_idempotency_key")
      .on(t.workspaceId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    uniqueIndex("messages_provider_message_id_key")
      .on(t.providerMessageId)
      .where(sql`${t.providerMessageId} is not null`),
    index("messages_contact_idx").on(t.contactId, t.createdAt),
    index("messages_workspace_time_idx").on(t.workspaceId, t.createdAt),
    index("messages_flow_node_idx").on(t.flowId, t.nodeId, t.createdAt),
    uniqueIndex("messages_unsubscribe_token_key")
      .on(t.unsubscribeToken)
      .where(sql`${t.unsubscribeToken} is not null`),
    index("messages_enrollment_idx").on(t.enrollmentId),
    index("messages_batch_idx").on(t.batchId).where(sql`${t.batchId} is not null`),
    index("messages_broadcast_idx").on(t.broadcastId).where(sql`${t.broadcastId} is not null`),
  ],
);

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/** pending: frozen, not yet taken by the provider; sent; split: refused as a whole, its messages go alone. */
export const sendBatchStatus = pgEnum("send_batch_status", ["pending", "sent", "split"]);

/**
 * One request to the provider's batch endpoint, frozen before its first call: which messages, in
 * which order, and the exact bytes. The provider's idempotency key covers a whole request for 24 h
 * and refuses the same key with another body, so the key is derived from this row and every retry
 * sends this body again (docs/sending.md).
 */
export const sendBatches = pgTable(
  "send_batches",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    status: sendBatchStatus("status").notNull().default("pending"),
    /** The members, in the order of the request (the provider answers ids in that order). */
    messageIds: uuid("message_ids").array().notNull(),
    /** gzip of the request's JSON body; dropped once the provider took it. */
    body: bytea("body"),
    attempts: integer("attempts").notNull().default(0),
    /** Whoever is calling the provider with this batch holds it until then. */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [index("send_batches_workspace_time_idx").on(t.workspaceId, t.createdAt)],
);

/**
 * A workspace's sending pace: the earliest time its next provider request may go. Each request
 * reserves the next slot in one statement, so the pace holds across processes (docs/sending.md).
 */
export const sendPace = pgTable("send_pace", {
  workspaceId: uuid("workspace_id")
    .primaryKey()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  nextAt: timestamp("next_at", { withTimezone: true }).notNull(),
});

export const emailEventType = pgEnum("email_event_type", [
  "sent",
  "delivered",
  "delivery_delayed",
  "opened",
  "clicked",
  "bounced",
  "complained",
  "failed",
  "suppressed",
  "unsubscribed",
]);

export const emailEvents = pgTable(
  "email_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    type: emailEventType("type").notNull(),
    /** For clicks: the destination. */
    url: text("url"),
    /** Scanner, prefetch or privacy-proxy activity: recorded, but left out of conditions, goals and stats by default. */
    machine: boolean("machine").notNull().default(false),
    /** Webhook delivery id or our tracking id: replays are ignored. */
    dedupeKey: text("dedupe_key").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("email_events_dedupe_key").on(t.workspaceId, t.dedupeKey),
    index("email_events_message_idx").on(t.messageId, t.type),
    index("email_events_contact_idx").on(t.contactId, t.type, t.occurredAt),
    index("email_events_workspace_time_idx").on(t.workspaceId, t.type, t.occurredAt),
  ],
);

export const suppressionReason = pgEnum("suppression_reason", [
  "unsubscribed",
  "bounced",
  "complained",
  "erased",
  "manual",
]);

/** Addresses that must not receive marketing, kept only as an HMAC under the workspace secret (db/queries/suppressions). */
export const suppressions = pgTable(
  "suppressions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** HMAC-SHA256(workspace secret, lower-cased address): see addressHash. */
    emailHash: text("email_hash").notNull(),
    reason: suppressionReason("reason").notNull(),
    note: text("note"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("suppressions_workspace_email_key").on(t.workspaceId, t.emailHash)],
);

/** The dev mailbox: outgoing mail kept in Postgres when no Resend key is set (dev and tests only). */
export const devMailbox = pgTable(
  "dev_mailbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    from: text("from").notNull(),
    to: jsonb("to").$type<string[]>().notNull(),
    replyTo: text("reply_to"),
    subject: text("subject").notNull(),
    html: text("html"),
    text: text("text"),
    headers: jsonb("headers").$type<Record<string, string>>().notNull().default({}),
    tags: jsonb("tags").$type<{ name: string; value: string }[]>().notNull().default([]),
    idempotencyKey: text("idempotency_key"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("dev_mailbox_created_idx").on(t.createdAt),
    uniqueIndex("dev_mailbox_idempotency_key")
      .on(t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
  ],
);
