import path from "node:path";
import { envOrExit } from "@/lib/env";
import { startLocalExecutor } from "./server";

/**
 * `npx tsx inngest/local/main.ts`: the executor as a process of its own (npm run dev, tests that
 * kill it). Configuration comes from lib/env: INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY (required:
 * the supervisor passes the stack's pair), DATABASE_URL (or the embedded server on PGLITE_PORT),
 * INNGEST_LOCAL_PORT, INNGEST_LOCAL_APP_URL (default http://127.0.0.1:$PORT/api/inngest),
 * INNGEST_LOCAL_VIRTUAL_CLOCK, INNGEST_LOCAL_INSPECT, TILLIT_CLOCK_FILE, INNGEST_LOCAL_LEASE_MS,
 * INNGEST_LOCAL_WORKERS, INNGEST_LOCAL_CHECKPOINTING, TILLIT_INSTANCE_ID (echoed by GET /health).
 * Prints one line "inngest-local: listening on <url>" when it accepts requests.
 */
const e = envOrExit();
if (!e.INNGEST_EVENT_KEY || !e.INNGEST_SIGNING_KEY) {
  console.error("inngest-local: INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY are required (npm run dev / npm start pass the stack's keys)");
  process.exit(1);
}

const executor = await startLocalExecutor({
  databaseUrl: e.databaseUrl,
  embedded: e.embeddedDatabase,
  port: e.INNGEST_LOCAL_PORT,
  keys: { eventKey: e.INNGEST_EVENT_KEY, signingKey: e.INNGEST_SIGNING_KEY },
  inspect: e.INNGEST_LOCAL_INSPECT,
  appServeUrl: e.INNGEST_LOCAL_APP_URL ?? `http://127.0.0.1:${e.PORT}/api/inngest`,
  clock: e.INNGEST_LOCAL_VIRTUAL_CLOCK ? "virtual" : "system",
  clockFile: e.TILLIT_CLOCK_FILE ? path.resolve(e.TILLIT_CLOCK_FILE) : undefined,
  leaseMs: e.INNGEST_LOCAL_LEASE_MS,
  workers: e.INNGEST_LOCAL_WORKERS,
  checkpointing: e.INNGEST_LOCAL_CHECKPOINTING,
  instance: e.TILLIT_INSTANCE_ID,
}).catch((err: Error) => {
  console.error(`inngest-local: could not start: ${err.message}`);
  process.exit(1);
});
console.log(`inngest-local: listening on ${executor.url}`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await executor.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
