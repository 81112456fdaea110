import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { openDb } from "../db/client";
import { startEmbeddedPostgres, PortInUseError, type EmbeddedServer } from "../db/embedded";
import { applyMigrations } from "../db/migrate";
import { childEnv, serviceEnv } from "../lib/env";
import { ingestNodeArgs } from "../ingest/launch";
import type { InngestKeys } from "../inngest/keys";
import { LockError, lockStack, type StackLock } from "./stack-lock";

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
  /** The directory this stack locks against a second stack (npm run dev: TILLIT_DATA_DIR with the embedded database). */
  lockDataDir?: string;
  /** Where port lock files go (default: the system's temporary directory). */
  portLockDir?: string;
  /** A child that exits is restarted after `backoffMs` (doubling), until one exits `limit` times within `windowMs` (default 500 ms; 5 in 60 s). */
  restart?: { limit: number; windowMs: number; backoffMs?: number };
  /** Called once the stack gave up after a burst of exits (every child stopped), with the reason. */
  onGiveUp?: (reason: string) => void;
  /** Where the supervisor's own lines go (default: stderr). */
  log?: (line: string) => void;
};

export type Stack = {
  appUrl: string;
  databaseUrl: string;
  /** The local executor's URL, when this stack runs one. */
  executorUrl: string | undefined;
  /** The tracking ingest's URL. */
  trackingUrl: string;
  /** This start's id: every child's health answer carries it. */
  instance: string;
  /** The children's pids by name, as they are now. */
  pids: () => Record<ChildName, number | undefined>;
  stop: () => Promise<void>;
};

export type ChildName = "executor" | "ingest" | "app";

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
    const reason = (err as Error).message.split("\n")[0];
    // Never deleted for the user: the directory holds their data (docs/operations.md).
    if (choice.dataDir && existsSync(path.join(choice.dataDir, "PG_VERSION")))
      throw new StackError(
        `the embedded database in ${choice.dataDir} could not be opened (${reason}); its files may be damaged — restore the directory from a backup, or move it aside (mv ${choice.dataDir} ${choice.dataDir}.damaged) to start with an empty database`,
      );
    throw new StackError(`the embedded database could not start: ${reason}`);
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
// Preloaded into every child (and what they start): a child whose supervisor is gone stops.
const parentWatch = pathToFileURL(path.join(process.cwd(), "scripts", "parent-watch.mjs")).href;

const LABEL: Record<ChildName, string> = { executor: "the local Inngest executor", ingest: "the tracking ingest", app: "the app" };

type ChildSpec = { name: ChildName; args: string[]; env: NodeJS.ProcessEnv; healthUrl: string };

