import os from "node:os";
import { openDb } from "@/db/client";
import { BENCH_STEPS as STEPS, startBenchApp, type BenchAppMode } from "./bench-app";
import { waitFor } from "./test-app";
import { startLocalExecutor } from "./server";

/**
 * Runner throughput: steps/s of a 5-step function over many runs through the local executor and
 * the real SDK serve handler, against a raw baseline measured in the same run on the same
 * database — a Node loop doing the same bookkeeping directly in Postgres (claim ONE job with SKIP
 * LOCKED → update the run → insert the next job → complete), same driver, same number of workers,
 * no HTTP. Target: ≥ 30 % of raw. The app serving the function is inline (this process) by
 * default, or a process of its own as under `npm run dev` (bench-app.ts).
 */

const WARM_UP_RUNS = 200;

export type BenchDatabase = { url: string; embedded: boolean };

async function executorRep(db: BenchDatabase, runs: number, workers: number, rep: number, app: BenchAppMode): Promise<number> {
  const executor = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, workers, log: () => {} });
  const fnId = `bench-${rep}`;
  const served = await startBenchApp(app, executor, `bench-app-${rep}`, fnId, `bench/run.${rep}`);
  const h = openDb(db.url, { embedded: db.embedded, max: 1 });
  const completed = async (n: number) => {
    await waitFor(
      "the bench runs to complete",
      async () => {
        await executor.idle();
        const [r] = await h.sql<{ n: number }[]>`
          select count(*)::int as n from inngest_local.runs where fn_id like ${`%${fnId}`} and status = 'completed'`;
        return r!.n >= n;
      },
      30 * 60_000,
    );
  };
  const sendRuns = async (count: number) => {
    for (let i = 0; i < count; i += 500) {
      await served.send(Array.from({ length: Math.min(500, count - i) }, (_, j) => ({ name: `bench/run.${rep}`, data: { n: i + j } })));
    }
  };
  try {
    await executor.sync(served.serveUrl);
    // Warm-up, not counted (as in the soak): a fresh app process compiles the SDK's hot paths on
    // its first calls, which the issue's 10k runs amortise and a short run would not.
    await sendRuns(WARM_UP_RUNS);
    await completed(WARM_UP_RUNS);
    const t0 = performance.now();
    await sendRuns(runs);
    await completed(WARM_UP_RUNS + runs);
    return (runs * STEPS) / ((performance.now() - t0) / 1000);
  } finally {
    await h.close();
    await served.close();
    await executor.stop();
  }
}

