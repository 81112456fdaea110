import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Db } from "../db/client";
import { authenticateApiKey } from "../db/queries/api-keys";
import { forwardAppOutbox, type ClaimedAppEvent } from "../db/queries/outbox";
import { attachPendingEvents, forwardOutbox, outboxBacklog, writeTrackingBatch, type OutboxEvent, type TrackingWrite } from "../db/queries/tracking";
import { nowMs } from "../lib/clock";
import { CHUNK_PREFIX, chunkName, servedAnalyticsJs } from "../lib/tracking/analytics-js";
import { BodyTooLargeError, readBody } from "../lib/http/body";
import { depthMessage, tooDeepField } from "../lib/json-depth";
import { mayHoldUnstorable, UNSTORABLE_MESSAGE, unstorablePath } from "../lib/storable";
import {
  contactFieldsFromTraits,
  MAX_BATCH_BYTES,
  MAX_CALL_BYTES,
  normalizeBatch,
  normalizeMessage,
  groupAttributes,
  writeKeyOf,
  type ItemError,
  type MessageType,
  type TrackingItem,
} from "../lib/tracking/segment";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, unavailableReason } from "../db/unavailable";
import { commitStats } from "./stats";

/**
 * The tracking ingest: a plain node:http server for the Segment-compatible API, beside Next
 * because a Next route serves a small fraction of the request rate this needs. Every accepted
 * event is committed (with its outbox row) before the 2xx; requests arriving together share one
 * transaction (grouped commit). A forwarder hands committed events to Inngest from the outbox,
 * off the request path.
 */

export type IngestOptions = {
  db: Db;
  port: number;
  host?: string;
  /** Most messages in one commit. */
  maxGroup?: number;
  /** Commits in flight at once (1 on the embedded database, which runs one statement at a time). */
  writers?: number;
  /** How long a write key stays trusted before it is checked again (revocation takes this long). */
  keyCacheMs?: number;
  /** Most write keys (known or not) remembered at once. */
  keyCacheSize?: number;
  /** Forward committed events; off when another process forwards. */
  forward?: (batch: OutboxEvent[]) => Promise<void>;
  /** Forward the app's own outbox (events emitted by server actions and the REST API) too. */
  forwardApp?: (batch: ClaimedAppEvent[]) => Promise<void>;
  forwardEveryMs?: number;
  /** Shortest time between two forwarding passes. */
  forwardGapMs?: number;
  /** How often waiting events (no contact yet) are checked for a contact besides after identifies. */
  attachEveryMs?: number;
  /** How long a forwarder's claim on outbox rows lasts: after a crash, its rows wait this long. */
  forwardClaimMs?: number;
  /** The ingest's public URL (TRACKING_URL), named as apiHost in the analytics.js settings document; default: the request's Host. */
  publicUrl?: string;
  /** The stack's instance id (TILLIT_INSTANCE_ID), echoed by GET /health. */
  instance?: string;
  /** How often GET /health reads the outbox backlog and lag at most (default 5 s; older readings are reused). */
  backlogEveryMs?: number;
  log?: (line: string) => void;
};

export type IngestServer = { url: string; port: number; stop: () => Promise<void>; flushed: () => Promise<void> };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// The server libraries' paths, and analytics.js's (the type's first letter; /b in batching mode),
// with and without /v1: analytics.js posts to <apiHost>/<letter>, and apiHost names /v1.
const routes: Record<string, MessageType | "batch"> = {
  "/v1/identify": "identify",
  "/v1/track": "track",
  "/v1/page": "page",
  "/v1/screen": "screen",
  "/v1/group": "group",
  "/v1/alias": "alias",
  "/v1/batch": "batch",
  "/v1/import": "batch",
};
for (const type of ["identify", "track", "page", "screen", "group", "alias", "batch"] as const) {
  routes[`/v1/${type[0]}`] = type;
  routes[`/${type[0]}`] = type;
}

