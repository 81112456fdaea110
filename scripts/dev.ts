import path from "node:path";
import { pathToFileURL } from "node:url";
import { InngestKeysError, loadOrCreateInngestKeys, type InngestKeys } from "../inngest/keys";
import { envOrExit } from "../lib/env";
import { StackError, startStack, type Stack } from "./stack";

/**
 * `npm run dev` (and `npm start` with --prod): one command for everything a user needs —
 * the database (embedded PGlite in ./.data, or DATABASE_URL), migrations, and Next on :3000.
 * Ctrl-C stops every child and closes the database cleanly, so the next start finds its data.
 */

const prod = process.argv.includes("--prod");
const e = envOrExit();

let stack: Stack | undefined;
let stopping = false;

async function shutdown(code: number, reason?: string) {
  if (stopping) return;
  stopping = true;
  if (reason) console.log(`\ntillit: ${reason}, stopping…`);
  await stack?.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0, "interrupted"));
process.on("SIGTERM", () => void shutdown(0, "terminated"));
// The supervisor too stops when what started it is gone (its children watch it the same way).
await import(pathToFileURL(path.resolve("scripts", "parent-watch.mjs")).href);

try {
  const dataDir = path.resolve(e.TILLIT_DATA_DIR, "pglite");
  console.log(
    e.embeddedDatabase
      ? `tillit: embedded Postgres (PGlite) in ${dataDir}, served on 127.0.0.1:${e.PGLITE_PORT}`
      : `tillit: Postgres at ${new URL(e.databaseUrl).host}`,
  );
  // The bundled executor runs unless TILLIT_INNGEST=external names another Inngest (Cloud, or
  // self-hosted at INNGEST_BASE_URL). Either way the app's SDK runs in cloud mode with keys: the
  // configured ones, or a pair generated once into the data directory.
  const external = e.TILLIT_INNGEST === "external";
  let keys: InngestKeys | undefined;
  if (!external) {
    try {
      keys =
        e.INNGEST_EVENT_KEY && e.INNGEST_SIGNING_KEY
          ? { eventKey: e.INNGEST_EVENT_KEY, signingKey: e.INNGEST_SIGNING_KEY }
          : loadOrCreateInngestKeys(e.TILLIT_DATA_DIR);
    } catch (err) {
      if (err instanceof InngestKeysError) throw new StackError(err.message);
      throw err;
    }
  }
  console.log(
    external
      ? `tillit: using the configured Inngest server${e.INNGEST_BASE_URL ? ` at ${e.INNGEST_BASE_URL}` : " (Inngest Cloud)"}`
      : `tillit: local Inngest executor on http://127.0.0.1:${e.INNGEST_LOCAL_PORT}`,
  );
  stack = await startStack({
    mode: prod ? "start" : "dev",
    port: e.PORT,
    executor: keys ? { port: e.INNGEST_LOCAL_PORT, keys, inspect: e.INNGEST_LOCAL_INSPECT } : false,
    trackingPort: e.TRACKING_PORT,
    database: e.embeddedDatabase
      ? { kind: "embedded", dataDir, port: e.PGLITE_PORT }
      : { kind: "url", url: e.databaseUrl },
    // The dev mailbox is for local work: on in dev, and in --prod only when asked for explicitly.
    devMailbox: prod ? e.TILLIT_DEV_MAILBOX : !e.RESEND_API_KEY,
    output: "inherit",
    // One stack per embedded data directory; on a shared Postgres several may run (other ports).
    lockDataDir: e.embeddedDatabase ? path.resolve(e.TILLIT_DATA_DIR) : undefined,
    restart: { limit: e.TILLIT_RESTART_LIMIT, windowMs: e.TILLIT_RESTART_WINDOW_SECONDS * 1000, backoffMs: e.TILLIT_RESTART_BACKOFF_MS },
    // A process manager above (systemd, a container runtime) sees the non-zero exit and can act.
    onGiveUp: () => process.exit(1),
  });
  console.log(`tillit: tracking API (Segment-compatible) on ${stack.trackingUrl}/v1/…`);
  console.log(`tillit: ready on ${e.appUrl}${!prod && !e.RESEND_API_KEY ? ` — mail goes to ${e.appUrl}/dev/mailbox` : ""}`);
} catch (err) {
  console.error(`tillit: ${err instanceof StackError ? err.message : (err as Error).stack}`);
  await shutdown(1);
}