async function rawRep(db: BenchDatabase, runs: number, workers: number): Promise<number> {
  const h = openDb(db.url, { embedded: db.embedded, max: db.embedded ? 1 : workers });
  const sql = h.sql;
  try {
    await sql`drop table if exists bench_raw_jobs, bench_raw_runs`;
    await sql`create table bench_raw_runs (id int primary key, step int not null default 0, state jsonb not null default '{}')`;
    await sql`create table bench_raw_jobs (id bigserial primary key, run_id int not null, step int not null)`;
    for (let i = 0; i < runs; i += 1000) {
      const ids = Array.from({ length: Math.min(1000, runs - i) }, (_, j) => i + j);
      await sql`insert into bench_raw_runs ${sql(ids.map((id) => ({ id })))}`;
      await sql`insert into bench_raw_jobs ${sql(ids.map((id) => ({ run_id: id, step: 0 })))}`;
    }
    let done = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (;;) {
        const claimed = await sql.begin(async (tx) => {
          const [job] = await tx<{ id: string; run_id: number; step: number }[]>`
            select id, run_id, step from bench_raw_jobs order by id limit 1 for update skip locked`;
          if (!job) return false;
          await tx`update bench_raw_runs set step = ${job.step + 1}, state = jsonb_set(state, ${[`s${job.step}`]}, ${job.step + 1}::text::jsonb) where id = ${job.run_id}`;
          if (job.step + 1 < STEPS) await tx`insert into bench_raw_jobs (run_id, step) values (${job.run_id}, ${job.step + 1})`;
          await tx`delete from bench_raw_jobs where id = ${job.id}`;
          return true;
        });
        if (!claimed) return;
        done++;
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    const seconds = (performance.now() - t0) / 1000;
    if (done !== runs * STEPS) throw new Error(`raw baseline did ${done} steps, expected ${runs * STEPS}`);
    await sql`drop table bench_raw_jobs, bench_raw_runs`;
    return done / seconds;
  } finally {
    await h.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchRunner(
  db: BenchDatabase,
  opts: { runs: number; reps: number; workers: number; app: BenchAppMode },
): Promise<void> {
  const exec: number[] = [];
  const raw: number[] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    raw.push(await rawRep(db, opts.runs, opts.workers));
    exec.push(await executorRep(db, opts.runs, opts.workers, rep, opts.app));
    console.log(`  runner rep ${rep + 1}: executor ${exec.at(-1)!.toFixed(0)} steps/s, raw ${raw.at(-1)!.toFixed(0)} steps/s`);
  }
  const value = median(exec);
  const baseline = median(raw);
  console.log(`  runner: the app ${opts.app === "process" ? "in a process of its own" : "inline, in the executor's process"}`);
  console.log(
    `BENCH runner value=${value.toFixed(1)} unit=steps/s baseline=${baseline.toFixed(1)} ratio=${(value / baseline).toFixed(3)} target=0.30`,
  );
}

/**
 * Soak: the runner workload back to back for `minutes`, one executor and app throughout, finished
 * work pruned between windows as the executor's own timer would (a shorter retention), so the
 * queue tables carry only live work plus dead tuples autovacuum must keep up with. Prints each
 * window; the BENCH line compares the last window with the first (target: at most a 30 % fall).
 */
export async function benchSoak(
  db: BenchDatabase,
  opts: { minutes: number; workers: number; app: BenchAppMode; batch?: number; windowMs?: number },
): Promise<void> {
  const batch = opts.batch ?? 500;
  const totalMs = opts.minutes * 60_000;
  const windowMs = opts.windowMs ?? Math.min(60_000, Math.max(10_000, Math.floor(totalMs / 6)));
  const executor = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, workers: opts.workers, log: () => {} });
  const app = await startBenchApp(opts.app, executor, "soak-app", "soak", "soak/run");
  const h = openDb(db.url, { embedded: db.embedded, max: 1 });
  let round = 0;
  const runBatch = async () => {
    const b = round++;
    await app.send(Array.from({ length: batch }, (_, j) => ({ name: "soak/run", data: { n: j, b } })));
    await waitFor(
      `soak batch ${b} to complete`,
      async () => {
        await executor.idle();
        const [r] = await h.sql<{ n: number }[]>`
          select count(*)::int as n from inngest_local.runs where status = 'completed' and (event->'data'->>'b')::int = ${b}`;
        return r!.n >= batch;
      },
      10 * 60_000,
    );
  };
  try {
    await executor.sync(app.serveUrl);
    await runBatch(); // warm-up (JIT, connections), not counted
    await executor.engine.prune(0);
    const windows: number[] = [];
    const start = performance.now();
    while (performance.now() - start < totalMs) {
      const w0 = performance.now();
      const cpu0 = process.cpuUsage();
      let steps = 0;
      while (performance.now() - w0 < windowMs) {
        await runBatch();
        steps += batch * STEPS;
      }
      // Pruning is part of the steady state, so its time counts against the window.
      await executor.engine.prune(0);
      const wallMs = performance.now() - w0;
      windows.push(steps / (wallMs / 1000));
      // This process's CPU share, its heap and the machine's load: a window that is slower because
      // something else ran shows a high load average rather than a growing heap or table.
      const cpu = process.cpuUsage(cpu0);
      const cpuShare = (cpu.user + cpu.system) / 1000 / wallMs;
      const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
      const [size] = await h.sql<{ jobs: string; memo: string; runs: string }[]>`
        select pg_size_pretty(pg_total_relation_size('inngest_local.jobs')) as jobs,
               pg_size_pretty(pg_total_relation_size('inngest_local.memo')) as memo,
               pg_size_pretty(pg_total_relation_size('inngest_local.runs')) as runs`;
      console.log(
        `  soak window ${windows.length} (${((performance.now() - start) / 60_000).toFixed(1)} min): ${windows.at(-1)!.toFixed(0)} steps/s; jobs ${size!.jobs}, memo ${size!.memo}, runs ${size!.runs}; cpu ${(cpuShare * 100).toFixed(0)} %, heap ${heapMb.toFixed(0)} MB, load ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
    const value = windows.at(-1)!;
    const baseline = windows[0]!;
    console.log(
      `BENCH soak value=${value.toFixed(1)} unit=steps/s baseline=${baseline.toFixed(1)} ratio=${(value / baseline).toFixed(3)} target=0.70`,
    );
  } finally {
    await h.close();
    await app.close();
    await executor.stop();
  }
}
