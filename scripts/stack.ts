import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { openDb } from "../db/client";
import { startEmbeddedPostgres, PortInUseError, type EmbeddedServer } from "../db/embedded";
import { applyMigrations } from "../db/migrate";
import { childEnv } from "../lib/env";
import { ingestNodeArgs } from "../ingest/launch";
import type { InngestKeys } from "../inngest/keys";

/**
 * Everything a user needs on one machine: the database (embedded or a URL), migrations and
 * the Next server. `npm run dev`, `npm start` and the e2e runner all start the app through here.
 */

export type DatabaseChoice =
  | { kind: "embedded"; dataDir?: string; port: number; load?: Blob }
  | { kind: "url"; url: string };

export type StackOptions = {
  mode: "dev" | "start";
  port: number;
  /**
   * The local Inngest-compatible executor (its port, its keys shared with the app, and whether run
   * inspection and clock control answer), or false when another Inngest serves the app, configured
   * by env (TILLIT_INNGEST=external with that Inngest's keys).
   */
  executor: { port: number; keys: InngestKeys; virtualClockFile?: string; inspect?: boolean } | false;
  /** The tracking ingest's port (the Segment-compatible API). */
  trackingPort: number;
  database: DatabaseChoice;
  devMailbox: boolean;
  /** Extra environment for the app process. */
  env?: Record<string, string | undefined>;
  /** Where the app's output goes: this terminal, or a log file. */
  output: "inherit" | { file: string };
};

export type Stack = {
  appUrl: string;
  databaseUrl: string;
  /** The local executor's URL, when this stack runs one. */
  executorUrl: string | undefined;
  /** The tracking ingest's URL. */
  trackingUrl: string;
  stop: () => Promise<void>;
};

/** A failure the user can act on, printed as one line. */
export class StackError extends Error {}

export async function startDatabase(choice: DatabaseChoice): Promise<{ url: string; embedded: EmbeddedServer | undefined }> {
  if (choice.kind === "url") {
    await checkReachable(choice.url);
    return { url: choice.url, embedded: undefined };
  }
  try {
    const embedded = await startEmbeddedPostgres(choice);
    return { url: embedded.url, embedded };
  } catch (err) {
    if (err instanceof PortInUseError)
      throw new StackError(
        `port ${err.port} for the embedded database is taken (another \`npm run dev\`?) — stop it or set PGLITE_PORT`,
      );
    throw new StackError(`the embedded database could not start: ${(err as Error).message}`);
  }
}

async function checkReachable(url: string): Promise<void> {
  const h = openDb(url, { max: 1 });
  try {
    await h.sql`select 1`;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: string };
    const where = describeUrl(url);
    if (e.code === "3D000") throw new StackError(`database at ${where} does not exist — create it (createdb) or fix DATABASE_URL`);
    if (e.code === "28P01" || e.code === "28000")
      throw new StackError(`the database at ${where} refused the credentials in DATABASE_URL`);
    throw new StackError(`cannot reach the database at ${where} (${e.code ?? e.message}) — is Postgres running?`);
  } finally {
    await h.close().catch(() => {});
  }
}

function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

