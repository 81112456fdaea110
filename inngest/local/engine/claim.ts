import { randomUUID } from "node:crypto";
import { concurrencyRules } from "../config";
import type { EngineContext, Job } from "./context";
import * as q from "./statements";

/**
 * Claiming: a job is claimed by writing a lease (token + real-time expiry) and committing
 * (docs/inngest-protocol.md#durability). Jobs without concurrency keys are claimed in one
 * statement; keyed ones are counted and claimed under one row lock (meta 'claim'), which makes
 * concurrency limits exact across several executors.
 */
export class Claimer {
  /** When (real time) keyed jobs were last probed for while no served function has concurrency rules. */
  private lastKeyedProbe = 0;

  constructor(private readonly ctx: EngineContext) {}

  async claim(max: number, now: number): Promise<Job[]> {
    const real = Date.now();
    const token = randomUUID();
    const leaseUntil = real + this.ctx.opts.leaseMs;
    // The statement also reads each call's run and memo where nothing can have changed them since
    // its snapshot: a job that was free (not retaken from a lapsed lease, whose call may still be
    // checkpointing) of a run that plans one step at a time (not die, so the job is the run's only
    // one). Any other call reads them after the claim has committed (execute.ts).
    const rows = await q.claimFree(this.ctx.sql, { now, real, max, token, leaseUntil });
    const free: Job[] = rows.map(({ fn_id, event, status, die, memo, ...job }) =>
      memo !== null && fn_id !== null ? { ...job, run: { fn_id, event, status, die, memo } } : job,
    );
    if (free.length >= max) return [...free];
    // Keyed jobs come from functions with concurrency rules; without any, probe only now and then
    // (another executor may serve functions this one has not loaded), sparing a query per cycle.
    const anyKeyed = [...this.ctx.fns.values()].some((f) => concurrencyRules(f.config).length > 0);
    if (!anyKeyed && real - this.lastKeyedProbe < 1000) return [...free];
    this.lastKeyedProbe = real;
    const keyed = await q.anyKeyedClaimable(this.ctx.sql, now, real);
    if (keyed.length === 0) return [...free];
    return [...free, ...(await this.claimKeyed(max - free.length, now, { real, token, leaseUntil }))];
  }

  /** Jobs under concurrency limits: counted and claimed under one lock, so limits hold across executors. */
  private async claimKeyed(max: number, now: number, lease: { real: number; token: string; leaseUntil: number }): Promise<Job[]> {
    return this.ctx.sql.begin(async (tx) => {
      await q.lockKeyedClaims(tx);
      const candidates = await q.keyedCandidates(tx, now, lease.real, Math.max(200, max * 4));
      if (candidates.length === 0) return [] as Job[];
      const keys = [...new Set(candidates.flatMap((c) => [c.ck1, c.ck2]).filter((k): k is string => k !== null))];
      const used = new Map<string, number>();
      if (keys.length > 0) for (const r of await q.keysInUse(tx, keys, lease.real)) used.set(r.k, r.n);
      const picked: q.KeyedCandidate[] = [];
      for (const c of candidates) {
        if (picked.length >= max) break;
        const fits = (k: string | null, limit: number | null) => k === null || (used.get(k) ?? 0) < (limit ?? Infinity);
        if (!fits(c.ck1, c.ck1_limit) || !fits(c.ck2, c.ck2_limit)) continue;
        for (const k of [c.ck1, c.ck2]) if (k !== null) used.set(k, (used.get(k) ?? 0) + 1);
        picked.push(c);
      }
      if (picked.length === 0) return [] as Job[];
      const claimed = await q.leaseJobs(
        tx,
        picked.map((p) => p.id),
        lease,
      );
      const generations = new Map(claimed.map((c) => [c.id, c.generation]));
      return picked.filter((p) => generations.has(p.id)).map((p) => ({
        id: p.id,
        run_id: p.run_id,
        kind: p.kind,
        step_id: p.step_id,
        attempt: p.attempt,
        lease_token: `${lease.token}/${p.id}`,
        generation: generations.get(p.id)!,
      }));
    });
  }
}
