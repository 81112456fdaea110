import type { Sql } from "@/db/client";
import type { Clock } from "@/lib/clock";
import type { FunctionConfig } from "../config";
import type { CheckpointBody, IncomingEvent } from "../protocol";
import { Checkpoints } from "./checkpoint";
import { Claimer } from "./claim";
import { toFn, type EngineContext, type EngineOptions } from "./context";
import { execute } from "./execute";
import { ingestInTx } from "./ingest";
import { limitsOf, type ExecutorLimits } from "../limits";
import { Loop } from "./loop";
import { Maintenance } from "./maintenance";
import * as q from "./statements";
import { fireCrons, register, syncApp } from "./sync-cron";

export type { CallTap, CheckpointTap, EngineOptions } from "./context";

/**
 * The durable core: ingest, sync, and the call loop. Everything that must survive a crash is
 * written to Postgres before it is acknowledged; the only in-memory state is what is in flight.
 *
 * Durability model. A job is claimed by writing a lease (token + real-time expiry) and committing;
 * the HTTP call to the app happens outside any transaction; its result is applied in one
 * transaction that first deletes the job *by its lease token*. If the executor died or lost the
 * lease meanwhile, that delete finds nothing and the reply is discarded, so each reply is applied
 * at most once, and a crash repeats at most the calls that were in flight. Memo rows are keyed by
 * (run, step) and inserted with ON CONFLICT DO NOTHING, so replays cannot overwrite history.
 *
 * Claims are serialised through one row lock (meta 'claim'), which also makes concurrency limits
 * exact across several executors; on PGlite every transaction is serialised anyway.
 *
 * This class only wires the modules together (docs/runtime.md#the-local-executors-modules).
 */
export class Engine {
  readonly sql: Sql;
  readonly clock: Clock;
  private readonly ctx: EngineContext;
  private readonly loop: Loop;
  private readonly checkpoints: Checkpoints;
  private readonly maintenance: Maintenance;

  constructor(opts: EngineOptions) {
    this.sql = opts.sql;
    this.clock = opts.clock;
    this.ctx = {
      sql: opts.sql,
      opts,
      log: opts.log ?? ((l) => console.error(`inngest-local: ${l}`)),
      fns: new Map(),
      synced: new Map(),
      cron: { nextAt: 0, checkedAt: 0 },
      limits: limitsOf(opts.limits),
      callSteps: new Map(),
      now: () => this.now(),
      wake: () => this.wake(),
    };
    const claimer = new Claimer(this.ctx);
    this.maintenance = new Maintenance(this.ctx);
    this.checkpoints = new Checkpoints(this.ctx);
    this.loop = new Loop(this.ctx, {
      fireCrons: () => fireCrons(this.ctx),
      claim: (max, now) => claimer.claim(max, now),
      execute: (job) => execute(this.ctx, job),
      finished: () => this.maintenance.jobFinished(),
    });
  }

  /** The limits this executor enforces (docs/inngest-protocol.md#limits). */
  get limits(): ExecutorLimits {
    return this.ctx.limits;
  }

  now(): number {
    return Math.floor(this.clock.nowMs());
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    for (const r of await q.loadFunctions(this.sql)) this.ctx.fns.set(r.id, toFn(r.config, r.app_url));
    this.loop.start();
    this.maintenance.start();
  }

  async stop(): Promise<void> {
    const loopStopped = this.loop.stop();
    this.maintenance.stop();
    await loopStopped;
    await this.maintenance.settled();
    // In-flight calls finish on their own; their leases lapse if they cannot apply.
    await this.loop.drain();
  }

  wake(): void {
    this.loop.wake();
  }

  /**
   * Resolves once the executor has nothing due and nothing in flight, as observed by a claim
   * cycle that started after this call: the synchronisation point tests use after sending events
   * or advancing the clock.
   */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  inflightCount(): number {
    return this.loop.inflightCount();
  }

  // ---------------------------------------------------------------- ingest and checkpoints

  /** Persists events and everything they cause, in one transaction; returns ids in order. */
  async ingest(events: IncomingEvent[]): Promise<string[]> {
    return this.loop.busy(async () => {
      const ids = await this.sql.begin((tx) => ingestInTx(this.ctx, tx, events));
      this.wake();
      return ids;
    });
  }

  /** `POST /v1/checkpoint/{runId}/async`: see Checkpoints (checkpoint.ts). */
  checkpoint(runId: string, body: CheckpointBody): Promise<{ status: 200 | 400 | 409; error?: string }> {
    return this.checkpoints.checkpoint(runId, body);
  }

  // ---------------------------------------------------------------- sync

  /** In-band sync (docs/inngest-protocol.md#sync): PUT the app, store its function configs. */
  sync(serveUrl: string): Promise<{ appId: string; functions: string[] }> {
    return syncApp(this.ctx, serveUrl);
  }

  /** Stores an app's functions (in-band reply or out-of-band /fn/register). Throws on anything unsupported. */
  register(appUrl: string, appId: string, rawFunctions: unknown): Promise<{ appId: string; functions: string[] }> {
    return register(this.ctx, appUrl, appId, rawFunctions);
  }

  /** What this process has synced, for GET /health: app ids, function counts and when (wall clock); no URLs. */
  syncedApps(): { id: string; functions: number; syncedAt: string }[] {
    return [...this.ctx.synced].map(([id, s]) => ({ id, ...s }));
  }

  functions(): FunctionConfig[] {
    return [...this.ctx.fns.values()].map((f) => f.config);
  }

  // ---------------------------------------------------------------- clock and housekeeping

  /** Virtual clock only: persist the offset so a restarted executor does not travel back. */
  async saveClockOffset(offsetMs: number): Promise<void> {
    await q.saveClockOffset(this.sql, offsetMs);
    this.wake();
  }

  async loadClockOffset(): Promise<number> {
    const r = await q.loadClockOffset(this.sql);
    return typeof r[0]?.value === "number" ? r[0].value : 0;
  }

  /** Drops finished work older than `keepMs` so queue tables stay small. */
  prune(keepMs: number): Promise<void> {
    return this.maintenance.prune(keepMs);
  }
}
