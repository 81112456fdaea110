import type { SQL } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "../lib/env";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Sql = postgres.Sql;
/** A database opened by `openDb`: drizzle over a postgres.js pool, which it carries as `$client`. */
export type Db = PostgresJsDatabase<Schema> & { $client: Sql };
/** An open transaction (the argument of `db.transaction`'s callback); it has no pool of its own. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/**
 * What a query that may run inside a caller's transaction takes. A function that needs the pool
 * itself (`clientOf`, `db.transaction` for a fresh transaction, parallel statements) takes `Db`.
 */
export type DbOrTx = Db | Tx;

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
 * as fixed, prepared text. A transaction has none: its type (`Tx`) is refused here, and a value
 * that slipped past the types throws.
 */
export function clientOf(db: Db): Sql {
  const client = (db as Partial<Db>).$client;
  if (!client) throw new Error("clientOf: not a database opened by openDb (a transaction?)");
  return client;
}

/**
 * The rows of a raw SQL statement, typed by the caller: the one place raw results are cast.
 * drizzle types `execute` on postgres.js as a RowList of records; the rows are plain objects whose
 * shape is what the statement selects, which only the caller knows.
 */
export async function rows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  return (await db.execute(query)) as unknown as T[];
}

// One pool per server process, kept across Next's dev reloads (on globalThis, whose type knows
// nothing of it).
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
