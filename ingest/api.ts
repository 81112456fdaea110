import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";
import type { Db } from "../db/client";
import { authenticateApiKey } from "../db/queries/api-keys";
import type { TrackingWrite } from "../db/queries/tracking";
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, unavailableReason } from "../db/unavailable";
import { nowMs } from "../lib/clock";
import { BodyTooLargeError } from "../lib/http/body";
import { depthMessage, tooDeepField } from "../lib/json-depth";
import { mayHoldUnstorable, UNSTORABLE_MESSAGE, unstorablePath } from "../lib/storable";
import { CHUNK_PREFIX, chunkName, servedAnalyticsJs } from "../lib/tracking/analytics-js";
import {
  contactFieldsFromTraits,
  groupAttributes,
  MAX_BATCH_BYTES,
  MAX_CALL_BYTES,
  normalizeBatch,
  normalizeMessage,
  writeKeyOf,
  type ItemError,
  type MessageType,
  type TrackingItem,
} from "../lib/tracking/segment";

/**
 * The Segment-compatible tracking API, apart from the server that carries it: the ingest process
 * (ingest/server.ts, node:http) and the app's own route (app/api/track/[...path]/route.ts, for
 * deployments without an ingest process) both hand each request to `handle` and send back what it
 * answers. Every accepted message is committed (through `commit`) before the 2xx.
 */

/** One request, as either server sees it. */
export type TrackingRequest = {
  method: string;
  /** Below the API's base: `/v1/track`, `/t`, `/v1/projects/<key>/settings`, … (no query). */
  path: string;
  /** A header by its lower-case name. */
  header(name: string): string | undefined;
  /** The body, at most `limit` bytes (BodyTooLargeError past it). */
  body(limit: number): Promise<Buffer>;
};

export type TrackingAnswer = {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** What this request committed: how many messages, and whether an identify or alias was among them. */
  wrote?: { messages: number; links: boolean };
};

export type TrackingApiOptions = {
  db: Db;
  /** Commits a request's writes (a grouped committer, ingest/commit.ts); resolves once stored. */
  commit: (writes: TrackingWrite[]) => Promise<void>;
  /** The API's public URL (TRACKING_URL), named as apiHost in the analytics.js settings document; default: the request's Host. */
  publicUrl?: string;
  /** Where the API sits on the request's host when `publicUrl` is unset (`/api/track` in the app). */
  basePath?: string;
  /** How long a write key stays trusted before it is checked again (revocation takes this long). */
  keyCacheMs?: number;
  /** Most write keys (known or not) remembered at once. */
  keyCacheSize?: number;
  log?: (line: string) => void;
};

export class HttpError extends Error {
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
const PREFLIGHT: TrackingAnswer = {
  status: 204,
  headers: {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, x-retry-count",
    "access-control-max-age": "86400",
  },
  body: "",
};

export function json(status: number, body: unknown, extra: Record<string, string> = {}): TrackingAnswer {
  const text = JSON.stringify(body);
  return { status, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), "access-control-allow-origin": "*", ...extra }, body: text };
}

// The answer to nearly every request, built once (its `wrote` is added per request).
const successText = JSON.stringify({ success: true });
const successHeaders = { "content-type": "application/json", "content-length": String(successText.length), "access-control-allow-origin": "*" };

const gzip = promisify(gzipCb);

/** The answer for an error thrown while handling: the client's fault (4xx) or not stored (503, retry). */
export function errorAnswer(err: unknown, log: (line: string) => void): TrackingAnswer {
  if (err instanceof HttpError) return json(err.status, { success: false, message: err.message });
  if (err instanceof BodyTooLargeError) return json(400, { success: false, message: err.message });
  // Not committed: the client retries (Segment clients retry 5xx), and messageId de-duplicates.
  const unavailable = unavailableReason(err);
  if (unavailable) {
    log(`ingest: the database is unavailable (${unavailable})`);
    return json(503, { success: false, message: `not stored: ${DATABASE_UNAVAILABLE_MESSAGE}` }, { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) });
  }
  log(`ingest: ${(err as Error).message}`);
  return json(503, { success: false, message: "not stored, retry" });
}

