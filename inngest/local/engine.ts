import { randomUUID } from "node:crypto";
import type { TransactionSql } from "postgres";
import type { Sql } from "@/db/client";
import type { Clock } from "@/lib/clock";
import { keyOf, matches } from "./cel";
import { callUrl, concurrencyRules, maxAttempts, parseFunctionConfigs, type FunctionConfig } from "./config";
import { nextCronTime, parseCron } from "./cron";
import { parseDuration, sleepDueAt } from "./duration";
import {
  opsBody,
  serializedError,
  syncReply,
  type CallBody,
  type CheckpointBody,
  type IncomingEvent,
  type Op,
  type RunEvent,
} from "./protocol";
import { postJson } from "./http-client";
import { signedBody } from "../keys";
import { ulid } from "./ulid";

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
 */

const DAY = 86_400_000;
/** Jobs finished between two vacuums of the job queue (checked every 10 s). */
const JOBS_PER_VACUUM = 2000;
const BACKOFF_MS = [15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 7_200_000];
const SUPPORTED_OPS = "StepRun, StepPlanned, StepError, StepFailed, Sleep, WaitForEvent, RunComplete";

export type CallTap = (exchange: {
  url: string;
  request: CallBody;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}) => void;

export type CheckpointTap = (exchange: { runId: string; body: unknown; status: number }) => void;

export type EngineOptions = {
  sql: Sql;
  clock: Clock;
  workers: number;
  leaseMs: number;
  /** Delay before retry number `attempt + 1`; default: Inngest's table plus up to 30 s jitter. */
  backoff?: (attempt: number) => number;
  callTimeoutMs?: number;
  /** Observes every call exchange (tests record protocol transcripts with it). */
  tap?: CallTap;
  /**
   * Let the SDK run several steps in one call and report them to /v1/checkpoint by sending
   * ctx.fn_id and ctx.qi_id (docs/inngest-protocol.md#checkpointing); default true. Off: one op per
   * call (docs/inngest-protocol.md#step-opcodes).
   */
  checkpointing?: boolean;
  /** Observes every checkpoint request and the status it was answered with. */
  checkpointTap?: CheckpointTap;
  /** Signs every call into the app (X-Inngest-Signature), as Inngest does; the SDK verifies it. */
  signingKey: string;
  log?: (line: string) => void;
};

type Fn = { config: FunctionConfig; appUrl: string; cron: ReturnType<typeof parseCron>[] };

type Job = {
  id: string;
  run_id: string;
  kind: "call" | "sleep" | "wait_timeout";
  step_id: string | null;
  attempt: number;
  lease_token: string;
  /** Which claim of this job we hold; a checkpoint naming an older one is stale. */
  generation: number;
  /** The run as the claim read it, when that read could not be stale. */
  run?: RunSnapshot;
};

type CheckpointWrite = { qi: string; run_id: string; gen: number; steps: { step_id: string; value: unknown; name: string | null }[] };

type RunSnapshot = { fn_id: string; event: RunEvent; status: string; die: boolean; memo: [string, unknown][] };

type Tx = TransactionSql<Record<string, never>>;

type ConcurrencyKey = { key: string; limit: number };

type PendingRun = {
  id: string;
  fn_id: string;
  event: RunEvent;
  concurrency: ConcurrencyKey[];
  due_at: number;
  cancels: { idx: number; event_name: string; expr: string | null; expires_at: number }[];
};

