import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { workspaces } from "./workspaces";

export const importStatus = pgEnum("import_status", ["running", "completed", "failed"]);
export const importMode = pgEnum("import_mode", ["update", "skip"]);

/** A CSV import: its settings, the consent statement every imported contact gets, and running totals. */
export const imports = pgTable(
  "imports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    fileName: text("file_name").notNull(),
    status: importStatus("status").notNull().default("running"),
    mode: importMode("mode").notNull(),
    /** The stated source of consent, copied into each opt-in event's wording. */
    statement: text("statement").notNull(),
    /** Column mapping and tags, parsed with lib/import's schema when read. */
    settings: jsonb("settings").$type<unknown>().notNull(),
    totalRows: integer("total_rows").notNull().default(0),
    received: integer("received").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    rejected: integer("rejected").notNull().default(0),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("imports_workspace_idx").on(t.workspaceId, t.createdAt)],
);

/** Chunks already applied: a re-sent chunk is answered from here instead of applied twice. */
export const importChunks = pgTable(
  "import_chunks",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    firstRow: integer("first_row").notNull(),
    rows: integer("rows").notNull(),
    result: jsonb("result").$type<Record<string, number>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.firstRow] })],
);

/** One line of an import's report: a row that is not (or not newly) a contact, and why. */
export const importIssues = pgTable(
  "import_issues",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    /** 1-based data row number in the file (the header is row 0). */
    rowNumber: integer("row_number").notNull(),
    /** rejected: not imported; skipped: the contact exists and the import skips existing ones. */
    outcome: text("outcome").notNull(),
    reason: text("reason").notNull(),
    raw: jsonb("raw").$type<string[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber] })],
);
