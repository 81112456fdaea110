import path from "node:path";
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

try {
  const dataDir = path.resolve(e.TILLIT_DATA_DIR, "pglite");
  console.log(
    e.embeddedDatabase
      ? `tillit: embedded Postgres (PGlite) in ${dataDir}, served on 127.0.0.1:${e.PGLITE_PORT}`
      : `tillit: Postgres at ${new URL(e.databaseUrl).host}`,
  );
  // The local executor runs unless another Inngest is configured: the real dev server by URL,
  // or Inngest Cloud / self-hosted by keys. Then the SDK follows those settings alone.
  const localExecutorUrl = `http://127.0.0.1:${e.INNGEST_LOCAL_PORT}`;
  const otherInngest = Boolean(
    e.INNGEST_EVENT_KEY || e.INNGEST_SIGNING_KEY || (e.INNGEST_DEV && /^https?:/.test(e.INNGEST_DEV) && e.INNGEST_DEV !== localExecutorUrl),
  );
  console.log(otherInngest ? "tillit: using the configured Inngest server" : `tillit: local Inngest executor on ${localExecutorUrl}`);
  stack = await startStack({
    mode: prod ? "start" : "dev",
    port: e.PORT,
    executor: otherInngest ? false : { port: e.INNGEST_LOCAL_PORT },
    trackingPort: e.TRACKING_PORT,
    database: e.embeddedDatabase
      ? { kind: "embedded", dataDir, port: e.PGLITE_PORT }
      : { kind: "url", url: e.databaseUrl },
    // The dev mailbox is for local work: on in dev, and in --prod only when asked for explicitly.
    devMailbox: prod ? e.TILLIT_DEV_MAILBOX : !e.RESEND_API_KEY,
    output: "inherit",
  });
  console.log(`tillit: tracking API (Segment-compatible) on ${stack.trackingUrl}/v1/…`);
  console.log(`tillit: ready on ${e.appUrl}${!prod && !e.RESEND_API_KEY ? ` — mail goes to ${e.appUrl}/dev/mailbox` : ""}`);
} catch (err) {
  console.error(`tillit: ${err instanceof StackError ? err.message : (err as Error).stack}`);
  await shutdown(1);
}
