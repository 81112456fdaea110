/**
 * Whether an error means "the database cannot be reached right now" (so: 503, retry later) rather
 * than "this statement failed" (a bug or a refused value). Pure; the one place that decides it, for
 * the REST API, the ingest and the health answers (docs/operations.md).
 */

/** SQLSTATEs of a server that is going away, not accepting connections, or out of them. */
const SERVER_CODES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
  "53300", // too_many_connections
]);

/**
 * What the driver and the socket say when there is no usable connection: postgres.js's own codes
 * (a connection closed under a query, a pool ended, a connect that timed out) and Node's network
 * errors, which are also what a client of the embedded PGlite server sees when it stops or drops
 * the connection.
 */
const DRIVER_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** How far down `cause` / `errors` chains are followed (an error can hold itself). */
const MAX_DEPTH = 5;

export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailability(err, 0) !== undefined;
}

/**
 * For the log: the error that says the database is unavailable, as "CODE: message" (it may name
 * the host: never for a response body), or undefined when it is not that kind of error.
 */
export function unavailableReason(err: unknown): string | undefined {
  const found = unavailability(err, 0);
  return found && `${found.code}: ${found.message}`;
}

type Coded = { code: string; message: string };

function unavailability(err: unknown, depth: number): Coded | undefined {
  if (depth > MAX_DEPTH || typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string") {
    const found = { code: e.code, message: typeof e.message === "string" ? e.message : "" };
    if (DRIVER_CODES.has(e.code) || SERVER_CODES.has(e.code)) return found;
    // Class 08: connection exceptions (connection failure, does not exist, rejected…), but not
    // 08P01, a protocol violation: a fault of the client or server, not an outage.
    if (/^08[0-9A-Z]{3}$/.test(e.code) && e.code !== "08P01") return found;
  }
  // drizzle wraps the driver's error (DrizzleQueryError.cause); Node's happy-eyeballs connect
  // throws an AggregateError of one error per address tried.
  const inner = unavailability(e.cause, depth + 1);
  if (inner || !Array.isArray(e.errors)) return inner;
  for (const x of e.errors.slice(0, 10)) {
    const found = unavailability(x, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Seconds a client should wait before retrying a request refused because the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable, retry later";
