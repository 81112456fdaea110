import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { openDb } from "@/db/client";
import { systemClock, VirtualClock, type Clock } from "@/lib/clock";
import { BodyTooLargeError, readBody } from "@/lib/http/body";
import { UnsupportedConfigError } from "./config";
import { oversizedEvents } from "./limits";
import { Engine, type EngineOptions } from "./engine";
import * as q from "./engine/statements";
import { applyExecutorMigrations } from "./migrations";
import { generateInngestKeys, safeEqual, verifyBearer, type InngestKeys } from "../keys";
import { checkpointBody, clockAdvanceBody, ingestBody, registerBody } from "./protocol";

/**
 * The local Inngest-compatible executor: an HTTP server where `inngest-cli dev` would listen, backed
 * by the `inngest_local` schema of the app's database. The app's SDK talks to it in cloud mode, as
 * it would to Inngest: events need the event key, every other call the signing key's bearer hash,
 * and every call it makes into the app is signed (docs/security.md).
 */

export type LocalExecutorOptions = {
  databaseUrl: string;
  /** The database is the PGlite wire server (no prepared statements). */
  embedded: boolean;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /**
   * The keys shared with the app: events must name the event key, other calls carry the signing
   * key's hash. Default: a pair made for this executor (tests hand it to their app via `keys`).
   */
  keys?: InngestKeys;
  /**
   * The app's serve URL (…/api/inngest): synced at start, retried until the app answers. The only
   * URL the HTTP API can (re-)register; nothing a request says replaces it.
   */
  appServeUrl?: string;
  /**
   * Run inspection (`/`, `/api/runs`, `/api/functions`), the clock and `/idle`: for the test harness
   * and explicit local debugging only; off, they answer 401.
   */
  inspect?: boolean;
  /**
   * "system" (default), "virtual" (a VirtualClock the executor owns, persisted across restarts,
   * advanced through advanceClock() or POST /clock/advance) or a VirtualClock the caller owns
   * (tests that run the app in-process install the same one with lib/clock's setClock).
   */
  clock?: "system" | "virtual" | VirtualClock;
  /** With a virtual clock: also write its offset here, for lib/clock in other processes. */
  clockFile?: string;
  /** Call requests in flight at once (default 8). */
  workers?: number;
  /** Lease of a claimed call in real ms (default 30 s); a dead executor's calls are retaken after it. */
  leaseMs?: number;
  /** Keep finished runs this long before pruning (default 7 days of clock time). */
  retainMs?: number;
  /** The stack's instance id (TILLIT_INSTANCE_ID), echoed by GET /health. */
  instance?: string;
} & Pick<EngineOptions, "backoff" | "tap" | "checkpointing" | "checkpointTap" | "log" | "limits">;

