import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { unavailableReason } from "@/db/unavailable";

/**
 * The app's health answer (GET /api/health): its database, the Inngest that runs its functions and
 * the tracking ingest, each probed with a short timeout, the whole reading shared for `cacheMs` (one
 * probe round in flight at a time) so a flood of requests costs the parts one probe. The body names
 * no host, URL, workspace or person and carries no error text; what went wrong, with addresses,
 * goes to the log once per change. Design notes and the rules behind each status:
 * docs/operations.md.
 */

export type InngestPart =
  | {
      status: "ok" | "degraded";
      mode: "bundled";
      /** The executor answered its /health. */
      reachable: boolean;
      /** The executor has synced this app since it started (null: it could not be asked). */
      synced: boolean | null;
      functions: number | null;
      syncedAt: string | null;
      /** The executor belongs to this start of the stack (null: one side has no instance id). */
      sameInstance: boolean | null;
      reason?: Reason;
    }
  | {
      /** Inngest Cloud or a self-hosted Inngest: nothing here can see whether it has this app. */
      status: "ok";
      mode: "external";
      checked: false;
      reachable: null;
      synced: null;
    };

export type IngestPart = {
  status: "ok" | "degraded";
  /** `app`: no ingest process runs; the app's own /api/track serves tracking (nothing to ask). */
  mode?: "app";
  /** null: no ingest to reach (mode `app`). */
  reachable: boolean | null;
  sameInstance: boolean | null;
  forwarder: {
    /** Forwarding to Inngest is switched on in the ingest (null: it could not be asked). */
    on: boolean | null;
    /** Age of the oldest event waiting to be handed to Inngest (null: none waiting, or unknown). */
    lagSeconds: number | null;
    lastSuccessAt: string | null;
    lastErrorAt: string | null;
  };
  reason?: Reason;
};

export type HealthReport = {
  ok: boolean;
  status: "ok" | "degraded" | "down";
  instance: string | null;
  parts: {
    database: { status: "ok" | "down" };
    inngest: InngestPart;
    ingest: IngestPart;
  };
};

/** Why a part is not ok, in fixed words: never an error message (those may name hosts). */
export type Reason =
  | "unreachable"
  | "unexpected answer"
  | "another stack answered"
  | "app not synced"
  | "its database is unreachable"
  | "forwarder failing"
  | "forwarder lagging";

export type HealthOptions = {
  /** The app's database (a getter: the route opens its pool on first use, not at import). */
  db: () => Db;
  /** This process's TILLIT_INSTANCE_ID. */
  instance: string | null;
  /** bundled: the local executor's base URL and this app's Inngest app id. */
  inngest: { mode: "bundled"; url: string; appId: string } | { mode: "external" };
  /** The tracking ingest's base URL (http://127.0.0.1:TRACKING_PORT); null when the app serves tracking itself. */
  ingestUrl: string | null;
  /** Per HTTP probe (default 1 s). */
  probeTimeoutMs?: number;
  /** For `select 1` (default 3 s: a busy pool is slow, not gone). */
  databaseTimeoutMs?: number;
  /** How long one reading answers every request (default 2 s). */
  cacheMs?: number;
  /** Above this forwarding lag the ingest is degraded (default 120 s). */
  maxLagSeconds?: number;
  fetch?: typeof fetch;
  log?: (line: string) => void;
};

export type HealthCheck = {
  /** The current reading: cached, or the round in flight, or a new round. */
  report(): Promise<HealthReport>;
  /** GET /api/health: 503 when the database is down, or with ?strict=1 when any part is not ok. */
  respond(req: Request): Promise<Response>;
};

// What the executor and the ingest answer on /health (inngest/local/server.ts, ingest/server.ts):
// parsed, since a stale or foreign process may hold the port.
const executorAnswer = z.object({
  ok: z.literal(true),
  instance: z.string().nullable().optional(),
  apps: z.array(z.object({ id: z.string(), functions: z.number(), syncedAt: z.string() })).default([]),
});

