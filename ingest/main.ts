import { openDb } from "../db/client";
import { envOrExit } from "../lib/env";
import { sendAppEventsToInngest, sendToInngest } from "./forward";
import { startIngestServer } from "./server";

/**
 * The tracking ingest as a process of its own, started by npm run dev and start beside Next as
 * `node <ingestNodeArgs()>` (ingest/launch.ts: bundled, not through tsx; `npx tsx ingest/main.ts`
 * works too, slower). Prints one line "tracking-ingest: listening on <url>" once it accepts requests.
 */
const e = envOrExit();
const h = openDb(e.databaseUrl, { embedded: e.embeddedDatabase, max: e.embeddedDatabase ? 2 : 8 });
const server = await startIngestServer({
  db: h.db,
  port: e.TRACKING_PORT,
  // Loopback under the supervisor; 0.0.0.0 in a container of its own (deploy/compose.yaml).
  host: e.TRACKING_HOST,
  writers: e.embeddedDatabase ? 1 : e.TRACKING_WRITERS,
  forward: e.TRACKING_FORWARD ? sendToInngest : undefined,
  forwardApp: e.TRACKING_FORWARD ? sendAppEventsToInngest : undefined,
  forwardClaimMs: e.TRACKING_FORWARD_CLAIM_MS,
  instance: e.TILLIT_INSTANCE_ID,
  publicUrl: e.TRACKING_URL,
}).catch((err: Error) => {
  console.error(`tracking-ingest: could not start: ${err.message}`);
  process.exit(1);
});
console.log(`tracking-ingest: listening on ${server.url}${e.TRACKING_HOST === "127.0.0.1" ? "" : ` (bound to ${e.TRACKING_HOST})`}`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await h.close();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