/** GET /v1/projects/<writeKey>/settings: the settings document analytics.js loads from its CDN host. */
const settingsPath = /^\/v1\/projects\/([^/]{1,200})\/settings$/;
/** GET /analytics.js/v1/<writeKey>/analytics.min.js: the bundle Segment's standard snippet loads. */
const bundlePath = /^\/analytics\.js\/v1\/([^/]{1,200})\/analytics(?:\.min)?\.js$/;
const hostHeader = /^[a-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9a-f:.]{2,45}\](:\d{1,5})?$/i;

// A preflight gets the whole CORS answer; other answers only need to allow the origin.
const preflight = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-retry-count",
  "access-control-max-age": "86400",
};

const gzip = promisify(gzipCb);
const round = (ms: number) => Math.round(ms * 100) / 100;

function reply(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "access-control-allow-origin": "*" });
  res.end(text);
}

// The answer to nearly every request, built once.
const successText = JSON.stringify({ success: true });
const successHeaders = { "content-type": "application/json", "content-length": String(successText.length), "access-control-allow-origin": "*" };
function replySuccess(res: ServerResponse) {
  res.writeHead(200, successHeaders);
  res.end(successText);
}

export async function startIngestServer(opts: IngestOptions): Promise<IngestServer> {
  const maxGroup = opts.maxGroup ?? 1000;
  const writers = opts.writers ?? 2;
  const keyCacheMs = opts.keyCacheMs ?? 5_000;
  const keyCacheSize = opts.keyCacheSize ?? 10_000;
  const log = opts.log ?? ((l: string) => console.log(l));

  // Write keys → workspace, briefly cached: checking each request would cost a write (last used).
  // One check per key at a time, however many requests wait for it; a key in use is checked again
  // in the background before its entry expires, so a busy key never waits. An entry older than
  // keyCacheMs is never trusted: a revoked key stops working within that time.
  type KeyState = { workspaceId: string | undefined; checkedAt: number; checking?: Promise<string | undefined> };
  const keys = new Map<string, KeyState>();
  function check(key: string, state: KeyState): Promise<string | undefined> {
    state.checking ??= authenticateApiKey(opts.db, { key, kind: "public", now: new Date(nowMs()) })
      .then((found) => {
        state.workspaceId = found?.workspaceId;
        state.checkedAt = Date.now();
        return state.workspaceId;
      })
      .finally(() => (state.checking = undefined));
    return state.checking;
  }
  function workspaceFor(key: string): string | undefined | Promise<string | undefined> {
    let state = keys.get(key);
    if (!state) {
      // Oldest first: a flood of made-up keys cannot grow the cache without bound.
      if (keys.size >= keyCacheSize) keys.delete(keys.keys().next().value!);
      state = { workspaceId: undefined, checkedAt: -Infinity };
      keys.set(key, state);
    }
    const age = Date.now() - state.checkedAt;
    if (age >= keyCacheMs) return check(key, state);
    if (age >= keyCacheMs / 2 && !state.checking) check(key, state).catch((err: Error) => log(`ingest: checking a write key failed: ${err.message}`));
    return state.workspaceId;
  }

  // Grouped commit, sized by the load: requests queue their writes; a free writer takes everything
  // queued (up to maxGroup) into one commit and answers all of them when it commits. Under load
  // every writer is busy, so what arrives during a commit becomes the next group; when idle, a
  // request is written on the next turn of the event loop, with whatever arrived beside it.
  type Pending = { writes: TrackingWrite[]; done: (err?: Error) => void };
  const queue: Pending[] = [];
  const stats = commitStats();
  let active = 0;
  let kicked = false;
  const idleWaiters: (() => void)[] = [];
  const kick = () => {
    if (kicked || active >= writers || queue.length === 0) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      while (active < writers && queue.length) void drain();
    });
  };
  async function drain() {
    active++;
    const group: Pending[] = [];
    let n = 0;
    while (queue.length && (n === 0 || n + queue[0]!.writes.length <= maxGroup)) {
      const p = queue.shift()!;
      group.push(p);
      n += p.writes.length;
    }
    try {
      await writeGroup(group);
      if (group.some((p) => p.writes.some((w) => w.type === "identify" || w.type === "alias"))) attachSoon = true;
      wakeForwarder();
    } finally {
      active--;
      if (queue.length) kick();
      else if (active === 0) idleWaiters.splice(0).forEach((r) => r());
    }
  }
  // A group that fails is written again request by request, so one request the database refuses
  // fails alone instead of taking the others' commits with it.
  async function writeGroup(group: Pending[]) {
    const writes = group.length === 1 ? group[0]!.writes : group.flatMap((p) => p.writes);
    const started = performance.now();
    try {
      await writeTrackingBatch(opts.db, writes);
      stats.record(writes.length, performance.now() - started);
      for (const p of group) p.done();
    } catch (err) {
      stats.record(writes.length, performance.now() - started, false);
      if (group.length === 1) return group[0]!.done(err as Error);
      for (const p of group) await writeGroup([p]);
    }
  }
  const commit = (writes: TrackingWrite[]) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ writes, done: (err) => (err ? reject(err) : resolve()) });
      kick();
    });

  const toWrite = (workspaceId: string, item: TrackingItem): TrackingWrite => ({
    workspaceId,
    type: item.type,
    messageId: item.messageId,
    userId: item.userId,
    anonymousId: item.anonymousId,
    name: item.name,
    properties: item.properties,
    occurredAt: item.occurredAt,
    contact: item.type === "identify" ? contactFieldsFromTraits(item.traits) : undefined,
    groupAttributes: item.type === "group" && item.groupId !== undefined ? groupAttributes(item.groupId, item.traits) : undefined,
    previousId: item.previousId,
  });

  // This ingest's URL as the browser reaches it: TRACKING_URL, else the request's Host.
  function publicBase(req: IncomingMessage): URL {
    if (opts.publicUrl) return new URL(opts.publicUrl);
    const host = req.headers.host ?? "";
    if (!hostHeader.test(host)) throw new HttpError(400, "no usable Host header");
    return new URL(`${req.headers["x-forwarded-proto"] === "https" ? "https" : "http"}://${host}`);
  }
  // Built from the request's Host unless TRACKING_URL is set: then no shared cache may keep it.
  const cacheControl = (maxAge: number) => (opts.publicUrl ? `public, max-age=${maxAge}` : "no-store");
  async function knownKey(inPath: string): Promise<string> {
    let writeKey: string;
    try {
      writeKey = decodeURIComponent(inPath);
    } catch {
      throw new HttpError(400, "the write key in the path is not valid");
    }
    const known = workspaceFor(writeKey);
    const workspaceId = typeof known === "object" ? await known : known;
    if (!workspaceId) throw new HttpError(404, "unknown or revoked write key");
    return writeKey;
  }

  // analytics.js 2.0 from the installed @segment/analytics-next (its browser build, dist/umd), read
  // from disk on first use and kept: never fetched from anywhere at run time.
  let bundle: Promise<{ standalone: string; chunks: Map<string, Buffer> }> | undefined;
  const loadBundle = () =>
    (bundle ??= (async () => {
      const dir = path.join(path.dirname(createRequire(import.meta.url).resolve("@segment/analytics-next")), "..", "umd");
      const chunks = new Map<string, Buffer>();
      for (const f of await readdir(dir)) if (chunkName.test(f) && f !== "standalone.js") chunks.set(f, await readFile(path.join(dir, f)));
      return { standalone: await readFile(path.join(dir, "standalone.js"), "utf8"), chunks };
    })().catch((err: unknown) => {
      bundle = undefined;
      throw err;
    }));
  // Compressed (about a quarter of the size: 31 KB of 115 KB) for browsers that accept it: each bundle once, kept
  // for the most recently asked write keys.
  const zipped = new Map<string, Promise<Buffer>>();
  const gzipOnce = (id: string, body: string | Buffer) => {
    let z = zipped.get(id);
    if (!z) {
      if (zipped.size >= 1000) zipped.delete(zipped.keys().next().value!);
      z = gzip(body);
      z.catch(() => zipped.delete(id));
      zipped.set(id, z);
    }
    return z;
  };
  async function script(req: IncomingMessage, res: ServerResponse, id: string, body: string | Buffer, cache: string) {
    const accepts = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const sent = accepts ? await gzipOnce(id, body) : body;
    res.writeHead(200, {
      "content-type": "application/javascript; charset=utf-8",
      "content-length": Buffer.byteLength(sent),
      "access-control-allow-origin": "*",
      "cache-control": cache,
      vary: "accept-encoding",
      ...(accepts ? { "content-encoding": "gzip" } : {}),
    });
    res.end(sent);
  }

  // analytics.js configures itself from this document: it sends to apiHost (this ingest) and
  // loads nothing else (no other destinations, no plugins, no metrics).
  function settings(req: IncomingMessage, res: ServerResponse, writeKey: string) {
    const base = publicBase(req);
    const apiHost = `${base.host}${base.pathname.replace(/\/$/, "")}/v1`;
    const protocol = base.protocol.replace(":", "");
    const doc = {
      integrations: {
        "Segment.io": { apiKey: writeKey, apiHost, protocol, unbundledIntegrations: [], addBundledMetadata: true, maybeBundledConfigIds: {}, versionSettings: { version: "4.4.7", componentTypes: ["browser"] } },
      },
      plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    };
    const text = JSON.stringify(doc);
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "access-control-allow-origin": "*",
      "cache-control": cacheControl(60),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/api(?=\/v1\/)/, "");
    if (req.method === "OPTIONS") {
      res.writeHead(204, preflight);
      return res.end();
    }
    if (req.method === "GET" && path === "/health") return health(res);
    if (req.method === "GET") {
      const project = settingsPath.exec(path);
      if (project) return settings(req, res, await knownKey(project[1]!));
      const loader = bundlePath.exec(path);
      if (loader) {
        const writeKey = await knownKey(loader[1]!);
        const base = publicBase(req);
        const { standalone } = await loadBundle();
        const cdn = `${base.origin}${base.pathname}`;
        return script(req, res, `${writeKey}\u0000${cdn}`, servedAnalyticsJs(standalone, writeKey, cdn), cacheControl(300));
      }
      if (path.startsWith(CHUNK_PREFIX)) {
        const name = path.slice(CHUNK_PREFIX.length);
        const chunk = chunkName.test(name) ? (await loadBundle()).chunks.get(name) : undefined;
        if (!chunk) return reply(res, 404, { success: false, message: `no file ${name}` });
        // Named by their content's hash (index.js aside): they never change under a name.
        return script(req, res, name, chunk, name.includes(".bundle.") ? "public, max-age=31536000, immutable" : "public, max-age=300");
      }
    }
    const kind = routes[path];
    if (!kind) return reply(res, 404, { success: false, message: `no route ${req.method} ${path}` });
    if (req.method !== "POST") return reply(res, 405, { success: false, message: "use POST" });
    const receivedAt = new Date(nowMs());
    // Over the limit, the connection closes: a client streaming megabytes costs no more than the limit.
    const raw = await readBody(req, kind === "batch" ? MAX_BATCH_BYTES : MAX_CALL_BYTES, "destroy");
    const text = raw.toString("utf8");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, "body is not valid JSON");
    }
    // A batch names such messages one by one (normalizeBatch). Depth first: the other checks walk
    // the value recursively.
    if (kind !== "batch") {
      const deep = tooDeepField(body);
      if (deep !== undefined) throw new HttpError(400, depthMessage(deep));
      const unstorable = mayHoldUnstorable(text) ? unstorablePath(body) : undefined;
      if (unstorable !== undefined) throw new HttpError(400, `${unstorable || "body"}: ${UNSTORABLE_MESSAGE}`);
    }
    const key = writeKeyOf(req.headers.authorization, body);
    if (!key) throw new HttpError(401, "missing write key: send it as the Basic auth user name or as writeKey");
    const known = workspaceFor(key);
    const workspaceId = typeof known === "object" ? await known : known;
    if (!workspaceId) throw new HttpError(401, "unknown or revoked write key");

    let items: TrackingItem[];
    let errors: ItemError[] = [];
    if (kind === "batch") {
      const r = normalizeBatch(body, receivedAt);
      if (!r.ok) throw new HttpError(400, r.message);
      items = r.items;
      errors = r.errors;
    } else {
      const r = normalizeMessage(body, kind, receivedAt);
      if (!r.ok) throw new HttpError(400, r.message);
      items = [r.item];
    }
    if (items.length) await commit(items.map((i) => toWrite(workspaceId, i)));
    // Valid messages beside invalid ones are kept; the answer names each refused one.
    if (errors.length) return reply(res, 400, { success: false, accepted: items.length, errors });
    return replySuccess(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError || err instanceof BodyTooLargeError)
        return reply(res, err instanceof HttpError ? err.status : 400, { success: false, message: err.message });
      // Not committed: the client retries (Segment clients retry 5xx), and messageId de-duplicates.
      const unavailable = unavailableReason(err);
      if (unavailable) {
        log(`ingest: the database is unavailable (${unavailable})`);
        if (res.headersSent) return;
        res.setHeader("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
        return reply(res, 503, { success: false, message: `not stored: ${DATABASE_UNAVAILABLE_MESSAGE}` });
      }
      log(`ingest: ${(err as Error).message}`);
      if (!res.headersSent) reply(res, 503, { success: false, message: "not stored, retry" });
    });
  });
  server.keepAliveTimeout = 65_000;

  // The forwarder: outbox → Inngest, woken after each commit (at most one pass per
  // forwardGapMs, so a busy ingest forwards in batches rather than a pass per commit) and on a
  // timer for stragglers. It runs beside the answers, never before them: it may lag and catch up.
  // Waiting events (no contact yet) are looked at after an identify commits and otherwise once
  // per attachEveryMs, but that pass reads every waiting row: with many unknown visitors it is
  // spaced so that it takes at most a twentieth of the time (identify's own merge makes its
  // events ready at once; only late links wait for the pass).
  const gapMs = opts.forwardGapMs ?? 50;
  const attachEveryMs = opts.attachEveryMs ?? 1_000;
  let forwarding = false;
  // Moved batch by batch, so a long drain shows progress: `forwarded` and `lastSuccessAt` after
  // each batch Inngest accepted, `lastPassAt` once a pass has emptied the outbox, `lastErrorAt`
  // when a pass failed (it is retried a second later).
  const forwarder: { forwarded: number; draining: boolean; lastSuccessAt: string | null; lastPassAt: string | null; lastErrorAt: string | null } = {
    forwarded: 0,
    draining: false,
    lastSuccessAt: null,
    lastPassAt: null,
    lastErrorAt: null,
  };
  const counted =
    <T>(send: (batch: T[]) => Promise<void>) =>
    async (batch: T[]) => {
      await send(batch);
      forwarder.forwarded += batch.length;
      forwarder.lastSuccessAt = new Date(Date.now()).toISOString();
    };
  const forwardEvents = opts.forward && counted(opts.forward);
  const forwardAppEvents = opts.forwardApp && counted(opts.forwardApp);
  let stopped = false;
  let retryAfter = 0;
  let again = false;
  let passTimer: NodeJS.Timeout | undefined;
  let lastPass = -Infinity;
  let lastAttach = -Infinity;
  let attachAllowedAt = 0;
  let attachSoon = true;
  async function forwardLoop() {
    if (!forwardEvents || stopped || Date.now() < retryAfter) return;
    if (forwarding) {
      again = true;
      return;
    }
    forwarding = true;
    forwarder.draining = true;
    again = false;
    lastPass = Date.now();
    try {
      if ((attachSoon || Date.now() - lastAttach >= attachEveryMs) && Date.now() >= attachAllowedAt) {
        attachSoon = false;
        lastAttach = Date.now();
        await attachPendingEvents(opts.db);
        attachAllowedAt = Date.now() + 19 * (Date.now() - lastAttach);
      }
      // Until the outbox is empty; each batch sent moves the counters itself (`counted`).
      while (!stopped && (await forwardOutbox(opts.db, 500, forwardEvents, opts.forwardClaimMs ?? 15_000)).rows > 0);
      if (forwardAppEvents) {
        const send = forwardAppEvents;
        while (!stopped && (await forwardAppOutbox(opts.db, { limit: 500, send, claimMs: opts.forwardClaimMs ?? 15_000 })) > 0);
      }
      forwarder.lastPassAt = new Date(Date.now()).toISOString();
    } catch (err) {
      const unavailable = unavailableReason(err);
      log(unavailable ? `ingest: forwarding paused, the database is unavailable (${unavailable}); will retry` : `ingest: forwarding to Inngest failed, will retry: ${(err as Error).message}`);
      forwarder.lastErrorAt = new Date(Date.now()).toISOString();
      retryAfter = Date.now() + 1_000;
    } finally {
      forwarding = false;
      forwarder.draining = false;
      if (again) wakeForwarder();
    }
  }
  function wakeForwarder() {
    if (!forwardEvents || passTimer || stopped) return;
    passTimer = setTimeout(
      () => {
        passTimer = undefined;
        void forwardLoop();
      },
      Math.max(0, lastPass + gapMs - Date.now()),
    );
  }
  const tick = setInterval(wakeForwarder, opts.forwardEveryMs ?? 500);

  // GET /health, for the people running the ingest and the app's /api/health: the stack's instance
  // id, the write queue, the last minute's grouped commits, the forwarder (its counters, lag and
  // last success) and the outbox backlog. The backlog query runs at most once per
  // backlogEveryMs however often /health is asked; when the database cannot answer it, the
  // answer is 503. Totals and times only: nothing here names a workspace or a person, and error
  // messages (hosts, addresses) go to the log, not to whoever asks.
  const backlogEveryMs = opts.backlogEveryMs ?? 5_000;
  // How late the event loop ran a 20 ms timer, over the current minute: every request's parse and
  // answer and every commit's completion wait behind a busy loop (a long scavenge, a burst).
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  let loopSince = Date.now();
  const loopReset = setInterval(() => {
    loopDelay.reset();
    loopSince = Date.now();
  }, 60_000);
  loopReset.unref();
  let backlog: { at: number; value: Promise<Awaited<ReturnType<typeof outboxBacklog>> | { error: string }> } | undefined;
  async function health(res: ServerResponse) {
    if (!backlog || Date.now() - backlog.at >= backlogEveryMs)
      backlog = {
        at: Date.now(),
        value: outboxBacklog(opts.db).catch((err: Error) => {
          log(`ingest: health: the database did not answer: ${err.message}`);
          return { error: err.message };
        }),
      };
    const outbox = await backlog.value;
    const reachable = !("error" in outbox);
    reply(res, reachable ? 200 : 503, {
      ok: reachable,
      instance: opts.instance ?? null,
      database: { reachable },
      queue: { waitingRequests: queue.length, commitsInFlight: active, writers },
      commits: stats.summary(),
      eventLoopDelay: {
        sinceSeconds: Math.round((Date.now() - loopSince) / 1000),
        ...(loopDelay.count ? { p50Ms: round(loopDelay.percentile(50) / 1e6), p99Ms: round(loopDelay.percentile(99) / 1e6), maxMs: round(loopDelay.max / 1e6) } : {}),
      },
      forwarder: opts.forward
        ? {
            on: true,
            ...forwarder,
            // Age of the oldest event waiting to be handed to Inngest, as of the backlog's reading.
            lagSeconds: "error" in outbox ? null : outbox.oldestSeconds,
            outbox: "error" in outbox ? null : { ready: outbox.ready, waiting: outbox.waiting, capped: outbox.capped },
          }
        : { on: false },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  wakeForwarder();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    flushed: () => (queue.length === 0 && active === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    stop: async () => {
      stopped = true;
      clearInterval(tick);
      clearInterval(loopReset);
      loopDelay.disable();
      clearTimeout(passTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