export function trackingApi(opts: TrackingApiOptions) {
  const keyCacheMs = opts.keyCacheMs ?? 5_000;
  const keyCacheSize = opts.keyCacheSize ?? 10_000;
  const log = opts.log ?? ((l: string) => console.log(l));
  const basePath = (opts.basePath ?? "").replace(/\/$/, "");

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

  // This API's URL as the browser reaches it: TRACKING_URL, else the request's Host (and basePath).
  function publicBase(req: TrackingRequest): URL {
    if (opts.publicUrl) return new URL(opts.publicUrl);
    const host = req.header("host") ?? "";
    if (!hostHeader.test(host)) throw new HttpError(400, "no usable Host header");
    return new URL(`${req.header("x-forwarded-proto") === "https" ? "https" : "http"}://${host}${basePath}`);
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
  async function script(req: TrackingRequest, id: string, body: string | Buffer, cache: string): Promise<TrackingAnswer> {
    const accepts = /\bgzip\b/.test(req.header("accept-encoding") ?? "");
    const sent = accepts ? await gzipOnce(id, body) : body;
    return {
      status: 200,
      headers: {
        "content-type": "application/javascript; charset=utf-8",
        "content-length": String(Buffer.byteLength(sent)),
        "access-control-allow-origin": "*",
        "cache-control": cache,
        vary: "accept-encoding",
        ...(accepts ? { "content-encoding": "gzip" } : {}),
      },
      body: sent,
    };
  }

  // analytics.js configures itself from this document: it sends to apiHost (this API) and
  // loads nothing else (no other destinations, no plugins, no metrics).
  function settings(req: TrackingRequest, writeKey: string): TrackingAnswer {
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
    return json(200, doc, { "cache-control": cacheControl(60) });
  }

  async function route(req: TrackingRequest): Promise<TrackingAnswer> {
    const path = req.path.replace(/^\/api(?=\/v1\/)/, "");
    if (req.method === "OPTIONS") return PREFLIGHT;
    if (req.method === "GET") {
      const project = settingsPath.exec(path);
      if (project) return settings(req, await knownKey(project[1]!));
      const loader = bundlePath.exec(path);
      if (loader) {
        const writeKey = await knownKey(loader[1]!);
        const base = publicBase(req);
        const { standalone } = await loadBundle();
        const cdn = `${base.origin}${base.pathname}`;
        return script(req, `${writeKey}\u0000${cdn}`, servedAnalyticsJs(standalone, writeKey, cdn), cacheControl(300));
      }
      if (path.startsWith(CHUNK_PREFIX)) {
        const name = path.slice(CHUNK_PREFIX.length);
        const chunk = chunkName.test(name) ? (await loadBundle()).chunks.get(name) : undefined;
        if (!chunk) return json(404, { success: false, message: `no file ${name}` });
        // Named by their content's hash (index.js aside): they never change under a name.
        return script(req, name, chunk, name.includes(".bundle.") ? "public, max-age=31536000, immutable" : "public, max-age=300");
      }
    }
    const kind = routes[path];
    if (!kind) return json(404, { success: false, message: `no route ${req.method} ${path}` });
    if (req.method !== "POST") return json(405, { success: false, message: "use POST" });
    const receivedAt = new Date(nowMs());
    const raw = await req.body(kind === "batch" ? MAX_BATCH_BYTES : MAX_CALL_BYTES);
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
    const key = writeKeyOf(req.header("authorization"), body);
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
    if (items.length) await opts.commit(items.map((i) => toWrite(workspaceId, i)));
    const wrote = { messages: items.length, links: items.some((i) => i.type === "identify" || i.type === "alias") };
    // Valid messages beside invalid ones are kept; the answer names each refused one.
    if (errors.length) return { ...json(400, { success: false, accepted: items.length, errors }), wrote };
    return { status: 200, headers: successHeaders, body: successText, wrote };
  }

  return {
    /** Never throws: errors become their answer (4xx for the client's fault, 503 when not stored). */
    handle: (req: TrackingRequest): Promise<TrackingAnswer> => route(req).catch((err: unknown) => errorAnswer(err, log)),
  };
}

export type TrackingApi = ReturnType<typeof trackingApi>;
