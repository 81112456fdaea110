import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/** A saved segment: its definition (lib/segments' schema, parsed when read) compiles to one SQL query. */
export const segments = pgTable(
  "segments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    definition: jsonb("definition").$type<unknown>().notNull(),
    /**
     * Set by the first membership refresh, which records who matches without announcing them:
     * only people who start matching after that "enter" (and trigger flows).
     */
    baselinedAt: timestamp("baselined_at", { withTimezone: true }),
    refreshedAt: timestamp("refreshed_at", { withTimezone: true }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("segments_workspace_idx").on(t.workspaceId, t.createdAt)],
);

/**
 * Who matched a segment at its last refresh. A row appearing is an entry (contact/segment.entered);
 * a row removed is a leave, so a later match is a new entry and the flow's re-entry rule decides.
 */
export const segmentMemberships = pgTable(
  "segment_memberships",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    segmentId: uuid("segment_id")
      .notNull()
      .references(() => segments.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    enteredAt: timestamp("entered_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.segmentId, t.contactId] }), index("segment_memberships_contact_idx").on(t.contactId)],
);
