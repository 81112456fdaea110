import type { EngineContext } from "./context";
import * as q from "./statements";

/** Jobs finished between two vacuums of the job queue (checked every 10 s). */
const JOBS_PER_VACUUM = 2000;

/**
 * Housekeeping: pruning finished work, and vacuuming. Every job row is inserted and deleted within
 * seconds and pruning deletes in bulk: without VACUUM the dead rows stay, tables and indexes grow
 * and claims slow down. Autovacuum may be off (it is on CI's server) or, at its defaults, too late
 * for a queue, so the executor vacuums its own tables: the job queue every few thousand jobs, the
 * rest after each prune. SKIP_LOCKED leaves a table another executor is vacuuming.
 */
export class Maintenance {
  /** Jobs finished since the queue table was last vacuumed. */
  private jobsFinished = 0;
  private vacuuming = false;
  /** Vacuums run one after another; this settles when the last one queued has. */
  private vacuumed: Promise<void> = Promise.resolve();
  private vacuumFailed = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: EngineContext) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.jobsFinished < JOBS_PER_VACUUM || this.vacuuming) return;
      this.jobsFinished = 0;
      void this.vacuum(["jobs"]);
    }, 10_000);
  }

  /** No vacuum starts after this. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Settles when the vacuums queued so far have. */
  settled(): Promise<void> {
    return this.vacuumed;
  }

  /** A claimed job is done: counts towards the next vacuum of the queue. */
  jobFinished(): void {
    this.jobsFinished++;
  }

  /** Drops finished work older than `keepMs` so queue tables stay small. */
  async prune(keepMs: number): Promise<void> {
    const cutoff = this.ctx.now() - keepMs;
    const { sql } = this.ctx;
    const deleted = [
      await q.pruneDedupe(sql, this.ctx.now()),
      await q.pruneEvents(sql, cutoff),
      await q.pruneMemo(sql, cutoff),
      await q.pruneRuns(sql, cutoff),
    ].reduce((n, r) => n + r.count, 0);
    if (deleted > 0) await this.vacuum(["dedupe", "events", "memo", "runs", "jobs"]);
  }

  private vacuum(tables: q.ExecutorTable[]): Promise<void> {
    const run = this.vacuumed.then(async () => {
      if (this.stopped) return;
      this.vacuuming = true;
      try {
        await q.vacuum(this.ctx.sql, tables);
      } catch (err) {
        if (!this.vacuumFailed) this.ctx.log(`vacuum of ${tables.join(", ")} failed: ${(err as Error).message}`);
        this.vacuumFailed = true;
      } finally {
        this.vacuuming = false;
      }
    });
    this.vacuumed = run;
    return run;
  }
}
