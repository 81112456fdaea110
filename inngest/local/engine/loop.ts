import type { EngineContext, Job } from "./context";
import * as q from "./statements";

/** What one claim cycle does, besides waiting: fire due crons, claim jobs, run a claimed job. */
export type LoopSteps = {
  /** Fires due crons; returns how many fired. */
  fireCrons(): Promise<number>;
  claim(max: number, now: number): Promise<Job[]>;
  execute(job: Job): Promise<void>;
  /** A claimed job is done, however it ended. */
  finished(): void;
};

/**
 * The claim loop and the leases of the jobs in flight: each cycle fires due crons, claims as
 * many jobs as there are free workers and runs them without waiting; then it sleeps until the
 * next job falls due, a finishing job or new work wakes it, or half a second passes.
 */
export class Loop {
  /** By lease token: a job whose lease lapsed during a call may be claimed again meanwhile. */
  private readonly inflight = new Map<string, Job>();
  private stopped = false;
  private wakeResolve: (() => void) | undefined;
  private wakePending = false;
  private done: Promise<void> | undefined;
  private cycle = 0;
  private busyIngests = 0;
  private idleWaiters: { after: number; resolve: () => void }[] = [];
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly steps: LoopSteps,
  ) {}

  start(): void {
    this.done = this.run();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.ctx.opts.leaseMs / 3)));
  }

  /** Stops claiming and renewing; settles when the current cycle has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    clearInterval(this.renewTimer);
    await this.done;
  }

  /** Waits up to 5 s for the calls in flight; their leases lapse if they cannot apply. */
  async drain(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  wake(): void {
    this.wakePending = true;
    this.wakeResolve?.();
  }

  /** Resolves once a cycle that started after this call found nothing due and nothing in flight. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push({ after: this.cycle, resolve });
      this.wake();
    });
  }

  /** Runs `work` (an ingest) counted as busy, so that no idle waiter is released while it stores. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.busyIngests++;
    try {
      return await work();
    } finally {
      this.busyIngests--;
    }
  }

  inflightCount(): number {
    return this.inflight.size;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const cycle = ++this.cycle;
      this.wakePending = false;
      let claimed: Job[] = [];
      let free = 0;
      let claimedAt = 0;
      try {
        if ((await this.steps.fireCrons()) > 0) this.wakePending = true;
        free = this.ctx.opts.workers - this.inflight.size;
        claimedAt = this.ctx.now();
        if (free > 0) claimed = await this.steps.claim(free, claimedAt);
      } catch (err) {
        if (this.stopped) break;
        this.ctx.log(`claim failed: ${(err as Error).message}`);
        await this.sleepUntilWoken(500);
        continue;
      }
      for (const job of claimed) {
        this.inflight.set(job.lease_token, job);
        void this.steps
          .execute(job)
          .catch((err) => this.ctx.log(`job ${job.id} (${job.kind}) of run ${job.run_id}: ${(err as Error).stack}`))
          .finally(() => {
            this.steps.finished();
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
          const next = await q.nextDueAfter(this.ctx.sql, claimedAt);
          if (next[0]?.due != null) wait = Math.min(wait, Math.max(0, Number(next[0].due) - this.ctx.now()));
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
      await q.renewLeases(this.ctx.sql, tokens, Date.now() + this.ctx.opts.leaseMs);
    } catch (err) {
      this.ctx.log(`lease renewal failed: ${(err as Error).message}`);
    }
  }
}
