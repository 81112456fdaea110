import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
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
 * Events committed but not yet handed to Inngest. Written in the same transaction as the event,
 * so a crash between the commit and the forward loses nothing; rows go once Inngest accepted
 * them. Events of unknown (anonymous) visitors wait here until an identify attaches a contact.
 */
export const eventOutbox = pgTable(
  "event_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The event's workspace. No foreign key of its own: the event's cascades (workspace, contact) remove the row. */
    workspaceId: uuid("workspace_id").notNull(),
    /**
     * No foreign key either: rows are only ever written in the statement that stores their event,
     * and a key check would lock that event row (a WAL record per event, on the ingest's hot path).
     * A statement trigger on events (migration 0013) deletes the rows of deleted events instead, so
     * an erased contact's events are never forwarded.
     */
    eventId: uuid("event_id").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** A forwarder's claim: others skip the row until then (a crashed forwarder's claim lapses). */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    /**
     * The event has no contact yet (an unknown visitor): it waits, out of the forwarder's queue,
     * until an identify attaches one. However many wait, taking the ready ones stays cheap.
     */
    waiting: boolean("waiting").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("event_outbox_event_idx").on(t.eventId), index("event_outbox_ready_idx").on(t.id).where(sql`not ${t.waiting}`)],
);

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
