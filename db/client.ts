import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "../lib/env";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
export type Sql = postgres.Sql;

export type DbHandle = { db: Db; sql: Sql; close: () => Promise<void> };

/**
 * Opens a pool. `embedded` is for the PGlite wire server: it multiplexes every connection
 * onto one session, so named prepared statements from two connections would collide.
 */
export function openDb(url: string, opts: { embedded?: boolean; max?: number } = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? (opts.embedded ? 4 : 10),
    prepare: !opts.embedded,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 30,
    // JIT compilation costs tens of milliseconds on the first run of every large query (reports,
    // segment counts) and saves nothing on queries that finish in a few hundred: off for the app.
    connection: opts.embedded ? {} : { jit: "off" },
  });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The postgres.js pool behind a database opened by `openDb`, for the few hot statements that run
 * as fixed, prepared text (a transaction's `tx` has none: it throws).
 */
export function clientOf(db: Db): Sql {
  const client = (db as Db & { $client?: Sql }).$client;
  if (!client) throw new Error("clientOf: not a database opened by openDb (a transaction?)");
  return client;
}

// One pool per server process, kept across Next's dev reloads.
const g = globalThis as unknown as { __tillitDb?: DbHandle };

/**
 * Replaces the process-wide database (undefined: open it from the configuration again on next use),
 * for tests that call route handlers in-process; returns the one it replaced, which stays open.
 */
export function replaceDb(handle: DbHandle | undefined): DbHandle | undefined {
  const previous = g.__tillitDb;
  g.__tillitDb = handle;
  return previous;
}

/** The process-wide database of the app. */
export function getDb(): Db {
  if (!g.__tillitDb) {
    const e = env();
    g.__tillitDb = openDb(e.databaseUrl, { embedded: e.embeddedDatabase });
  }
  return g.__tillitDb.db;
}
