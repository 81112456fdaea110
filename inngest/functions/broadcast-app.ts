import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { serve } from "inngest/node";
import { openDb } from "@/db/client";
import { env, serviceEnv } from "@/lib/env";
import { resendTransport } from "@/lib/server/email/transport";
import { executorClient, waitFor, type ExecutorTarget } from "../local/test-app";
import { createFunctions } from "./all";

/**
 * The app's Inngest functions served from a process of their own on a fixed port, mail through
 * the real Resend SDK to `captureUrl`: for the broadcast crash test (killed with SIGKILL and
 * restarted on the same port, as a crashed app server comes back) and the broadcast benchmark.
 * Run as a script it is that process:
 * `broadcast-app.ts <executorUrl> <databaseUrl> <embedded 0|1> <captureUrl> <port>` with the
 * executor's keys in INNGEST_EVENT_KEY / INNGEST_SIGNING_KEY; prints "serving <serveUrl>".
 */

export type BroadcastApp = { child: ChildProcess; serveUrl: string };

export async function startBroadcastApp(opts: { executor: ExecutorTarget; db: { url: string; embedded: boolean }; captureUrl: string; port: number }): Promise<BroadcastApp> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", "./scripts/allow-server-only.mjs", fileURLToPath(import.meta.url), opts.executor.url, opts.db.url, opts.db.embedded ? "1" : "0", opts.captureUrl, String(opts.port)],
    { stdio: ["ignore", "pipe", "pipe"], env: serviceEnv({ INNGEST_EVENT_KEY: opts.executor.keys.eventKey, INNGEST_SIGNING_KEY: opts.executor.keys.signingKey }) },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const serveUrl = await waitFor(
    "the broadcast app to serve",
    () => {
      if (child.exitCode !== null) throw new Error(`the broadcast app exited (${child.exitCode}): ${out}`);
      return /serving (\S+)/.exec(out)?.[1];
    },
    60_000,
  );
  return { child, serveUrl };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [executorUrl, databaseUrl, embedded, captureUrl, port] = process.argv.slice(2);
  const { INNGEST_EVENT_KEY: eventKey, INNGEST_SIGNING_KEY: signingKey } = env();
  if (!executorUrl || !databaseUrl || !captureUrl || !port || !eventKey || !signingKey) {
    console.error("usage: broadcast-app.ts <executorUrl> <databaseUrl> <embedded 0|1> <captureUrl> <port>, keys in INNGEST_EVENT_KEY / INNGEST_SIGNING_KEY");
    process.exit(2);
  }
  const h = openDb(databaseUrl, { embedded: embedded === "1" });
  const inngest = executorClient("tillit", { url: executorUrl, keys: { eventKey, signingKey } });
  const transport = resendTransport({ apiKey: "re_test", baseUrl: captureUrl });
  const handler = serve({ client: inngest, functions: createFunctions(inngest, { db: () => h.db, transport: () => transport }), enableUnauthedSync: false });
  const server = createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 65_000;
  server.listen(Number(port), "127.0.0.1", () => console.log(`serving http://127.0.0.1:${port}/api/inngest`));
  // A clean stop (the benchmark's end) exits normally, so --cpu-prof and the like write their files.
  process.once("SIGTERM", () => process.exit(0));
}