export class Engine {
  readonly sql: Sql;
  readonly clock: Clock;
  private fns = new Map<string, Fn>();
  /** By lease token: a job whose lease lapsed during a call may be claimed again meanwhile. */
  private inflight = new Map<string, Job>();
  private stopped = false;
  private wakeResolve: (() => void) | undefined;
  private wakePending = false;
  private loopDone: Promise<void> | undefined;
  private cycle = 0;
  private busyIngests = 0;
  private idleWaiters: { after: number; resolve: () => void }[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private vacuumTimer: NodeJS.Timeout | undefined;
  /** Jobs finished since the queue table was last vacuumed. */
  private jobsFinished = 0;
  private vacuuming = false;
  /** Vacuums run one after another; this settles when the last one queued has. */
  private vacuumed: Promise<void> = Promise.resolve();
  private vacuumFailed = false;
  private lastCronCheck = 0;
  private lastKeyedProbe = 0;
  private checkpointQueue: { item: CheckpointWrite; resolve: (ok: boolean) => void; reject: (err: unknown) => void }[] = [];
  private checkpointFlushing = false;
  private nextCronAt = 0;
  /**
   * Apps synced by this process (not the functions it loaded from the database at start): a
   * restarted executor has none until the app answers its sync again. Id → count and when.
   */
  private synced = new Map<string, { functions: number; syncedAt: string }>();
  private readonly log: (line: string) => void;

  constructor(private readonly opts: EngineOptions) {
    this.sql = opts.sql;
    this.clock = opts.clock;
    this.log = opts.log ?? ((l) => console.error(`inngest-local: ${l}`));
  }

  now(): number {
    return Math.floor(this.clock.nowMs());
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const rows = await this.sql<{ id: string; app_url: string; config: FunctionConfig }[]>`
      select id, app_url, config from inngest_local.functions`;
    for (const r of rows) this.fns.set(r.id, toFn(r.config, r.app_url));
    this.loopDone = this.loop();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    this.vacuumTimer = setInterval(() => {
      if (this.jobsFinished < JOBS_PER_VACUUM || this.vacuuming) return;
      this.jobsFinished = 0;
      void this.vacuum(["jobs"]);
    }, 10_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    clearInterval(this.renewTimer);
    clearInterval(this.vacuumTimer);
    await this.loopDone;
    await this.vacuumed;
    // In-flight calls finish on their own; their leases lapse if they cannot apply.
    const deadline = Date.now() + 5000;
    while (this.inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  wake(): void {
    this.wakePending = true;
    this.wakeResolve?.();
  }

  /**
   * Resolves once the executor has nothing due and nothing in flight, as observed by a claim
   * cycle that started after this call: the synchronisation point tests use after sending events
   * or advancing the clock.
   */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push({ after: this.cycle, resolve });
      this.wake();
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const cycle = ++this.cycle;
      this.wakePending = false;
      let claimed: Job[] = [];
      let free = 0;
      let claimedAt = 0;
      try {
        await this.fireCrons();
        free = this.opts.workers - this.inflight.size;
        claimedAt = this.now();
        if (free > 0) claimed = await this.claim(free, claimedAt);
      } catch (err) {
        if (this.stopped) break;
        this.log(`claim failed: ${(err as Error).message}`);
        await this.sleepUntilWoken(500);
        continue;
      }
      for (const job of claimed) {
        this.inflight.set(job.lease_token, job);
        void this.execute(job)
          .catch((err) => this.log(`job ${job.id} (${job.kind}) of run ${job.run_id}: ${(err as Error).stack}`))
          .finally(() => {
            this.jobsFinished++;
            this.inflight.delete(job.lease_token);
            this.wake();
          });
      }
      if (claimed.length > 0) continue;
      if (this.inflight.size === 0 && this.busyIngests === 0 && !this.wakePending) {
        const ready = this.idleWaiters.filter((w) => w.after < cycle);
        this.idleWaiters = this.idleWaiters.filter((w) => w.after >= cycle);
        for (const w of ready) w.resolve();
      }
      if (this.wakePending) continue;
      // Other executors and lapsed leases give no signal: poll. A finishing call wakes the loop,
      // so with every worker busy there is nothing to look up. Jobs already due at the claim but
      // not taken wait for a concurrency slot or are another executor's: they are polled for too,
      // not spun on; only a job falling due later can bring the next cycle forward.
      let wait = 500;
      if (free > 0) {
        try {
          const next = await this.sql<{ due: string | null }[]>`
            select min(due_at) as due from inngest_local.jobs where lease_token is null and due_at > ${claimedAt}`;
          if (next[0]?.due != null) wait = Math.min(wait, Math.max(0, Number(next[0].due) - this.now()));
        } catch {
          // Reported by the next claim.
        }
      }
      if (wait > 0) await this.sleepUntilWoken(wait);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    if (this.wakePending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeResolve = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeResolve = done;
    });
  }

  private async renewLeases(): Promise<void> {
    if (this.inflight.size === 0) return;
    const tokens = [...this.inflight.values()].map((j) => j.lease_token);
    try {
      await this.sql`update inngest_local.jobs set lease_until = ${Date.now() + this.opts.leaseMs}
        where lease_token = any(${tokens}::text[])`;
    } catch (err) {
      this.log(`lease renewal failed: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- claiming

  private async claim(max: number, now: number): Promise<Job[]> {
    const real = Date.now();
    const token = randomUUID();
    // Jobs without concurrency keys: one statement, SKIP LOCKED keeps executors apart. It also
    // reads each call's run and memo, where nothing can have changed them since the statement's
    // snapshot: a job that was free (not retaken from a lapsed lease, whose call may still be
    // checkpointing) of a run that plans one step at a time (not die, so the job is the run's only
    // one). Any other call reads them after the claim has committed (executeCall).
    const rows = await this.sql<(Omit<Job, "run"> & { fn_id: string | null; event: RunEvent; status: string; die: boolean; memo: [string, unknown][] | null })[]>`
      with c as (
        select id, lease_token is not null as retaken from inngest_local.jobs
        where due_at <= ${now} and (lease_token is null or lease_until < ${real}) and ck1 is null and ck2 is null
        order by due_at, id limit ${max}
        for update skip locked
      ), u as (
        update inngest_local.jobs j set lease_token = ${token} || '/' || j.id::text, lease_until = ${real + this.opts.leaseMs},
          generation = j.generation + 1
        from c where j.id = c.id
        returning j.id, j.run_id, j.kind, j.step_id, j.attempt, j.lease_token, j.generation, c.retaken
      )
      select u.id::text as id, u.run_id, u.kind, u.step_id, u.attempt, u.lease_token, u.generation,
        r.fn_id, r.event, r.status, r.die,
        case when u.kind = 'call' and not u.retaken and not r.die then
          coalesce((select json_agg(json_build_array(m.step_id, m.value) order by m.seq)
                    from inngest_local.memo m where m.run_id = u.run_id), '[]'::json)
        end as memo
      from u left join inngest_local.runs r on r.id = u.run_id`;
    const free: Job[] = rows.map(({ fn_id, event, status, die, memo, ...job }) =>
      memo !== null && fn_id !== null ? { ...job, run: { fn_id, event, status, die, memo } } : job,
    );
    if (free.length >= max) return [...free];
    // Keyed jobs come from functions with concurrency rules; without any, probe only now and then
    // (another executor may serve functions this one has not loaded), sparing a query per cycle.
    const anyKeyed = [...this.fns.values()].some((f) => concurrencyRules(f.config).length > 0);
    if (!anyKeyed && real - this.lastKeyedProbe < 1000) return [...free];
    this.lastKeyedProbe = real;
    const keyed = await this.sql`select 1 from inngest_local.jobs
      where due_at <= ${now} and (lease_token is null or lease_until < ${real}) and (ck1 is not null or ck2 is not null) limit 1`;
    if (keyed.length === 0) return [...free];
    return [...free, ...(await this.claimKeyed(max - free.length, now, real, token))];
  }

  /** Jobs under concurrency limits: counted and claimed under one lock, so limits hold across executors. */
  private async claimKeyed(max: number, now: number, real: number, token: string): Promise<Job[]> {
    return this.sql.begin(async (tx) => {
      await tx`select 1 from inngest_local.meta where key = 'claim' for update`;
      const candidates = await tx<
        (Job & { ck1: string | null; ck1_limit: number | null; ck2: string | null; ck2_limit: number | null })[]
      >`
        select id::text as id, run_id, kind, step_id, attempt, ck1, ck1_limit, ck2, ck2_limit
        from inngest_local.jobs
        where due_at <= ${now} and (lease_token is null or lease_until < ${real}) and (ck1 is not null or ck2 is not null)
        order by due_at, id
        limit ${Math.max(200, max * 4)}`;
      if (candidates.length === 0) return [] as Job[];
      const keys = [...new Set(candidates.flatMap((c) => [c.ck1, c.ck2]).filter((k): k is string => k !== null))];
      const used = new Map<string, number>();
      if (keys.length > 0) {
        const rows = await tx<{ k: string; n: number }[]>`
          select k, count(*)::int as n from (
            select ck1 as k from inngest_local.jobs where ck1 = any(${keys}::text[]) and lease_token is not null and lease_until >= ${real}
            union all
            select ck2 as k from inngest_local.jobs where ck2 = any(${keys}::text[]) and lease_token is not null and lease_until >= ${real}
          ) s group by k`;
        for (const r of rows) used.set(r.k, r.n);
      }
      const picked: (typeof candidates)[number][] = [];
      for (const c of candidates) {
        if (picked.length >= max) break;
        const fits = (k: string | null, limit: number | null) => k === null || (used.get(k) ?? 0) < (limit ?? Infinity);
        if (!fits(c.ck1, c.ck1_limit) || !fits(c.ck2, c.ck2_limit)) continue;
        for (const k of [c.ck1, c.ck2]) if (k !== null) used.set(k, (used.get(k) ?? 0) + 1);
        picked.push(c);
      }
      if (picked.length === 0) return [] as Job[];
      const ids = picked.map((p) => p.id);
      const claimed = await tx<{ id: string; generation: number }[]>`
        update inngest_local.jobs set lease_token = ${token} || '/' || id::text, lease_until = ${real + this.opts.leaseMs},
          generation = generation + 1
        where id = any(${ids}::bigint[]) and (lease_token is null or lease_until < ${real})
        returning id::text as id, generation`;
      const generations = new Map(claimed.map((c) => [c.id, c.generation]));
      return picked.filter((p) => generations.has(p.id)).map((p) => ({
        id: p.id,
        run_id: p.run_id,
        kind: p.kind,
        step_id: p.step_id,
        attempt: p.attempt,
        lease_token: `${token}/${p.id}`,
        generation: generations.get(p.id)!,
      }));
    });
  }

  /** Deletes the job if we still hold its lease; false means the result must be discarded. */
  private async takeJob(tx: Tx, job: Job): Promise<boolean> {
    const rows = await tx`delete from inngest_local.jobs where id = ${job.id} and lease_token = ${job.lease_token} returning id`;
    return rows.length === 1;
  }

  // ---------------------------------------------------------------- executing jobs

  private async execute(job: Job): Promise<void> {
    if (job.kind === "sleep") {
      await this.memoizeAndDiscover(job, job.step_id!, null);
      return;
    }
    if (job.kind === "wait_timeout") {
      await this.sql.begin(async (tx) => {
        if (!(await this.takeJob(tx, job))) return;
        const w = await tx`delete from inngest_local.waits where run_id = ${job.run_id} and step_id = ${job.step_id} returning run_id`;
        if (w.length === 0) return; // the event won the race
        await this.memoize(tx, job.run_id, job.step_id!, null);
        await this.enqueueDiscovery(tx, job.run_id);
      });
      return;
    }
    await this.executeCall(job);
  }

  private async executeCall(job: Job): Promise<void> {
    // The run and its memo in completion order (the stack): read with the claim when that was
    // safe, otherwise now, in one round trip.
    const run =
      job.run ??
      (
        await this.sql<RunSnapshot[]>`
          select r.fn_id, r.event, r.status, r.die,
            coalesce((select json_agg(json_build_array(m.step_id, m.value) order by m.seq)
                      from inngest_local.memo m where m.run_id = r.id), '[]'::json) as memo
          from inngest_local.runs r where r.id = ${job.run_id}`
      )[0];
    if (!run || run.status !== "running") {
      await this.sql`delete from inngest_local.jobs where id = ${job.id} and lease_token = ${job.lease_token}`;
      return;
    }
    const fn = this.fns.get(run.fn_id);
    if (!fn) {
      await this.failRun(job, run.fn_id, run.event, {
        name: "Error",
        message: `function "${run.fn_id}" is no longer served by any synced app`,
      });
      return;
    }
    const memo = run.memo.map(([step_id, value]) => ({ step_id, value }));
    const steps: Record<string, unknown> = {};
    for (const m of memo) steps[m.step_id] = m.value;
    const max = maxAttempts(fn.config);
    const body: CallBody = {
      event: run.event,
      events: [run.event],
      steps,
      ctx: {
        run_id: job.run_id,
        attempt: job.attempt,
        max_attempts: max,
        disable_immediate_execution: run.die,
        use_api: false,
        stack: { stack: memo.map((m) => m.step_id), current: memo.length },
      },
      version: 2,
    };
    if (this.opts.checkpointing !== false) {
      // The SDK itself declines to checkpoint a planned step, a retry or a run that plans in
      // parallel (docs/inngest-protocol.md#when-the-sdk-checkpoints), so these may always be sent.
      body.ctx.fn_id = run.fn_id;
      body.ctx.qi_id = job.id;
    }
    const url = new URL(callUrl(fn.config));
    url.searchParams.set("fnId", run.fn_id);
    url.searchParams.set("stepId", job.step_id ?? "step");

    let status = 0;
    let headers: Record<string, string> = {};
    let text = "";
    let networkError: string | undefined;
    try {
      const signed = signedBody(this.opts.signingKey, body);
      const res = await postJson(
        url,
        {
          "content-type": "application/json",
          "x-inngest-server-kind": "cloud",
          "x-inngest-signature": signed.signature,
          "x-inngest-generation-id": String(job.generation),
        },
        signed.body,
        this.opts.callTimeoutMs ?? 15 * 60_000,
      );
      ({ status, headers, text } = res);
    } catch (err) {
      networkError = (err as Error).message;
    }
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    this.opts.tap?.({ url: url.toString(), request: body, status, headers, body: parsed });

    const ctx: CallContext = { job, fnId: run.fn_id, event: run.event, fn, max, retryAfter: headers["retry-after"] };
    if (networkError !== undefined) {
      await this.retryOrFail(ctx, { name: "Error", message: `call to ${url.origin} failed: ${networkError}` });
      return;
    }
    if (status === 200) {
      await this.completeRun(job, parsed);
      return;
    }
    if (status === 206) {
      const ops = opsBody.safeParse(parsed);
      if (!ops.success) {
        await this.failRun(job, run.fn_id, run.event, {
          name: "Error",
          message: `the SDK replied 206 with a body that is not an op list: ${ops.error.message}`,
        });
        return;
      }
      await this.applyOps(ctx, ops.data);
      return;
    }
    const err = errorOf(parsed, status);
    if (status === 500 && /was not found in this app/.test(err.message)) {
      // The app changed under us: resync once, then retry as usual.
      await this.sync(fn.appUrl).catch((e) => this.log(`resync of ${fn.appUrl} failed: ${(e as Error).message}`));
    }
    if (err.name === "StaleDispatchError") {
      // A checkpoint of this call was refused: the job was re-claimed or the run ended meanwhile,
      // so the reply is normally discarded. Should we still hold the lease, call again from the memo.
      await this.sql.begin(async (tx) => {
        if (!(await this.takeJob(tx, job))) return;
        await this.insertCall(tx, job.run_id, job.step_id, job.attempt, this.now());
      });
      return;
    }
    if (status === 400 || headers["x-inngest-no-retry"] === "true") {
      await this.failRun(job, run.fn_id, run.event, err);
      return;
    }
    await this.retryOrFail(ctx, err);
  }

  private async retryOrFail(ctx: CallContext, error: SerializedError): Promise<void> {
    if (ctx.job.attempt + 1 >= ctx.max) {
      await this.failRun(ctx.job, ctx.fnId, ctx.event, error);
      return;
    }
    await this.sql.begin(async (tx) => {
      if (!(await this.takeJob(tx, ctx.job))) return;
      await this.insertCall(tx, ctx.job.run_id, ctx.job.step_id, ctx.job.attempt + 1, this.retryAt(ctx.job.attempt, ctx.retryAfter));
    });
  }

  private retryAt(attempt: number, retryAfter: string | undefined): number {
    const now = this.now();
    if (retryAfter) {
      const secs = Number(retryAfter);
      const at = Number.isFinite(secs) ? now + secs * 1000 : Date.parse(retryAfter);
      if (Number.isFinite(at)) return Math.min(now + DAY, Math.max(now + 1000, at));
    }
    const delay = this.opts.backoff
      ? this.opts.backoff(attempt)
      : BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]! + Math.floor(Math.random() * 30_000);
    return now + Math.min(DAY, Math.max(this.opts.backoff ? 0 : 1000, delay));
  }

  private async applyOps(ctx: CallContext, ops: Op[]): Promise<void> {
    const { job } = ctx;
    const unsupported = ops.find((o) => !KNOWN_OPS.has(o.op));
    if (unsupported) {
      await this.failRun(job, ctx.fnId, ctx.event, {
        name: "UnsupportedOpError",
        message: `the local Inngest executor does not support op "${unsupported.op}" (step "${unsupported.displayName ?? unsupported.name ?? unsupported.id}"); supported: ${SUPPORTED_OPS}`,
      });
      return;
    }
    const complete = ops.find((o) => o.op === "RunComplete");
    if (complete) {
      await this.completeRun(job, complete.data ?? null);
      return;
    }
    const now = this.now();
    for (const o of ops) {
      if (o.op === "Sleep" && sleepDueAt(o.name ?? "", now) === undefined) {
        await this.failRun(job, ctx.fnId, ctx.event, { name: "Error", message: `Sleep op "${o.displayName}" has an unreadable time: ${JSON.stringify(o.name)}` });
        return;
      }
    }
    const only = ops.length === 1 ? ops[0]! : undefined;
    if (only && (only.op === "StepRun" || only.op === "StepFailed")) {
      const value = only.op === "StepRun" ? { data: only.data ?? null } : { error: cleanError(only.error) };
      await this.memoizeAndDiscover(job, only.id, value, only.displayName);
      return;
    }
    const stepError = ops.find((o) => o.op === "StepError");
    await this.sql.begin(async (tx) => {
      if (!(await this.takeJob(tx, job))) return;
      const runId = job.run_id;
      if (ops.length > 1) await tx`update inngest_local.runs set die = true where id = ${runId} and not die`;
      let discover = false;
      for (const o of ops) {
        switch (o.op) {
          case "StepRun":
            await this.memoize(tx, runId, o.id, { data: o.data ?? null }, o.displayName);
            discover = true;
            break;
          case "StepFailed":
            await this.memoize(tx, runId, o.id, { error: cleanError(o.error) }, o.displayName);
            discover = true;
            break;
          case "StepNotFound":
            discover = true;
            break;
          // A step planned again after it finished: the call read the memo before that step's
          // result landed (parallel steps finishing together). Nothing to schedule, but the run
          // needs a call that sees the result, or it would wait for nothing.
          case "StepPlanned":
            if (await this.hasMemo(tx, runId, o.id)) discover = true;
            else await this.insertCall(tx, runId, o.id, 0, now);
            break;
          case "Sleep":
            if (await this.hasMemo(tx, runId, o.id)) discover = true;
            else
              await tx`insert into inngest_local.jobs (run_id, kind, step_id, due_at, created_at)
                values (${runId}, 'sleep', ${o.id}, ${sleepDueAt(o.name ?? "", now)!}, ${now})
                on conflict do nothing`;
            break;
          case "WaitForEvent": {
            if (await this.hasMemo(tx, runId, o.id)) {
              discover = true;
              break;
            }
            const given = o.opts?.timeout;
            const timeout = typeof given === "string" || typeof given === "number" ? String(given) : "";
            const expires = parseDuration(timeout) !== undefined ? now + parseDuration(timeout)! : Date.parse(timeout);
            const expiresAt = Number.isFinite(expires) ? expires : now + 365 * DAY;
            const expr = typeof o.opts?.if === "string" ? o.opts.if : null;
            const ins = await tx`insert into inngest_local.waits (run_id, step_id, event_name, expr, expires_at, created_at)
              values (${runId}, ${o.id}, ${o.name ?? ""}, ${expr}, ${expiresAt}, ${now})
              on conflict do nothing returning run_id`;
            if (ins.length === 1)
              await tx`insert into inngest_local.jobs (run_id, kind, step_id, due_at, created_at)
                values (${runId}, 'wait_timeout', ${o.id}, ${expiresAt}, ${now}) on conflict do nothing`;
            break;
          }
          case "StepError":
            break;
        }
      }
      if (stepError) {
        // Each step counts its own attempts; the retry targets the step directly.
        const attempt = job.step_id === stepError.id ? job.attempt : 0;
        if (attempt + 1 >= ctx.max) {
          // The SDK should have said StepFailed; be safe and memoize the failure.
          await this.memoize(tx, runId, stepError.id, { error: cleanError(stepError.error) }, stepError.displayName);
          discover = true;
        } else {
          await this.insertCall(tx, runId, stepError.id, attempt + 1, this.retryAt(attempt, ctx.retryAfter));
        }
      }
      if (discover) await this.enqueueDiscovery(tx, runId);
    });
  }

  /**
   * The hot path (a step finished, a sleep ended) as one statement: take the job by its lease,
   * memoize, queue the next discovery. Atomic like a transaction, in one round trip.
   */
  private async memoizeAndDiscover(job: Job, stepId: string, value: unknown, name?: string): Promise<void> {
    const now = this.now();
    await this.sql`
      with j as (
        delete from inngest_local.jobs where id = ${job.id} and lease_token = ${job.lease_token} returning run_id
      ), m as (
        insert into inngest_local.memo (run_id, step_id, value, name)
        select run_id, ${stepId}, ${JSON.stringify(value)}::jsonb, ${name ?? null} from j
        on conflict do nothing
      )
      insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
      select r.id, 'call', null, 0, ${now},
        r.concurrency->0->>'key', (r.concurrency->0->>'limit')::int, r.concurrency->1->>'key', (r.concurrency->1->>'limit')::int, ${now}
      from inngest_local.runs r join j on j.run_id = r.id
      where r.status = 'running' and not exists (
        select 1 from inngest_local.jobs x
        where x.run_id = r.id and x.kind = 'call' and x.step_id is null and x.lease_token is null)`;
  }

  private async hasMemo(tx: Tx, runId: string, stepId: string): Promise<boolean> {
    const r = await tx`select 1 from inngest_local.memo where run_id = ${runId} and step_id = ${stepId}`;
    return r.length > 0;
  }

  private async memoize(tx: Tx, runId: string, stepId: string, value: unknown, name?: string): Promise<void> {
    await tx`insert into inngest_local.memo (run_id, step_id, value, name)
      values (${runId}, ${stepId}, ${JSON.stringify(value)}::jsonb, ${name ?? null}) on conflict do nothing`;
  }

  /** The job carries the run's concurrency keys so claiming needs no join. */
  private async insertCall(tx: Tx, runId: string, stepId: string | null, attempt: number, dueAt: number): Promise<void> {
    await tx`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
      select r.id, 'call', ${stepId}, ${attempt}, ${dueAt},
        r.concurrency->0->>'key', (r.concurrency->0->>'limit')::int, r.concurrency->1->>'key', (r.concurrency->1->>'limit')::int, ${this.now()}
      from inngest_local.runs r where r.id = ${runId}
      on conflict do nothing`;
  }

  /**
   * One queued discovery per run is enough: once a run plans in parallel (die), a duplicate only
   * re-plans, and before that a run has exactly one job at a time.
   */
  private async enqueueDiscovery(tx: Tx, runId: string): Promise<void> {
    await tx`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
      select r.id, 'call', null, 0, ${this.now()},
        r.concurrency->0->>'key', (r.concurrency->0->>'limit')::int, r.concurrency->1->>'key', (r.concurrency->1->>'limit')::int, ${this.now()}
      from inngest_local.runs r where r.id = ${runId}
        and not exists (select 1 from inngest_local.jobs j
                        where j.run_id = ${runId} and j.kind = 'call' and j.step_id is null and j.lease_token is null)`;
  }

  /** takeJob + finishRun as one statement: it ends every run, so it is on the hot path. */
  private async completeRun(job: Job, output: unknown): Promise<void> {
    await this.sql`
      with j as (
        delete from inngest_local.jobs where id = ${job.id} and lease_token = ${job.lease_token} returning run_id
      ), r as (
        update inngest_local.runs set status = 'completed', ended_at = ${this.now()},
          output = ${JSON.stringify(output ?? null)}::jsonb, error = 'null'::jsonb
        where id in (select run_id from j) and status = 'running' returning id
      ), dj as (
        delete from inngest_local.jobs where run_id in (select id from r) and id <> ${job.id}
      ), dw as (
        delete from inngest_local.waits where run_id in (select id from r)
      ), dc as (
        delete from inngest_local.cancels where run_id in (select id from r)
      )
      select count(*)::int as n from r`;
  }

  private async failRun(job: Job, fnId: string, event: RunEvent, error: SerializedError): Promise<void> {
    await this.sql.begin(async (tx) => {
      if (!(await this.takeJob(tx, job))) return;
      const changed = await this.finishRun(tx, job.run_id, "failed", { error });
      if (!changed) return;
      this.log(`run ${job.run_id} of ${fnId} failed: ${error.name ?? "Error"}: ${error.message}`);
      await this.ingestInTx(tx, [
        {
          name: "inngest/function.failed",
          data: { function_id: fnId, run_id: job.run_id, error: cleanError(error), event },
        },
      ]);
    });
  }

  private async finishRun(
    tx: Tx,
    runId: string,
    status: "completed" | "failed" | "cancelled",
    result: { output?: unknown; error?: unknown },
  ): Promise<boolean> {
    const r = await tx`update inngest_local.runs set status = ${status}, ended_at = ${this.now()},
        output = ${JSON.stringify(result.output ?? null)}::jsonb, error = ${JSON.stringify(result.error ?? null)}::jsonb
      where id = ${runId} and status = 'running' returning id`;
    if (r.length === 0) return false;
    await tx`delete from inngest_local.jobs where run_id = ${runId}`;
    await tx`delete from inngest_local.waits where run_id = ${runId}`;
    await tx`delete from inngest_local.cancels where run_id = ${runId}`;
    return true;
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * `POST /v1/checkpoint/{runId}/async` (docs/inngest-protocol.md#the-checkpoint-endpoint): steps
   * the SDK ran inside a call that is still in flight. Each is persisted as if it had come back in
   * a 206, before the SDK is told to go on, so a crash after this point never repeats them.
   * Accepted only while the call's job is still leased at the generation the call was sent with:
   * 409 otherwise, which the SDK turns into a StaleDispatchError that stops the function — a
   * re-claimed job, a cancelled or finished run, or a call whose executor died and was replaced.
   * Idempotent by step id, since the SDK retries.
   */
  async checkpoint(runId: string, body: CheckpointBody): Promise<{ status: 200 | 400 | 409; error?: string }> {
    const result = await this.applyCheckpoint(runId, body);
    this.opts.checkpointTap?.({ runId, body, status: result.status });
    return result;
  }

  private async applyCheckpoint(runId: string, body: CheckpointBody): Promise<{ status: 200 | 400 | 409; error?: string }> {
    if (body.run_id !== runId) return { status: 400, error: `run_id ${body.run_id} does not match the path's ${runId}` };
    // Anything else would need the executor's handling of a 206; refusing makes the SDK fall back
    // to returning these ops in its reply, where they are handled or failed loudly
    // (docs/inngest-protocol.md#the-checkpoint-endpoint).
    const other = body.steps.find((o) => o.op !== "StepRun" && o.op !== "StepFailed" && o.op !== "RunComplete");
    if (other) return { status: 400, error: `op ${other.op} cannot be checkpointed here; return it in the call's reply` };
    if (!/^\d{1,18}$/.test(body.qi_id)) return { status: 409, error: "unknown queue item" };
    const generation = body.generation_id ?? -1;
    const rows = body.steps
      .filter((o) => o.op !== "RunComplete")
      .map((o) => ({
        step_id: o.id,
        value: o.op === "StepRun" ? { data: o.data ?? null } : { error: cleanError(o.error) },
        name: o.displayName ?? null,
      }));
    const complete = body.steps.find((o) => o.op === "RunComplete");
    if (!complete) {
      const ok = await this.memoizeCheckpoint({ qi: body.qi_id, run_id: runId, gen: generation, steps: rows });
      return ok ? { status: 200 } : { status: 409, error: "stale dispatch: the call's lease is gone" };
    }
    return this.sql.begin(async (tx) => {
      const j = await tx`select 1 from inngest_local.jobs
        where id = ${body.qi_id}::bigint and run_id = ${runId} and generation = ${generation} and lease_token is not null
        for update`;
      if (j.length === 0) return { status: 409 as const, error: "stale dispatch: the call's lease is gone" };
      for (const r of rows) await this.memoize(tx, runId, r.step_id, r.value, r.name ?? undefined);
      // Also deletes the in-flight job, so the call's own reply, when it comes, is discarded.
      await this.finishRun(tx, runId, "completed", { output: complete.data ?? null });
      return { status: 200 as const };
    });
  }

  /**
   * The hot path of checkpointing: check the call's lease and memoize its steps. Checkpoints of
   * concurrent calls are written together (group commit): while one statement is in flight, the
   * next ones queue and go as one statement when it returns, so the statements per step fall
   * as load rises. That statement never waits for a row lock (another transaction deleting or
   * renewing one of its jobs): it fails at once, and its checkpoints are then written one by one
   * beside the queue, as when it fails for any other reason. So one bad value cannot fail the
   * others, a locked job holds up only its own checkpoint, and a group holding some jobs cannot
   * deadlock with a transaction holding others.
   */
  private memoizeCheckpoint(item: CheckpointWrite): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.checkpointQueue.push({ item, resolve, reject });
      if (!this.checkpointFlushing) void this.flushCheckpoints();
    });
  }

  private async flushCheckpoints(): Promise<void> {
    this.checkpointFlushing = true;
    try {
      while (this.checkpointQueue.length > 0) {
        const batch = this.checkpointQueue.splice(0, 100);
        const accepted = await this.writeCheckpoints(
          batch.map((b) => b.item),
          false,
        ).catch(() => undefined);
        if (accepted) {
          batch.forEach((b, k) => b.resolve(accepted.has(k)));
          continue;
        }
        // Each on its own, waiting for locks as long as it must, without holding up the queue.
        for (const b of batch)
          void this.writeCheckpoints([b.item], true).then(
            (one) => b.resolve(one.has(0)),
            (err: unknown) => b.reject(err),
          );
      }
    } finally {
      this.checkpointFlushing = false;
    }
  }

  /**
   * One statement: the positions of `items` whose call still holds its lease at the generation
   * it was sent with, their steps memoized in order. FOR SHARE makes a concurrent re-claim skip
   * the job until this write has committed (or makes this one see the new generation and refuse).
   */
  private async writeCheckpoints(items: CheckpointWrite[], waitForLocks: boolean): Promise<Set<number>> {
    const input = JSON.stringify(items.map((it, k) => ({ k, ...it })));
    const lock = waitForLocks ? this.sql`for share of jb` : this.sql`for share of jb nowait`;
    const rows = await this.sql<{ k: number }[]>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as x(k int, qi bigint, run_id text, gen int, steps jsonb)
      ), j as (
        select i.k, jb.run_id from input i
        join inngest_local.jobs jb on jb.id = i.qi and jb.run_id = i.run_id and jb.generation = i.gen and jb.lease_token is not null
        ${lock}
      ), m as (
        insert into inngest_local.memo (run_id, step_id, value, name)
        select j.run_id, s.v->>'step_id', s.v->'value', s.v->>'name'
        from j join input i on i.k = j.k, jsonb_array_elements(i.steps) with ordinality as s(v, ord)
        order by j.k, s.ord
        on conflict do nothing
      )
      select k from j`;
    return new Set(rows.map((r) => r.k));
  }

  // ---------------------------------------------------------------- ingest

  /** Persists events and everything they cause, in one transaction; returns ids in order. */
  async ingest(events: IncomingEvent[]): Promise<string[]> {
    this.busyIngests++;
    try {
      const ids = await this.sql.begin((tx) => this.ingestInTx(tx, events));
      this.wake();
      return ids;
    } finally {
      this.busyIngests--;
    }
  }

  /**
   * Batched: one insert for the events, one read each for the waits and cancellations they could
   * touch, and one insert each for the runs, cancellations and first calls they start — a send of
   * 500 events is a handful of statements, not thousands. Per event, in order: dedupe by id,
   * resume waits, cancel runs (including runs started by earlier events of the batch), start runs.
   */
  private async ingestInTx(tx: Tx, events: IncomingEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const now = this.now();
    const ids: string[] = [];
    const stored: RunEvent[] = [];
    const rows = events.map((e) => {
      const internalId = ulid(now);
      const event: RunEvent = {
        id: e.id ?? internalId,
        name: e.name,
        data: e.data ?? {},
        ts: e.ts && e.ts > 0 ? e.ts : now,
      };
      if (e.v) event.v = e.v;
      ids.push(internalId);
      stored.push(event);
      return { internal_id: internalId, id: e.id ?? null, name: event.name, data: event.data, ts: event.ts, received_at: now };
    });
    await tx`insert into inngest_local.events (internal_id, id, name, data, ts, received_at)
      select internal_id, id, name, data, ts, received_at from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(internal_id text, id text, name text, data jsonb, ts bigint, received_at bigint)`;

    const names = [...new Set(stored.map((e) => e.name))];
    const waits = await tx<{ run_id: string; step_id: string; event_name: string; expr: string | null; run_event: RunEvent }[]>`
      select w.run_id, w.step_id, w.event_name, w.expr, r.event as run_event
      from inngest_local.waits w join inngest_local.runs r on r.id = w.run_id
      where w.event_name = any(${names}::text[]) and w.expires_at > ${now} and w.created_at <= ${now}`;
    const cancels = await tx<{ run_id: string; event_name: string; expr: string | null; run_event: RunEvent }[]>`
      select c.run_id, c.event_name, c.expr, r.event as run_event
      from inngest_local.cancels c join inngest_local.runs r on r.id = c.run_id
      where c.event_name = any(${names}::text[]) and c.expires_at > ${now} and r.status = 'running'`;
    const resumed = new Set<string>();
    const cancelled = new Set<string>();
    const pending: PendingRun[] = [];
    const flush = async () => {
      if (pending.length > 0) await this.insertRuns(tx, pending.splice(0), now);
    };

    // Event-id de-duplication for the whole batch in one statement (seen within 24 h: skipped).
    const fresh = await this.claimKeys(
      tx,
      stored.flatMap((e, i) => (events[i]!.id ? [`e:${e.id}`] : [])),
      now,
    );
    for (const [i, event] of stored.entries()) {
      if (events[i]!.id && !fresh.has(`e:${event.id}`)) continue;
      // A repeated id later in the same batch is a duplicate of the first.
      if (events[i]!.id) fresh.delete(`e:${event.id}`);
      for (const w of waits) {
        const key = `${w.run_id}\u0000${w.step_id}`;
        if (w.event_name !== event.name || resumed.has(key)) continue;
        if (!matches(w.expr, { event: w.run_event, async: event })) continue;
        resumed.add(key);
        const d = await tx`delete from inngest_local.waits where run_id = ${w.run_id} and step_id = ${w.step_id} returning run_id`;
        if (d.length === 0) continue;
        await tx`delete from inngest_local.jobs where run_id = ${w.run_id} and step_id = ${w.step_id} and kind = 'wait_timeout'`;
        await this.memoize(tx, w.run_id, w.step_id, event);
        await this.enqueueDiscovery(tx, w.run_id);
      }
      for (const c of cancels) {
        if (c.event_name !== event.name || cancelled.has(c.run_id)) continue;
        if (!matches(c.expr, { event: c.run_event, async: event })) continue;
        cancelled.add(c.run_id);
        if (pending.some((p) => p.id === c.run_id)) await flush();
        await this.finishRun(tx, c.run_id, "cancelled", { error: { name: "Cancelled", message: `cancelled by ${event.name} ${event.id}` } });
      }
      for (const fn of this.fns.values()) {
        const hit = fn.config.triggers.some(
          (t) => "event" in t && nameMatches(t.event, event.name) && matches(t.expression, { event }),
        );
        if (!hit) continue;
        const run = await this.prepareRun(tx, fn, event, now);
        if (!run) continue;
        pending.push(run);
        // Only events received after a run starts can cancel it: later events of this batch can.
        for (const c of run.cancels) cancels.push({ run_id: run.id, event_name: c.event_name, expr: c.expr, run_event: event });
      }
    }
    await flush();
    return ids;
  }

  /** The keys of `keys` that were free (or expired) and are now held for 24 h, in one statement. */
  private async claimKeys(tx: Tx, keys: string[], now: number): Promise<Set<string>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Set();
    const r = await tx<{ key: string }[]>`insert into inngest_local.dedupe (key, expires_at)
      select k, ${now + DAY} from unnest(${unique}::text[]) as k
      on conflict (key) do update set expires_at = excluded.expires_at where inngest_local.dedupe.expires_at <= ${now}
      returning key`;
    return new Set(r.map((x) => x.key));
  }

  /** True if the key was free (or expired) and is now held for 24 h. */
  private async claimKey(tx: Tx, key: string, now: number): Promise<boolean> {
    const r = await tx`insert into inngest_local.dedupe (key, expires_at) values (${key}, ${now + DAY})
      on conflict (key) do update set expires_at = excluded.expires_at where inngest_local.dedupe.expires_at <= ${now}
      returning key`;
    return r.length === 1;
  }

  private async createRun(tx: Tx, fn: Fn, event: RunEvent, now: number): Promise<string | undefined> {
    const run = await this.prepareRun(tx, fn, event, now);
    if (run) await this.insertRuns(tx, [run], now);
    return run?.id;
  }

  /** Idempotency and throttle (which need their own rows now); the run itself is inserted later. */
  private async prepareRun(tx: Tx, fn: Fn, event: RunEvent, now: number): Promise<PendingRun | undefined> {
    const f = fn.config;
    if (f.idempotency !== undefined && !(await this.claimKey(tx, `f:${f.id}:${keyOf(f.idempotency, { event })}`, now)))
      return undefined;
    const concurrency: ConcurrencyKey[] = concurrencyRules(f).map((c, i) => {
      const value = c.key ? keyOf(c.key, { event }) : "";
      return {
        key: c.scope === "env" ? `env:${c.key ?? ""}:${value}` : `fn:${f.id}:${i}:${value}`,
        limit: c.limit,
      };
    });
    let dueAt = now;
    if (f.throttle) {
      const period = parseDuration(f.throttle.period)!;
      const interval = period / f.throttle.limit;
      const tolerance = interval * (f.throttle.limit + (f.throttle.burst ?? 0) - 1);
      const key = `${f.id}:${f.throttle.key ? keyOf(f.throttle.key, { event }) : ""}`;
      const r = await tx<{ tat: string }[]>`select tat from inngest_local.throttle where key = ${key} for update`;
      const tat = Math.max(r[0] ? Number(r[0].tat) : now, now);
      dueAt = Math.max(now, Math.ceil(tat - tolerance));
      const next = Math.max(tat, dueAt) + interval;
      await tx`insert into inngest_local.throttle (key, tat) values (${key}, ${Math.ceil(next)})
        on conflict (key) do update set tat = excluded.tat`;
    }
    const cancels = (f.cancel ?? []).map((c, idx) => {
      const t = c.timeout;
      const expires = t === undefined ? now + 365 * DAY : parseDuration(t) !== undefined ? now + parseDuration(t)! : Date.parse(t);
      return { idx, event_name: c.event, expr: c.if ?? null, expires_at: expires };
    });
    return { id: ulid(now), fn_id: f.id, event, concurrency, due_at: dueAt, cancels };
  }

  private async insertRuns(tx: Tx, runs: PendingRun[], now: number): Promise<void> {
    const runRows = runs.map((r) => ({ id: r.id, fn_id: r.fn_id, event: r.event, concurrency: r.concurrency, due_at: r.due_at }));
    await tx`insert into inngest_local.runs (id, fn_id, event, status, concurrency, created_at)
      select id, fn_id, event, 'running', concurrency, ${now}
      from jsonb_to_recordset(${JSON.stringify(runRows)}::jsonb) as x(id text, fn_id text, event jsonb, concurrency jsonb, due_at bigint)`;
    const cancelRows = runs.flatMap((r) => r.cancels.map((c) => ({ run_id: r.id, ...c })));
    if (cancelRows.length > 0)
      await tx`insert into inngest_local.cancels (run_id, idx, event_name, expr, expires_at)
        select run_id, idx, event_name, expr, expires_at
        from jsonb_to_recordset(${JSON.stringify(cancelRows)}::jsonb) as x(run_id text, idx int, event_name text, expr text, expires_at bigint)`;
    await tx`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
      select x.id, 'call', null, 0, x.due_at,
        x.concurrency->0->>'key', (x.concurrency->0->>'limit')::int, x.concurrency->1->>'key', (x.concurrency->1->>'limit')::int, ${now}
      from jsonb_to_recordset(${JSON.stringify(runRows)}::jsonb) as x(id text, concurrency jsonb, due_at bigint)`;
  }

  // ---------------------------------------------------------------- cron

  private async fireCrons(): Promise<void> {
    const now = this.now();
    // Known next fire time, re-read every few seconds in case another executor synced.
    if (now < this.nextCronAt && Date.now() - this.lastCronCheck < 5000) return;
    this.lastCronCheck = Date.now();
    const fired = await this.sql.begin(async (tx) => {
      const due = await tx<{ fn_id: string; cron: string; next_at: string }[]>`
        select fn_id, cron, next_at from inngest_local.crons where next_at <= ${now} for update skip locked`;
      for (const d of due) {
        const fn = this.fns.get(d.fn_id);
        if (!fn) continue;
        const at = Number(d.next_at);
        // A missed window fires once, then the schedule resumes from now.
        await tx`update inngest_local.crons set next_at = ${nextCronTime(parseCron(d.cron), Math.max(at, now))}
          where fn_id = ${d.fn_id} and cron = ${d.cron}`;
        if (!(await this.claimKey(tx, `c:${d.fn_id}:${d.cron}:${at}`, now))) continue;
        await this.createRun(tx, fn, { id: ulid(at), name: "inngest/scheduled.timer", data: { cron: d.cron }, ts: at }, now);
      }
      const [next] = await tx<{ at: string | null }[]>`select min(next_at) as at from inngest_local.crons`;
      this.nextCronAt = next?.at == null ? Infinity : Number(next.at);
      return due.length;
    });
    if (fired > 0) this.wakePending = true;
  }

  // ---------------------------------------------------------------- sync

  /** In-band sync (docs/inngest-protocol.md#sync): PUT the app, store its function configs. */
  async sync(serveUrl: string): Promise<{ appId: string; functions: string[] }> {
    let res: Response;
    const signed = signedBody(this.opts.signingKey, { url: serveUrl });
    try {
      res = await fetch(serveUrl, {
        method: "PUT",
        headers: {
          "content-type": "application/json",
          "x-inngest-sync-kind": "in_band",
          "x-inngest-server-kind": "cloud",
          "x-inngest-signature": signed.signature,
        },
        body: signed.body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new Error(`cannot reach the app at ${serveUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`sync of ${serveUrl} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    if (res.headers.get("x-inngest-sync-kind") !== "in_band")
      throw new Error(`the app at ${serveUrl} did not sync in-band (INNGEST_ALLOW_IN_BAND_SYNC=0?); it registers through /fn/register instead`);
    const reply = syncReply.parse(JSON.parse(text));
    return this.register(serveUrl, reply.app_id ?? reply.appName ?? "app", reply.functions);
  }

  /** Stores an app's functions (in-band reply or out-of-band /fn/register). Throws on anything unsupported. */
  async register(appUrl: string, appId: string, rawFunctions: unknown): Promise<{ appId: string; functions: string[] }> {
    const configs = parseFunctionConfigs(rawFunctions);
    const now = this.now();
    await this.sql.begin(async (tx) => {
      const ids = configs.map((c) => c.id);
      await tx`delete from inngest_local.functions where app_url = ${appUrl} and not (id = any(${ids}::text[]))`;
      await tx`delete from inngest_local.crons where fn_id in (select id from inngest_local.functions where app_url = ${appUrl})
        and not (fn_id = any(${ids}::text[]))`;
      for (const c of configs) {
        await tx`insert into inngest_local.functions (id, app_url, config, updated_at)
          values (${c.id}, ${appUrl}, ${JSON.stringify(c)}::jsonb, ${now})
          on conflict (id) do update set app_url = excluded.app_url, config = excluded.config, updated_at = excluded.updated_at`;
        const crons = c.triggers.flatMap((t) => ("cron" in t ? [t.cron] : []));
        await tx`delete from inngest_local.crons where fn_id = ${c.id} and not (cron = any(${crons}::text[]))`;
        for (const cron of crons)
          await tx`insert into inngest_local.crons (fn_id, cron, next_at)
            values (${c.id}, ${cron}, ${nextCronTime(parseCron(cron), now)}) on conflict do nothing`;
      }
    });
    for (const [id, f] of this.fns) if (f.appUrl === appUrl) this.fns.delete(id);
    for (const c of configs) this.fns.set(c.id, toFn(c, appUrl));
    this.nextCronAt = 0;
    this.synced.set(appId, { functions: configs.length, syncedAt: new Date().toISOString() });
    this.wake();
    return { appId, functions: configs.map((c) => c.id) };
  }

  /** What this process has synced, for GET /health: app ids, function counts and when (wall clock); no URLs. */
  syncedApps(): { id: string; functions: number; syncedAt: string }[] {
    return [...this.synced].map(([id, s]) => ({ id, ...s }));
  }

  // ---------------------------------------------------------------- clock

  /** Virtual clock only: persist the offset so a restarted executor does not travel back. */
  async saveClockOffset(offsetMs: number): Promise<void> {
    await this.sql`update inngest_local.meta set value = ${JSON.stringify(offsetMs)}::jsonb where key = 'clock_offset'`;
    this.wake();
  }

  async loadClockOffset(): Promise<number> {
    const r = await this.sql<{ value: number }[]>`select value from inngest_local.meta where key = 'clock_offset'`;
    return typeof r[0]?.value === "number" ? r[0].value : 0;
  }

  // ---------------------------------------------------------------- housekeeping

  /** Drops finished work older than `keepMs` so queue tables stay small. */
  async prune(keepMs: number): Promise<void> {
    const cutoff = this.now() - keepMs;
    const deleted = [
      await this.sql`delete from inngest_local.dedupe where expires_at <= ${this.now()}`,
      await this.sql`delete from inngest_local.events where received_at < ${cutoff}`,
      await this.sql`delete from inngest_local.memo where run_id in
        (select id from inngest_local.runs where status <> 'running' and ended_at < ${cutoff})`,
      await this.sql`delete from inngest_local.runs where status <> 'running' and ended_at < ${cutoff}`,
    ].reduce((n, r) => n + r.count, 0);
    if (deleted > 0) await this.vacuum(["dedupe", "events", "memo", "runs", "jobs"]);
  }

  /**
   * Every job row is inserted and deleted within seconds and pruning deletes in bulk: without
   * VACUUM the dead rows stay, tables and indexes grow and claims slow down. Autovacuum may be
   * off (it is on CI's server) or, at its defaults, too late for a queue, so the executor vacuums
   * its own tables: the job queue every few thousand jobs, the rest after each prune. Plain
   * VACUUM blocks no reads or writes; SKIP_LOCKED leaves a table another executor is vacuuming.
   */
  private vacuum(tables: string[]): Promise<void> {
    const run = this.vacuumed.then(async () => {
      if (this.stopped) return;
      this.vacuuming = true;
      try {
        await this.sql.unsafe(`vacuum (analyze, skip_locked) ${tables.map((t) => `inngest_local.${t}`).join(", ")}`);
      } catch (err) {
        if (!this.vacuumFailed) this.log(`vacuum of ${tables.join(", ")} failed: ${(err as Error).message}`);
        this.vacuumFailed = true;
      } finally {
        this.vacuuming = false;
      }
    });
    this.vacuumed = run;
    return run;
  }

  functions(): FunctionConfig[] {
    return [...this.fns.values()].map((f) => f.config);
  }

  inflightCount(): number {
    return this.inflight.size;
  }
}

const KNOWN_OPS = new Set(["StepRun", "StepPlanned", "StepError", "StepFailed", "Sleep", "WaitForEvent", "RunComplete", "StepNotFound"]);

type SerializedError = { name?: string; message: string; stack?: string };

type CallContext = { job: Job; fnId: string; event: RunEvent; fn: Fn; max: number; retryAfter: string | undefined };

function toFn(config: FunctionConfig, appUrl: string): Fn {
  return { config, appUrl, cron: config.triggers.flatMap((t) => ("cron" in t ? [parseCron(t.cron)] : [])) };
}

/** Inngest allows a trailing wildcard in trigger names ("contact/*"). */
function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function cleanError(e: unknown): SerializedError {
  const p = serializedError.safeParse(e);
  if (!p.success) return { name: "Error", message: typeof e === "string" ? e : JSON.stringify(e) };
  const out: SerializedError = { name: p.data.name ?? "Error", message: p.data.message ?? "" };
  if (p.data.stack) out.stack = p.data.stack;
  return out;
}

function errorOf(body: unknown, status: number): SerializedError {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === "string") return cleanError(body);
    if (typeof b.error === "string") return { name: "Error", message: b.error };
  }
  return { name: "Error", message: `the app replied HTTP ${status}: ${String(typeof body === "string" ? body : JSON.stringify(body)).slice(0, 500)}` };
}