function pipeOutput(child: ChildProcess, output: StackOptions["output"]) {
  if (output === "inherit") return;
  const log = createWriteStream(output.file, { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
}

/** Back-off before the nth restart within the window: the first delay, doubled for each further exit, at most 30 s (or the first delay if longer). */
export const restartDelayMs = (recentExits: number, firstMs = 500) => Math.min(Math.max(30_000, firstMs), firstMs * 2 ** Math.max(0, recentExits - 1));

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed (${signal})` : `exited with code ${code}`;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const instance = randomUUID();
  const restart = opts.restart ?? { limit: 5, windowMs: 60_000 };
  const embedded = opts.database.kind === "embedded";
  let lock: StackLock | undefined;
  try {
    lock = await lockStack(
      {
        pid: process.pid,
        instance,
        startedAt: new Date().toISOString(),
        ports: {
          app: opts.port,
          tracking: opts.trackingPort,
          ...(opts.executor ? { executor: opts.executor.port } : {}),
          ...(opts.database.kind === "embedded" ? { database: opts.database.port } : {}),
        },
        dataDir: opts.lockDataDir,
      },
      { dataDir: opts.lockDataDir, portLockDir: opts.portLockDir },
    );
  } catch (err) {
    if (err instanceof LockError) throw new StackError(err.message);
    throw err;
  }
  let db: Awaited<ReturnType<typeof startDatabase>>;
  try {
    db = await startDatabase(opts.database);
  } catch (err) {
    lock.release();
    throw err;
  }

  type Running = { spec: ChildSpec; proc: ChildProcess; served: boolean; exits: number[]; timer?: NodeJS.Timeout };
  const running = new Map<ChildName, Running>();
  let stopping = false;
  const pids = () => ({
    executor: running.get("executor")?.proc.pid,
    ingest: running.get("ingest")?.proc.pid,
    app: running.get("app")?.proc.pid,
  });
  const recordPids = () => lock?.update(Object.fromEntries(Object.entries(pids()).filter(([, v]) => v !== undefined)) as Record<string, number>);

  let stopped: Promise<void> | undefined;
  const stopAll = () => (stopped ??= stopEverything());
  const stopEverything = async () => {
    stopping = true;
    // The app first (it calls the executor), then the ingest, the executor, and the database they share.
    for (const name of ["app", "ingest", "executor"] as const) {
      const r = running.get(name);
      if (!r) continue;
      clearTimeout(r.timer);
      await stopChild(r.proc);
    }
    await db.embedded?.stop();
    lock?.release();
  };

  const giveUp = (reason: string) => {
    if (stopping) return;
    log(`tillit: ${reason}; giving up`);
    void stopAll().then(() => opts.onGiveUp?.(reason));
  };

  const spawnChild = (spec: ChildSpec): ChildProcess => {
    const stdio = opts.output === "inherit" ? ("inherit" as const) : (["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"]);
    const proc = spawn(process.execPath, spec.args, { stdio, env: spec.env });
    pipeOutput(proc, opts.output);
    const r: Running = running.get(spec.name) ?? { spec, proc, served: false, exits: [] };
    r.proc = proc;
    running.set(spec.name, r);
    recordPids();
    proc.once("exit", (code, signal) => onExit(r, proc, code, signal));
    // A spawn that fails (no node binary) ends in "exit" too; the error must not throw.
    proc.on("error", () => {});
    return proc;
  };

  const onExit = (r: Running, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
    // During start-up waitUntilServing reports it; after stop() nothing is restarted.
    if (stopping || !r.served || r.proc !== proc) return;
    const now = Date.now();
    r.exits = [...r.exits.filter((t) => now - t < restart.windowMs), now];
    const what = `${LABEL[r.spec.name]} (pid ${proc.pid}) ${describeExit(code, signal)}`;
    if (r.exits.length >= restart.limit) {
      giveUp(`${what}: ${r.exits.length} exits within ${Math.round(restart.windowMs / 1000)} s (TILLIT_RESTART_LIMIT ${restart.limit})`);
      return;
    }
    const delay = restartDelayMs(r.exits.length, restart.backoffMs);
    log(`tillit: ${what}; restarting it in ${delay / 1000} s`);
    r.timer = setTimeout(() => {
      if (stopping) return;
      const next = spawnChild(r.spec);
      waitUntilServing(next, r.spec.healthUrl, LABEL[r.spec.name], instance).then(
        () => log(`tillit: ${LABEL[r.spec.name]} is back (pid ${next.pid})`),
        (err: Error) => {
          // It exited while starting (the exit handler restarts it) or hangs: stop it, and the exit counts.
          if (!stopping && next.exitCode === null && next.signalCode === null) {
            log(`tillit: ${LABEL[r.spec.name]} did not come back: ${err.message}`);
            next.kill("SIGKILL");
          }
        },
      );
    }, delay);
  };

  const startChild = async (spec: ChildSpec) => {
    const proc = spawnChild(spec);
    await waitUntilServing(proc, spec.healthUrl, LABEL[spec.name], instance);
    running.get(spec.name)!.served = true;
  };

  const dbEnv = {
    // Children reach the embedded server through PGLITE_PORT, a real server through DATABASE_URL.
    DATABASE_URL: embedded ? undefined : db.url,
    PGLITE_PORT: opts.database.kind === "embedded" ? String(opts.database.port) : undefined,
  };
  const common = {
    ...opts.env,
    ...dbEnv,
    TILLIT_INSTANCE_ID: instance,
    NODE_OPTIONS: [childEnv({}).NODE_OPTIONS, `--import=${parentWatch}`].filter(Boolean).join(" "),
  };
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
      await startChild({
        name: "executor",
        args: ["--import", "tsx", executorMain],
        env: serviceEnv({
          ...common,
          ...inngestEnv,
          PORT: String(opts.port),
          INNGEST_LOCAL_PORT: String(opts.executor.port),
          INNGEST_LOCAL_APP_URL: `http://127.0.0.1:${opts.port}/api/inngest`,
          INNGEST_LOCAL_VIRTUAL_CLOCK: opts.executor.virtualClockFile ? "1" : "0",
          INNGEST_LOCAL_INSPECT: opts.executor.inspect ? "1" : undefined,
        }),
        healthUrl: `${executorUrl}/health`,
      });
    }
    const trackingUrl = `http://127.0.0.1:${opts.trackingPort}`;
    await startChild({
      name: "ingest",
      args: ingestNodeArgs(),
      env: serviceEnv({ ...common, ...inngestEnv, TRACKING_PORT: String(opts.trackingPort) }),
      healthUrl: `${trackingUrl}/health`,
    });
    await startChild({
      name: "app",
      args: [nextBin, opts.mode, "--port", String(opts.port), "--hostname", "127.0.0.1"],
      env: serviceEnv({
        ...common,
        PORT: String(opts.port),
        NEXT_TELEMETRY_DISABLED: "1",
        TILLIT_DEV_MAILBOX: opts.devMailbox ? "1" : "0",
        TRACKING_PORT: String(opts.trackingPort),
        ...inngestEnv,
      }),
      healthUrl: `http://127.0.0.1:${opts.port}/api/health`,
    });
    // Next reports every loopback address as "localhost" (its URL normaliser), so links it builds
    // and the cookies it sets agree only when clients use that name too.
    const appUrl = `http://localhost:${opts.port}`;
    return { appUrl, databaseUrl: db.url, executorUrl, trackingUrl, instance, pids, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Polls a child's health URL until it answers as this stack's (its `instance` is ours): a port
 * answered by someone else's process is not this stack being ready.
 */
async function waitUntilServing(child: ChildProcess, url: string, what: string, instance: string, timeoutMs = 180_000): Promise<void> {
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = describeExit(code, signal)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new StackError(`${what} stopped during start-up (it ${exited})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      const body = (await res.json().catch(() => ({}))) as { instance?: unknown };
      // Another process answering on the port is not ours being ready: keep waiting for ours.
      if (body.instance === instance) {
        if (res.ok) return;
        if (res.status === 503) throw new StackError(`${what} started but cannot reach its database`);
      }
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
