import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Db } from "../db/client";
import type { ClaimedAppEvent } from "../db/queries/outbox";
import { attachPendingEvents, outboxBacklog, type OutboxEvent } from "../db/queries/tracking";
import { unavailableReason } from "../db/unavailable";
import { readBody } from "../lib/http/body";
import { errorAnswer, json, trackingApi, type TrackingAnswer } from "./api";
import { groupCommitter } from "./commit";
import { drainOutboxes } from "./outbox";

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

const round = (ms: number) => Math.round(ms * 100) / 100;

// The answer to nearly every request is built once in ingest/api.ts; this only writes it out.
function send(res: ServerResponse, answer: TrackingAnswer) {
  if (res.destroyed) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

export async function startIngestServer(opts: IngestOptions): Promise<IngestServer> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const committer = groupCommitter({
    db: opts.db,
    maxGroup: opts.maxGroup,
    writers: opts.writers,
    onCommitted: (links) => {
      if (links) attachSoon = true;
      wakeForwarder();
    },
  });
  const api = trackingApi({ db: opts.db, commit: committer.commit, publicUrl: opts.publicUrl, keyCacheMs: opts.keyCacheMs, keyCacheSize: opts.keyCacheSize, log });

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/health") {
      health(res).catch((err: unknown) => send(res, errorAnswer(err, log)));
      return;
    }
    api
      .handle({
        method: req.method ?? "GET",
        path,
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        },
        // Over the limit, the connection closes: a client streaming megabytes costs no more than the limit.
        body: (limit) => readBody(req, limit, "destroy"),
      })
      .then((answer) => send(res, answer), (err: unknown) => send(res, errorAnswer(err, log)));
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
      // Until both outboxes are empty; each batch sent moves the counters itself (`counted`).
      await drainOutboxes(opts.db, { send: forwardEvents, sendApp: forwardAppEvents, claimMs: opts.forwardClaimMs ?? 15_000, stopped: () => stopped });
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
    send(res, json(reachable ? 200 : 503, {
      ok: reachable,
      instance: opts.instance ?? null,
      database: { reachable },
      queue: { waitingRequests: committer.waiting(), commitsInFlight: committer.inFlight(), writers: committer.writers },
      commits: committer.stats.summary(),
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
    }));
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
    flushed: committer.flushed,
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