export async function migrateDatabase(url: string, embedded: boolean): Promise<void> {
  const h = openDb(url, { embedded, max: 1 });
  try {
    await applyMigrations(h.db);
  } catch (err) {
    throw new StackError(`migrations failed: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    await h.close();
  }
}

const nextBin = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
const executorMain = path.join(process.cwd(), "inngest", "local", "main.ts");

function pipeOutput(child: ChildProcess, output: StackOptions["output"]) {
  if (output === "inherit") return;
  const log = createWriteStream(output.file, { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const db = await startDatabase(opts.database);
  const embedded = opts.database.kind === "embedded";
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // The app first (it calls the executor), then the executor, then the database they share.
    for (const child of [...children].reverse()) await stopChild(child);
    await db.embedded?.stop();
  };
  const dbEnv = {
    // Children reach the embedded server through PGLITE_PORT, a real server through DATABASE_URL.
    DATABASE_URL: embedded ? undefined : db.url,
    PGLITE_PORT: opts.database.kind === "embedded" ? String(opts.database.port) : undefined,
  };
  const stdio = opts.output === "inherit" ? ("inherit" as const) : (["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"]);
  try {
    await migrateDatabase(db.url, embedded);
    let executorUrl: string | undefined;
    // The app and the ingest reach the bundled executor as they would Inngest Cloud: cloud mode,
    // the stack's keys, the executor as API and event base (docs/security.md).
    let inngestEnv: Record<string, string | undefined> = {};
    if (opts.executor) {
      executorUrl = `http://127.0.0.1:${opts.executor.port}`;
      inngestEnv = {
        TILLIT_INNGEST: "bundled",
        INNGEST_DEV: undefined,
        INNGEST_BASE_URL: executorUrl,
        INNGEST_EVENT_KEY: opts.executor.keys.eventKey,
        INNGEST_SIGNING_KEY: opts.executor.keys.signingKey,
        TILLIT_CLOCK_FILE: opts.executor.virtualClockFile,
      };
      const executor = spawn(process.execPath, ["--import", "tsx", executorMain], {
        stdio,
        env: childEnv({
          ...opts.env,
          ...dbEnv,
          ...inngestEnv,
          PORT: String(opts.port),
          INNGEST_LOCAL_PORT: String(opts.executor.port),
          INNGEST_LOCAL_APP_URL: `http://127.0.0.1:${opts.port}/api/inngest`,
          INNGEST_LOCAL_VIRTUAL_CLOCK: opts.executor.virtualClockFile ? "1" : "0",
          INNGEST_LOCAL_INSPECT: opts.executor.inspect ? "1" : undefined,
        }),
      });
      children.push(executor);
      pipeOutput(executor, opts.output);
      await waitUntilServing(executor, `${executorUrl}/health`, "the local Inngest executor");
    }
    const trackingUrl = `http://127.0.0.1:${opts.trackingPort}`;
    const ingest = spawn(process.execPath, ingestNodeArgs(), {
      stdio,
      env: childEnv({ ...opts.env, ...dbEnv, ...inngestEnv, TRACKING_PORT: String(opts.trackingPort) }),
    });
    children.push(ingest);
    pipeOutput(ingest, opts.output);
    await waitUntilServing(ingest, `${trackingUrl}/health`, "the tracking ingest");
    const app = spawn(process.execPath, [nextBin, opts.mode, "--port", String(opts.port), "--hostname", "127.0.0.1"], {
      stdio,
      env: childEnv({
        ...opts.env,
        ...dbEnv,
        PORT: String(opts.port),
        NEXT_TELEMETRY_DISABLED: "1",
        TILLIT_DEV_MAILBOX: opts.devMailbox ? "1" : "0",
        TRACKING_PORT: String(opts.trackingPort),
        ...inngestEnv,
      }),
    });
    children.push(app);
    pipeOutput(app, opts.output);
    await waitUntilServing(app, `http://127.0.0.1:${opts.port}/api/health`, "the app");
    // Next reports every loopback address as "localhost" (its URL normaliser), so links it builds
    // and the cookies it sets agree only when clients use that name too.
    const appUrl = `http://localhost:${opts.port}`;
    return { appUrl, databaseUrl: db.url, executorUrl, trackingUrl, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function waitUntilServing(child: ChildProcess, url: string, what: string, timeoutMs = 180_000): Promise<void> {
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new StackError(`${what} stopped during start-up (exit code ${exited})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (res.ok) return;
      if (res.status === 503) throw new StackError(`${what} started but cannot reach its database`);
    } catch (err) {
      if (err instanceof StackError) throw err;
    }
    // Polling a port that is not open yet: there is no event to wait for across processes.
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StackError(`${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await done;
  clearTimeout(timer);
}
