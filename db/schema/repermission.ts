import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { contacts } from "./contacts";
import { templates } from "./email";
import { imports } from "./imports";
import { segments } from "./segments";
import { workspaces } from "./workspaces";

/**
 * A re-permission request: "ask these unconfirmed contacts to confirm" for an import's contacts, a
 * segment's members or contacts named through the API (docs/forms-and-consent.md#re-permission).
 * Its contacts are listed once (`repermission_asks`), then asked in batches by an Inngest function.
 */
export const repermissionRequests = pgTable(
  "repermission_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** import, segment or api: what the confirmations' ledger source names. */
    source: text("source").notNull(),
    importId: uuid("import_id").references(() => imports.id, { onDelete: "set null" }),
    segmentId: uuid("segment_id").references(() => segments.id, { onDelete: "set null" }),
    /** API requests: the contacts named (at most 1000). */
    contactIds: jsonb("contact_ids").$type<string[]>(),
    /** A transactional template with {{ confirm_url }}; null: the workspace's standard confirmation mail. */
    templateId: uuid("template_id").references(() => templates.id, { onDelete: "set null" }),
    /** The wording the confirmation page shows, copied into each `confirmed` ledger event. */
    wording: text("wording").notNull(),
    /** listing: contacts being listed; asking: mails going out; completed. */
    status: text("status").notNull().default("listing"),
    /** Contacts listed for the request (asked or skipped in the end). */
    total: integer("total").notNull().default(0),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    apiKeyId: uuid("api_key_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("repermission_requests_workspace_idx").on(t.workspaceId, t.createdAt),
    index("repermission_requests_import_idx").on(t.workspaceId, t.importId).where(sql`${t.importId} is not null`),
    index("repermission_requests_segment_idx").on(t.workspaceId, t.segmentId).where(sql`${t.segmentId} is not null`),
  ],
);

/**
 * One contact of a request: queued, then asked (a confirmation mail went out) or skipped (with
 * the reason); `confirmed_at` is set when the contact confirms through this request's link.
 */
export const repermissionAsks = pgTable(
  "repermission_asks",
  {
    requestId: uuid("request_id")
      .notNull()
      .references(() => repermissionRequests.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /** queued, asked, skipped */
    status: text("status").notNull().default("queued"),
    /** Why a contact was not asked (suppressed, asked recently, no opt-in on record, …). */
    reason: text("reason"),
    askedAt: timestamp("asked_at", { withTimezone: true }),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.requestId, t.contactId] }),
    // "Asked in the last 7 days?" per contact, across requests.
    index("repermission_asks_contact_idx").on(t.workspaceId, t.contactId, t.askedAt),
    // The sender's next batch.
    index("repermission_asks_queued_idx").on(t.requestId, t.contactId).where(sql`${t.status} = 'queued'`),
  ],
);
