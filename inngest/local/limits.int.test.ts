import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { setClock, VirtualClock } from "@/lib/clock";
import { INNGEST_LIMITS } from "./limits";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, type TestApp } from "./test-app";

/**
 * Inngest's limits, held by the executor (docs/inngest-protocol.md#limits): what fails on Inngest
 * fails here, through the real SDK and serve handler, with an error that names the limit.
 */

const DAY = 86_400_000;

let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;
const clock = new VirtualClock();
const checkpointStatuses: number[] = [];

type RunRow = { id: string; status: string; output: unknown; error: { name?: string; message?: string } | null };
const runsOf = (fnId: string) => db.sql<RunRow[]>`select id, status, output, error from inngest_local.runs where fn_id = ${fnId} order by created_at, id`;
const lastRun = async (fnId: string) => {
  const runs = await runsOf(fnId);
  expect(runs.length).toBeGreaterThan(0);
  return runs[runs.length - 1]!;
};

beforeAll(async () => {
  db = await freshDatabase();
  setClock(clock);
  ex = await startLocalExecutor({
    databaseUrl: db.url,
    embedded: db.embedded,
    port: 0,
    clock,
    workers: 4,
    log: () => {},
    checkpointTap: (x) => checkpointStatuses.push(x.status),
  });
  app = await startTestApp("lim", ex, (inngest) => [
    inngest.createFunction({ id: "sleeper", triggers: [{ event: "lim/sleep" }], retries: 0 }, async ({ event, step }) => {
      const d = event.data as { sleep?: string; until?: number; wait?: string };
      if (d.sleep) await step.sleep("nap", d.sleep);
      if (d.until) await step.sleepUntil("nap-until", new Date(d.until));
      if (d.wait) await step.waitForEvent("wait", { event: "lim/never", timeout: d.wait });
      return "woke";
    }),
    inngest.createFunction({ id: "big-output", triggers: [{ event: "lim/big" }], retries: 0 }, async ({ event, step }) => {
      const bytes = (event.data as { bytes: number }).bytes;
      try {
        const out = await step.run("big", () => "x".repeat(bytes));
        return { length: out.length };
      } catch (err) {
        return { caught: (err as Error).message };
      }
    }),
    inngest.createFunction({ id: "many", triggers: [{ event: "lim/many" }], retries: 0 }, async ({ event, step }) => {
      const n = (event.data as { n: number }).n;
      for (let i = 0; i < n; i++) await step.run(`s${i}`, () => i);
      return n;
    }),
  ]);
  await ex.sync(app.serveUrl);
});

afterAll(async () => {
  await app?.close();
  await ex?.stop();
  await db?.destroy();
  setClock(undefined);
});

describe("sleeps and waits: at most a year", () => {
  it("a sleep of a year is taken; a sleep, a sleep until a date or a wait timeout past a year fails the run naming the limit", async () => {
    await app.inngest.send({ name: "lim/sleep", data: { sleep: "365d" } });
    await ex.idle();
    expect((await lastRun("lim-sleeper")).status).toBe("running");
    await ex.advanceClock(365 * DAY);
    await ex.idle();
    expect(await lastRun("lim-sleeper")).toMatchObject({ status: "completed", output: "woke" });

    for (const data of [{ sleep: "366d" }, { until: clock.nowMs() + 400 * DAY }, { wait: "53w" }]) {
      await app.inngest.send({ name: "lim/sleep", data });
      await ex.idle();
      const run = await lastRun("lim-sleeper");
      expect(run.status, JSON.stringify(data)).toBe("failed");
      expect(run.error?.name).toBe("SleepTooLongError");
      expect(run.error?.message).toMatch(/Inngest allows at most 365 days \(one year\) per sleep or wait/);
    }
  });
});

describe("events: at most 512 KiB each", () => {
  const post = (events: unknown[]) =>
    fetch(`${ex.url}/e/${ex.keys.eventKey}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) });
  const blob = (bytes: number) => ({ name: "lim/blob", data: { b: "x".repeat(bytes) } });

  it("refuses an event over the limit with 413 naming it, and in a batch names the index; stores nothing of that batch", async () => {
    const before = await db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.events`;
    const one = await post([blob(INNGEST_LIMITS.maxEventBytes)]);
    expect(one.status).toBe(413);
    expect(await one.json()).toMatchObject({ status: 413, error: expect.stringMatching(/^event 0 \("lim\/blob"\) is \d+ bytes: Inngest accepts at most 512 KiB \(524288 bytes\) per event$/) });
    const batch = await post([blob(10), blob(10), blob(600 * 1024), blob(10), blob(700 * 1024)]);
    expect(batch.status).toBe(413);
    const { error } = (await batch.json()) as { error: string };
    expect(error).toMatch(/^event 2 \("lim\/blob"\) is \d+ bytes; event 4 /);
    const after = await db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.events`;
    expect(after[0]!.n).toBe(before[0]!.n);
    // The SDK's send fails with the answer's reason.
    await expect(app.inngest.send(blob(INNGEST_LIMITS.maxEventBytes))).rejects.toThrow(/413 event 0 .*at most 512 KiB/);
  });

  it("takes an event just under the limit", async () => {
    const ok = await post([blob(INNGEST_LIMITS.maxEventBytes - 100)]);
    expect(ok.status).toBe(200);
  });
});

describe("step output: at most 4 MB", () => {
  it("a step returning more fails with an error naming the limit (the function may catch it); 4 MB less a little is kept", async () => {
    await app.inngest.send({ name: "lim/big", data: { bytes: INNGEST_LIMITS.maxStepOutputBytes + 1 } });
    await ex.idle();
    const run = await lastRun("lim-big-output");
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ caught: expect.stringMatching(/step "big" returned \d+ bytes; Inngest keeps at most 4 MB \(4194304 bytes\) per step output/) });
    // The step went to the checkpoint endpoint, which stopped the call so the SDK sees the failure.
    expect(checkpointStatuses).toContain(409);

    await app.inngest.send({ name: "lim/big", data: { bytes: INNGEST_LIMITS.maxStepOutputBytes - 100 } });
    await ex.idle();
    expect(await lastRun("lim-big-output")).toMatchObject({ status: "completed", output: { length: INNGEST_LIMITS.maxStepOutputBytes - 100 } });
  });
});

describe("steps per run: at most 1,000", () => {
  it("a run of 1,001 steps holds its first 1,000 and fails at the next, naming the limit", { timeout: 120_000 }, async () => {
    await app.inngest.send({ name: "lim/many", data: { n: 1001 } });
    await ex.idle();
    const run = await lastRun("lim-many");
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "StepLimitError", message: "the run reached 1001 steps; Inngest allows at most 1000 steps per run" });
    const memo = await db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.memo where run_id = ${run.id}`;
    expect(memo[0]!.n).toBe(1000);
  });
});
