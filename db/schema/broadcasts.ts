import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { contacts } from "./contacts";
import { messages, templates, templateVersions } from "./email";
import { workspaces } from "./workspaces";

/**
 * Broadcasts: one message to an audience, now or at a time (docs/broadcasts.md).
 * draft → scheduled → sending → sent; a scheduled or sending broadcast can be cancelled, a sending
 * one paused (and resumed). Every change is in the audit log.
 */
export const broadcastStatus = pgEnum("broadcast_status", ["draft", "scheduled", "sending", "paused", "sent", "cancelled"]);

export const broadcasts = pgTable(
  "broadcasts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: broadcastStatus("status").notNull().default("draft"),
    /** The template a draft names. */
    templateId: uuid("template_id").references(() => templates.id, { onDelete: "set null" }),
    /** The template version pinned when the broadcast was scheduled: what goes out, whatever is edited since. */
    templateVersionId: uuid("template_version_id").references(() => templateVersions.id),
    /** Subject and preheader (merge tags allowed); null: the template's. */
    subject: text("subject"),
    preheader: text("preheader"),
    /** Sender identity; null: the workspace's. */
    fromName: text("from_name"),
    fromEmail: text("from_email"),
    replyTo: text("reply_to"),
    /** The broadcast's own UTM parameters (lib/flows/catalog UtmOverride); null: the workspace's. */
    utm: jsonb("utm").$type<unknown>(),
    /** Who it goes to (lib/broadcasts/audience.ts `Audience`). */
    audience: jsonb("audience").$type<unknown>().notNull().default({}),
    /** Frequency caps and quiet hours do not hold it (consent and suppression always do). */
    bypassCaps: boolean("bypass_caps").notNull().default(false),
    /** When sending starts; null while a draft, or "now" when scheduled without a time. */
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    /** Recipients in the audience snapshot taken when sending started. */
    recipientCount: integer("recipient_count"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("broadcasts_workspace_time_idx").on(t.workspaceId, t.createdAt)],
);

/** queued: in the snapshot, not yet handed off; sent; skipped (with the reason: consent, suppression…); failed. */
export const broadcastRecipientStatus = pgEnum("broadcast_recipient_status", ["queued", "sent", "skipped", "failed"]);

/**
 * The audience snapshot: one row per broadcast and contact, taken in one statement when sending
 * starts. The primary key is what makes "exactly once per person" hold.
 */
export const broadcastRecipients = pgTable(
  "broadcast_recipients",
  {
    broadcastId: uuid("broadcast_id")
      .notNull()
      .references((): AnyPgColumn => broadcasts.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** Which batch of (up to) 100 it is handed off in. */
    batchNo: integer("batch_no").notNull(),
    status: broadcastRecipientStatus("status").notNull().default("queued"),
    reason: text("reason"),
    messageId: uuid("message_id").references((): AnyPgColumn => messages.id, { onDelete: "set null" }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.broadcastId, t.contactId] }),
    index("broadcast_recipients_batch_idx").on(t.broadcastId, t.batchNo),
    index("broadcast_recipients_status_idx").on(t.broadcastId, t.status),
  ],
);
