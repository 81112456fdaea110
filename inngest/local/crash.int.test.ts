import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { killHard, startExecutorProcess } from "@/e2e/fixtures/executor-process";
import { generateInngestKeys } from "../keys";
import { freePort } from "@/e2e/fixtures/ports";
import { startTestApp, waitFor, type TestApp } from "./test-app";

/**
 * Durability: the executor as a real child process, killed with SIGKILL at random moments while
 * 50 runs of a 5-step function are under way, and restarted. Every run must complete, and every
 * step's side effect must exist exactly once; a step may *execute* again only if it was in flight
 * at a kill (its memo was not yet written).
 */

const RUNS = 50;
const STEPS = ["s1", "s2", "s3", "s4", "s5"];
const WORKERS = 4;


let db: TestDatabase;
let side: DbHandle;
let app: TestApp;
let port: number;
const keys = generateInngestKeys();
let child: ChildProcess | undefined;
let calls = 0;

const startExecutor = () => startExecutorProcess({ db, port, keys, appServeUrl: app.serveUrl, workers: WORKERS });
const kill = killHard;

beforeAll(async () => {
  db = await freshDatabase();
  side = openDb(db.url, { embedded: db.embedded, max: db.embedded ? 1 : 4 });
  await side.sql`create table crash_effects (run_id text not null, step text not null, primary key (run_id, step))`;
  await side.sql`create table crash_executions (run_id text not null, step text not null)`;
  port = await freePort();
  app = await startTestApp("crash", { url: `http://127.0.0.1:${port}`, keys }, (inngest) => [
    inngest.createFunction({ id: "five", triggers: [{ event: "crash/go" }] }, async ({ runId, step }) => {
      const out: string[] = [];
      for (const name of STEPS) {
        out.push(
          await step.run(name, async () => {
            await side.sql`insert into crash_executions (run_id, step) values (${runId}, ${name})`;
            // Widen the window in which a kill finds the step in flight.
            await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 10)));
            await side.sql`insert into crash_effects (run_id, step) values (${runId}, ${name}) on conflict do nothing`;
            return `${name}:${runId}`;
          }),
        );
      }
      return out;
    }),
  ], { onRequest: (method) => method === "POST" && calls++ });
});

afterAll(async () => {
  if (child) await kill(child);
  await app?.close();
  await side?.close();
  await db?.destroy();
});

it("survives kill -9 at random moments: all runs complete, each step's effect exactly once", async () => {
  child = await startExecutor();
  await waitFor("the app to be synced", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/functions`).then((x) => x.json() as Promise<{ functions: { id: string }[] }>);
    return r.functions.some((f) => f.id === "crash-five");
  });
  await app.inngest.send(Array.from({ length: RUNS }, (_, i) => ({ name: "crash/go", data: { i } })));

  const completed = async () => {
    const [r] = await side.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.runs where status = 'completed'`;
    return r!.n;
  };
  let kills = 0;
  const progressAtKill: number[] = [];
  const deadline = Date.now() + 90_000;
  while ((await completed()) < RUNS && Date.now() < deadline) {
    if (kills < 6) {
      // Kill once some progress is visible, at a random moment.
      const before = await side.sql<{ n: number }[]>`select count(*)::int as n from crash_executions`;
      await waitFor("progress", async () => {
        const [r] = await side.sql<{ n: number }[]>`select count(*)::int as n from crash_executions`;
        return r!.n >= before[0]!.n + 1 + Math.floor(Math.random() * 15) || (await completed()) === RUNS;
      });
      if ((await completed()) === RUNS) break;
      progressAtKill.push(await completed());
      await kill(child);
      kills++;
      child = await startExecutor();
    } else {
      await waitFor("all runs to complete", async () => (await completed()) === RUNS, 60_000);
    }
  }
  expect(kills).toBeGreaterThanOrEqual(3);
  expect(await completed()).toBe(RUNS);

  const runs = await side.sql<{ id: string; output: string[] }[]>`select id, output from inngest_local.runs`;
  expect(runs).toHaveLength(RUNS);
  for (const r of runs) expect(r.output).toEqual(STEPS.map((s) => `${s}:${r.id}`));
  const effects = await side.sql<{ run_id: string; n: number }[]>`
    select run_id, count(*)::int as n from crash_effects group by run_id`;
  expect(effects).toHaveLength(RUNS);
  expect(effects.every((e) => e.n === STEPS.length)).toBe(true);
  const memo = await side.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.memo`;
  expect(memo[0]!.n).toBe(RUNS * STEPS.length);
  // Re-executions only for steps in flight at a kill: at most WORKERS per kill.
  const [exec] = await side.sql<{ n: number; dup: number }[]>`
    select count(*)::int as n, (count(*) - count(distinct (run_id, step)))::int as dup from crash_executions`;
  expect(exec!.n - exec!.dup).toBe(RUNS * STEPS.length);
  expect(exec!.dup).toBeLessThanOrEqual(kills * WORKERS);
  expect(progressAtKill.some((p) => p < RUNS)).toBe(true);
  // The executor checkpoints by default (docs/inngest-protocol.md#checkpointing): steps ran several
  // to a call, so this durability test covers that path. One op per call would need at least six
  // calls a run.
  expect(calls).toBeLessThan(RUNS * STEPS.length);
});
