import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/**
 * Which contact an anonymous browser id belongs to, learned on identify: later page views and
 * events under that anonymousId attach to the contact.
 */
export const trackingIdentities = pgTable(
  "tracking_identities",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    anonymousId: text("anonymous_id").notNull(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.anonymousId] }), index("tracking_identities_contact_idx").on(t.contactId)],
);

/**
 * Tracked events committed but not yet handed to Inngest, a row per grouped commit (or per
 * attach): written in the same statement as the events, so a crash between the commit and the
 * forward loses nothing; a row goes once Inngest accepted its events. Only events with a contact
 * are listed: an unknown visitor's events wait in events itself (contact_id null, found through
 * events_waiting_idx) until an identify or the attach pass gives them a contact and a row here.
 * One row per group instead of one per event: a row per event (with its two indexes) was a quarter
 * of the WAL the ingest wrote per event. No foreign keys: a listed event that was deleted meanwhile
 * (erasure, a deleted workspace) is simply not found, and not forwarded.
 */
export const eventOutboxBatches = pgTable("event_outbox_batches", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  eventIds: uuid("event_ids").array().notNull(),
  attempts: integer("attempts").notNull().default(0),
  /** A forwarder's claim: others skip the row until then (a crashed forwarder's claim lapses). */
  claimedUntil: timestamp("claimed_until", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Inngest events the app emits (contact created, tag added, enrolment requested…), written in the
 * same transaction as the change that caused them. The app hands them over right after commit; a
 * forwarder (the ingest process, and a cron sweep) sends whatever that missed. The event id makes
 * a repeated hand-over a duplicate Inngest ignores.
 */
export const appOutbox = pgTable(
  "app_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: text("event_id").notNull(),
    name: text("name").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    attempts: integer("attempts").notNull().default(0),
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("app_outbox_claim_idx").on(t.claimedUntil, t.id)],
);
