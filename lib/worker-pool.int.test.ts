import { afterEach, describe, expect, it } from "vitest";
import type { PoolTestJob } from "../e2e/fixtures/pool-worker";
import { WorkerPool, type JobOutcome } from "./worker-pool";

/**
 * The pool under the render pool, with a worker that can be told to spin for ever: a job past its
 * budget is stopped by terminating its worker (a fresh one takes over), and the thread that asked
 * is never blocked meanwhile.
 */

let pool: WorkerPool<PoolTestJob, number> | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});
const start = (workers: number, maxBatch = 100) =>
  (pool = new WorkerPool<PoolTestJob, number>({ entry: "e2e/fixtures/pool-worker.ts", name: "pool-test-worker", workers, maxBatch, graceMs: 20 }));
const values = (outcomes: JobOutcome<number>[]) => outcomes.map((o) => (o.ok ? o.value : o.reason));

describe("WorkerPool", () => {
  it("answers every job of a batch in order, spread over its workers", async () => {
    const p = start(2, 30);
    const out = await p.run(Array.from({ length: 100 }, (_, i) => ({ job: { value: i }, budgetMs: 1_000 })));
    expect(values(out)).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(p.size).toBe(2);
  });

  it("stops a job that runs past its budget by replacing its worker, while this thread keeps running and the batch's other jobs finish", async () => {
    const p = start(1);
    // The pool is warm: the worker has started and answered.
    expect(values(await p.run([{ job: { value: 1 }, budgetMs: 1_000 }]))).toEqual([2]);
    const order: string[] = [];
    const ticks = setInterval(() => order.push("tick"), 5);
    const t0 = Date.now();
    const run = p.run([
      { job: { value: 1 }, budgetMs: 1_000 },
      { job: { value: 2, forever: true }, budgetMs: 300 },
      { job: { value: 3 }, budgetMs: 1_000 },
    ]);
    const out = await run;
    clearInterval(ticks);
    order.push("done");
    const elapsed = Date.now() - t0;
    expect(values(out)).toEqual([2, "budget", 6]);
    expect(out[1]).toMatchObject({ ok: false, reason: "budget", message: expect.stringMatching(/budget is 300 ms/) });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    // This thread ran its timers all along: the spinning happened elsewhere.
    expect(order.filter((o) => o === "tick").length).toBeGreaterThan(10);
    // A fresh worker took over and works.
    expect(values(await p.run([{ job: { value: 5 }, budgetMs: 1_000 }]))).toEqual([10]);
    expect(p.size).toBe(1);
  });

  it("gives each job of a batch its own budget: slow jobs within theirs are not stopped", async () => {
    const p = start(1);
    const out = await p.run(Array.from({ length: 6 }, (_, i) => ({ job: { value: i, spinMs: 50 }, budgetMs: 200 })));
    expect(values(out)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it("fails only the job whose worker dies or which throws", async () => {
    const p = start(1);
    const out = await p.run([
      { job: { value: 1 }, budgetMs: 1_000 },
      { job: { value: 2, throws: true }, budgetMs: 1_000 },
      { job: { value: 3, dies: true }, budgetMs: 1_000 },
      { job: { value: 4 }, budgetMs: 1_000 },
    ]);
    expect(values(out)).toEqual([2, "error", "crashed", 8]);
    expect(out[1]).toMatchObject({ message: "job 2 refused" });
    expect(out[2]).toMatchObject({ message: expect.stringMatching(/exited \(code 7\)/) });
  });

  it("fails the work in flight when closed, and refuses more", async () => {
    const p = start(1);
    const inFlight = expect(p.run([{ job: { value: 1, spinMs: 200 }, budgetMs: 5_000 }])).rejects.toThrow(/closed/);
    expect(p.size).toBe(1);
    await p.close();
    await inFlight;
    await expect(p.run([{ job: { value: 1 }, budgetMs: 100 }])).rejects.toThrow(/closed/);
  });

  it("fails what waits when its worker entry cannot start", async () => {
    const p = (pool = new WorkerPool<PoolTestJob, number>({ entry: "e2e/fixtures/no-such-worker.ts", name: "pool-missing-worker", workers: 1, maxBatch: 10, graceMs: 20, log: () => {} }));
    await expect(p.run([{ job: { value: 1 }, budgetMs: 1_000 }])).rejects.toThrow(/could not start/);
  });
});