export type LocalExecutor = {
  /** Base URL, e.g. http://127.0.0.1:8288 — the SDK's baseUrl. */
  url: string;
  keys: InngestKeys;
  port: number;
  engine: Engine;
  clock: Clock;
  /** In-band sync of an app (default: appServeUrl). */
  sync(serveUrl?: string): Promise<{ appId: string; functions: string[] }>;
  /** Virtual clock only: move time forward; due sleeps, timeouts, retries and crons fire at once. */
  advanceClock(ms: number): Promise<void>;
  /** Resolves when nothing is due and nothing is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

export async function startLocalExecutor(opts: LocalExecutorOptions): Promise<LocalExecutor> {
  const log = opts.log ?? ((l: string) => console.error(`inngest-local: ${l}`));
  const keys = opts.keys ?? generateInngestKeys();
  // PGlite runs one query at a time anyway; one connection avoids interleaving on its single session.
  const handle = openDb(opts.databaseUrl, { embedded: opts.embedded, max: opts.embedded ? 1 : 10 });
  const sql = handle.sql;
  await applyExecutorMigrations(sql);

  let virtual: VirtualClock | undefined;
  if (opts.clock instanceof VirtualClock) virtual = opts.clock;
  else if (opts.clock === "virtual") virtual = new VirtualClock({ file: opts.clockFile });
  const clock: Clock = virtual ?? systemClock;

  const engine = new Engine({
    sql,
    clock,
    workers: opts.workers ?? 8,
    leaseMs: opts.leaseMs ?? 30_000,
    backoff: opts.backoff,
    tap: opts.tap,
    checkpointing: opts.checkpointing ?? true,
    checkpointTap: opts.checkpointTap,
    signingKey: keys.signingKey,
    limits: opts.limits,
    log,
  });
  if (virtual) virtual.restore(await engine.loadClockOffset());
  await engine.start();

  const advanceClock = async (ms: number) => {
    if (!virtual) throw new Error("the executor runs on the system clock; start it with clock: \"virtual\"");
    virtual.advance(ms);
    await engine.saveClockOffset(virtual.offsetMs);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (err instanceof BodyTooLargeError) return send(res, 413, { error: err.message, status: 413 });
      log(`${req.method} ${req.url}: ${(err as Error).stack}`);
      // The details (a database error, a stack) go to the log only.
      if (!res.headersSent) send(res, 500, { error: "internal error", status: 500 });
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    const path = url.pathname;
    // Open like Inngest's own health check: the stack's instance id and what this process has
    // synced (ids, counts, times); no URLs, nothing secret (docs/operations.md).
    if (req.method === "GET" && path === "/health") return send(res, 200, { ok: true, instance: opts.instance ?? null, apps: engine.syncedApps() });
    const eventKey = /^\/e\/([^/]+)\/?$/.exec(path);
    if (req.method === "POST" && eventKey) {
      if (!safeEqual(safeDecode(eventKey[1]!), keys.eventKey)) return send(res, 401, { error: "unknown event key", status: 401 });
      if (!isJson(req)) return unsupportedType(res);
      const parsed = ingestBody.safeParse(await readJson(req));
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        return send(res, 400, { error: message, status: 400 });
      }
      // Inngest refuses an event over its size limit with a 413 (docs/inngest-protocol.md#limits).
      const oversized = oversizedEvents(parsed.data, engine.limits);
      if (oversized) return send(res, 413, { error: oversized, status: 413 });
      const ids = await engine.ingest(parsed.data);
      return send(res, 200, { ids, status: 200 });
    }
    const inspection = INSPECTION_GETS.has(path) || path.startsWith("/api/runs/");
    // Read-only inspection is open where it is switched on (a browser shows the dashboard);
    // everything else needs the signing key's bearer hash, as Inngest's API does.
    if (!(inspection && req.method === "GET" && opts.inspect) && !verifyBearer(req.headers.authorization, keys.signingKey))
      return send(res, 401, { error: "missing or wrong signing key", status: 401 });
    if (req.method === "POST" && !isJson(req)) return unsupportedType(res);

    const checkpointMatch = /^\/v1\/checkpoint\/([^/]+)\/async\/?$/.exec(path);
    if (req.method === "POST" && checkpointMatch) {
      const parsed = checkpointBody.safeParse(await readJson(req));
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        return send(res, 400, { error: message });
      }
      const r = await engine.checkpoint(safeDecode(checkpointMatch[1]!), parsed.data);
      return send(res, r.status, r.status === 200 ? {} : { error: r.error });
    }
    if (req.method === "POST" && path === "/fn/register") {
      const parsed = registerBody.safeParse(await readJson(req));
      if (!parsed.success) return send(res, 200, { status: 400, error: parsed.error.message });
      if (opts.appServeUrl && !sameServeUrl(parsed.data.url, opts.appServeUrl))
        return send(res, 200, { status: 400, error: `this executor serves ${opts.appServeUrl} only` });
      try {
        await engine.register(parsed.data.url, parsed.data.appName ?? "app", parsed.data.functions);
        return send(res, 200, { ok: true, modified: true });
      } catch (err) {
        log((err as Error).message);
        return send(res, 200, { status: 400, error: (err as Error).message });
      }
    }
    if (req.method === "POST" && path === "/api/sync") {
      // Syncs the configured app only: a URL in the body would let the caller re-point the executor.
      if (!opts.appServeUrl) return send(res, 409, { error: "this executor was started without an app URL" });
      try {
        return send(res, 200, await engine.sync(opts.appServeUrl));
      } catch (err) {
        return send(res, err instanceof UnsupportedConfigError ? 422 : 502, { error: (err as Error).message });
      }
    }
    if (!opts.inspect && (inspection || INSPECTION_POSTS.has(path)))
      return send(res, 401, { error: "run inspection and clock control are off (INNGEST_LOCAL_INSPECT=1 turns them on, for local debugging)", status: 401 });
    if (path === "/clock") {
      if (req.method === "GET") return send(res, 200, { now: clock.nowMs(), iso: new Date(clock.nowMs()).toISOString(), virtual: !!virtual, offsetMs: virtual?.offsetMs ?? 0 });
    }
    if (req.method === "POST" && path === "/clock/advance") {
      if (!virtual) return send(res, 409, { error: "the executor runs on the system clock" });
      const parsed = clockAdvanceBody.safeParse(await readJson(req));
      if (!parsed.success) return send(res, 400, { error: parsed.error.message });
      await advanceClock(parsed.data.ms);
      return send(res, 200, { now: clock.nowMs(), offsetMs: virtual.offsetMs });
    }
    if (req.method === "POST" && path === "/idle") {
      await engine.idle();
      return send(res, 200, { idle: true });
    }
    if (req.method === "GET" && path === "/api/functions") return send(res, 200, { functions: engine.functions() });
    if (req.method === "GET" && path === "/api/runs") {
      const status = url.searchParams.get("status");
      const limit = Math.min(1000, Number(url.searchParams.get("limit") ?? 100) || 100);
      const runs = await q.listRuns(sql, status, limit);
      return send(res, 200, { runs });
    }
    const runMatch = /^\/api\/runs\/([^/]+)$/.exec(path);
    if (req.method === "GET" && runMatch) {
      const id = safeDecode(runMatch[1]!);
      const [run] = await q.runById(sql, id);
      if (!run) return send(res, 404, { error: "no such run" });
      const steps = await q.runSteps(sql, id);
      const jobs = await q.runJobs(sql, id);
      const waits = await q.runWaits(sql, id);
      return send(res, 200, { run, steps, jobs, waits });
    }
    if (req.method === "GET" && path === "/") {
      const runs = await q.recentRuns(sql);
      const rows = runs
        .map((r) => `<tr><td><a href="/api/runs/${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.fn_id)}</td><td>${esc(r.event)}</td><td>${esc(r.status)}</td><td>${new Date(r.created_at).toISOString()}</td></tr>`)
        .join("");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>Local Inngest executor</title><h1>Runs</h1><p>Clock: ${new Date(clock.nowMs()).toISOString()}${virtual ? " (virtual)" : ""} · <a href="/api/runs">JSON</a> · <a href="/api/functions">functions</a></p><table border=1 cellpadding=4><tr><th>run</th><th>function</th><th>event</th><th>status</th><th>created</th></tr>${rows}</table>`);
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;

  // The app may start after us (npm run dev starts both): keep trying until it answers.
  let stopped = false;
  let syncTimer: NodeJS.Timeout | undefined;
  if (opts.appServeUrl) {
    let reported = "";
    const attempt = async () => {
      if (stopped) return;
      try {
        const r = await engine.sync(opts.appServeUrl!);
        log(`synced ${r.appId} (${r.functions.length} functions) from ${opts.appServeUrl}`);
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== reported) log(msg);
        reported = msg;
        // A refused config will not fix itself without a restart of the app; keep polling slowly.
        syncTimer = setTimeout(() => void attempt(), err instanceof UnsupportedConfigError ? 10_000 : 1000);
      }
    };
    void attempt();
  }
  const retainMs = opts.retainMs ?? 7 * 86_400_000;
  const pruneTimer = setInterval(() => void engine.prune(retainMs).catch(() => {}), 60_000);

  return {
    url,
    keys,
    port,
    engine,
    clock,
    sync: (serveUrl) => {
      const target = serveUrl ?? opts.appServeUrl;
      if (!target) return Promise.reject(new Error("no app serve URL"));
      return engine.sync(target);
    },
    advanceClock,
    idle: () => engine.idle(),
    stop: async () => {
      stopped = true;
      clearTimeout(syncTimer);
      clearInterval(pruneTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.stop();
      await handle.close();
    },
  };
}

const INSPECTION_GETS = new Set(["/", "/api/runs", "/api/functions", "/clock"]);
const INSPECTION_POSTS = new Set(["/clock/advance", "/idle"]);

/** JSON endpoints take JSON only: a web page's form or text/plain POST (no preflight) is refused. */
function isJson(req: IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "");
}

function unsupportedType(res: ServerResponse): void {
  send(res, 415, { error: "Content-Type must be application/json", status: 415 });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The same serve endpoint: origin and path (the query an SDK adds is not part of it). */
function sameServeUrl(a: string, b: string): boolean {
  if (!URL.canParse(a) || !URL.canParse(b)) return false;
  const x = new URL(a);
  const y = new URL(b);
  return x.origin === y.origin && x.pathname.replace(/\/$/, "") === y.pathname.replace(/\/$/, "");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const MAX_BODY = 16 * 1024 * 1024;

/** The body as JSON: undefined when empty, a marker symbol when not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, MAX_BODY)).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return Symbol.for("invalid-json");
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