const isoOrNull = z.string().nullable().optional().transform((v) => v ?? null);
const ingestAnswer = z.object({
  ok: z.boolean(),
  instance: z.string().nullable().optional(),
  database: z.object({ reachable: z.boolean() }),
  forwarder: z.union([
    z.object({
      on: z.literal(true),
      lastSuccessAt: isoOrNull,
      lastErrorAt: isoOrNull,
      lagSeconds: z.number().nullable().optional().transform((v) => v ?? null),
    }),
    z.object({ on: z.literal(false) }),
  ]),
});

const strictParam = z.enum(["1", "0", "true", "false", ""], { error: "strict: must be 1 or 0" }).optional();

/** The most of a part's /health answer read (they are a few hundred bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

export function healthCheck(opts: HealthOptions): HealthCheck {
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1_000;
  const databaseTimeoutMs = opts.databaseTimeoutMs ?? 3_000;
  const cacheMs = opts.cacheMs ?? 2_000;
  const maxLagSeconds = opts.maxLagSeconds ?? 120;
  const fetchFn = opts.fetch ?? fetch;
  const log = opts.log ?? ((line: string) => console.error(line));

  // One line per change of a part's state, not one per probe.
  const reported = new Map<string, string>();
  const note = (part: string, state: string, detail?: string) => {
    if (reported.get(part) === state) return;
    const first = !reported.has(part);
    reported.set(part, state);
    if (first && state === "ok") return;
    log(`health: ${part} ${state}${detail ? ` (${detail})` : ""}`);
  };

  const sameInstance = (theirs: string | null | undefined) => (opts.instance && theirs ? opts.instance === theirs : null);

  // A `select 1` still waiting (a connect that hangs) is waited for again, not queued behind.
  let dbPending: Promise<unknown> | undefined;
  async function database(): Promise<HealthReport["parts"]["database"]> {
    try {
      dbPending ??= Promise.resolve()
        .then(() => opts.db().execute(sql`select 1`))
        .finally(() => (dbPending = undefined));
      await within(dbPending, databaseTimeoutMs);
      note("database", "ok");
      return { status: "ok" };
    } catch (err) {
      note("database", "down", unavailableReason(err) ?? (err as Error).message);
      return { status: "down" };
    }
  }

  async function getJson(url: string): Promise<{ status: number; body: unknown }> {
    // no-store: inside Next, fetch keeps answers in its data cache unless told not to, and a
    // cached "ok" from a part that has since died is exactly what health must not say.
    const res = await fetchFn(url, { signal: AbortSignal.timeout(probeTimeoutMs), headers: { accept: "application/json" }, cache: "no-store" });
    const text = await res.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error(`an answer of ${text.length} bytes`);
    return { status: res.status, body: JSON.parse(text) as unknown };
  }

  async function inngest(): Promise<InngestPart> {
    const target = opts.inngest;
    if (target.mode === "external") return { status: "ok", mode: "external", checked: false, reachable: null, synced: null };
    const part = (reachable: boolean, reason?: Reason, app?: { functions: number; syncedAt: string }, instance?: boolean | null): InngestPart => ({
      status: reason ? "degraded" : "ok",
      mode: "bundled",
      reachable,
      synced: reachable ? app !== undefined : null,
      functions: app?.functions ?? null,
      syncedAt: app?.syncedAt ?? null,
      sameInstance: instance ?? null,
      ...(reason ? { reason } : {}),
    });
    let answer: { status: number; body: unknown };
    try {
      answer = await getJson(`${target.url}/health`);
    } catch (err) {
      note("inngest", "unreachable", `${target.url}/health: ${(err as Error).message}`);
      return part(false, "unreachable");
    }
    const parsed = executorAnswer.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success) {
      note("inngest", "unexpected answer", `${target.url}/health answered HTTP ${answer.status}`);
      return part(false, "unexpected answer");
    }
    const same = sameInstance(parsed.data.instance);
    const app = parsed.data.apps.find((a) => a.id === target.appId);
    const reason: Reason | undefined = same === false ? "another stack answered" : !app ? "app not synced" : undefined;
    note("inngest", reason ?? "ok", reason && `executor at ${target.url}`);
    return part(true, reason, app, same);
  }

  async function ingest(): Promise<IngestPart> {
    const unread = { on: null, lagSeconds: null, lastSuccessAt: null, lastErrorAt: null };
    // Serverless: the route forwards after each answer and the sweep every minute; no process to ask.
    if (opts.ingestUrl === null) return { status: "ok", mode: "app", reachable: null, sameInstance: null, forwarder: unread };
    let answer: { status: number; body: unknown };
    try {
      answer = await getJson(`${opts.ingestUrl}/health`);
    } catch (err) {
      note("ingest", "unreachable", `${opts.ingestUrl}/health: ${(err as Error).message}`);
      return { status: "degraded", reachable: false, sameInstance: null, forwarder: unread, reason: "unreachable" };
    }
    const parsed = ingestAnswer.safeParse(answer.body);
    if (!parsed.success) {
      note("ingest", "unexpected answer", `${opts.ingestUrl}/health answered HTTP ${answer.status}`);
      return { status: "degraded", reachable: false, sameInstance: null, forwarder: unread, reason: "unexpected answer" };
    }
    const h = parsed.data;
    const forwarder = h.forwarder.on
      ? { on: true, lagSeconds: h.forwarder.lagSeconds, lastSuccessAt: h.forwarder.lastSuccessAt, lastErrorAt: h.forwarder.lastErrorAt }
      : { ...unread, on: false };
    const same = sameInstance(h.instance);
    const reason = ingestReason({ reachableDatabase: h.database.reachable, sameInstance: same, forwarder, maxLagSeconds });
    note("ingest", reason ?? "ok", reason && `ingest at ${opts.ingestUrl}`);
    return { status: reason ? "degraded" : "ok", reachable: true, sameInstance: same, forwarder, ...(reason ? { reason } : {}) };
  }

  async function round(): Promise<HealthReport> {
    const [db, inn, ing] = await Promise.all([database(), inngest(), ingest()]);
    const ok = db.status === "ok" && inn.status === "ok" && ing.status === "ok";
    return {
      ok,
      status: db.status === "down" ? "down" : ok ? "ok" : "degraded",
      instance: opts.instance,
      parts: { database: db, inngest: inn, ingest: ing },
    };
  }

  let last: { at: number; report: HealthReport } | undefined;
  let inFlight: Promise<HealthReport> | undefined;
  function report(): Promise<HealthReport> {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.report);
    inFlight ??= round()
      .then((r) => {
        last = { at: Date.now(), report: r };
        return r;
      })
      .finally(() => (inFlight = undefined));
    return inFlight;
  }

  async function respond(req: Request): Promise<Response> {
    const strict = strictParam.safeParse(new URL(req.url).searchParams.get("strict") ?? undefined);
    if (!strict.success)
      return Response.json({ error: { message: "strict: must be 1 or 0", field: "strict" } }, { status: 400, headers: { "cache-control": "no-store" } });
    const r = await report();
    const failing = r.status === "down" || ((strict.data === "1" || strict.data === "true") && !r.ok);
    return Response.json(r, {
      status: failing ? 503 : 200,
      headers: { "cache-control": "no-store", ...(failing ? { "retry-after": String(Math.ceil(cacheMs / 1000)) } : {}) },
    });
  }

  return { report, respond };
}

/**
 * The ingest's state from its own answer (pure): degraded when its database is unreachable, when it
 * belongs to another start of the stack, when its forwarder's last error is newer than its last
 * success while events wait, or when the oldest waiting event is older than `maxLagSeconds`.
 */
export function ingestReason(s: {
  reachableDatabase: boolean;
  sameInstance: boolean | null;
  forwarder: IngestPart["forwarder"];
  maxLagSeconds: number;
}): Reason | undefined {
  if (!s.reachableDatabase) return "its database is unreachable";
  if (s.sameInstance === false) return "another stack answered";
  const f = s.forwarder;
  if (!f.on || f.lagSeconds === null) return undefined;
  if (f.lastErrorAt && (!f.lastSuccessAt || Date.parse(f.lastErrorAt) > Date.parse(f.lastSuccessAt))) return "forwarder failing";
  if (f.lagSeconds > s.maxLagSeconds) return "forwarder lagging";
  return undefined;
}

/** `p`, or a rejection once `ms` have passed (the work itself carries on). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
