import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces";

export const formStatus = pgEnum("form_status", ["draft", "live", "archived"]);

export const forms = pgTable(
  "forms",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Public address: /f/[slug]. Unique across workspaces. */
    slug: text("slug").notNull(),
    status: formStatus("status").notNull().default("draft"),
    /** Fields, topics, styling, success behaviour — parsed with the form schema when read. */
    config: jsonb("config").$type<unknown>().notNull().default({}),
    /** The consent wording shown, and its version (bumped whenever the wording changes). */
    consentWording: text("consent_wording").notNull().default(""),
    wordingVersion: integer("wording_version").notNull().default(1),
    doubleOptIn: boolean("double_opt_in").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("forms_slug_key").on(t.slug), index("forms_workspace_idx").on(t.workspaceId)],
);
