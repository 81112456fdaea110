import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { VirtualClock } from "@/lib/clock";
import type { CallBody } from "./protocol";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { signingKeyBearer } from "../keys";
import { startTestApp, waitFor, type TestApp, createGates } from "./test-app";

/**
 * Checkpointing (docs/inngest-protocol.md#checkpointing): the SDK runs several steps in one call
 * and reports each to POST /v1/checkpoint/{runId}/async while the call is in flight. These tests
 * hold a step open with a gate, so the call's job is leased, and check what the endpoint accepts
 * and refuses.
 */

let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;
const clock = new VirtualClock();
const calls: { request: CallBody; status: number; body: unknown }[] = [];
const checkpoints: { runId: string; status: number; steps: string[] }[] = [];
const counters = new Map<string, number>();
const bump = (k: string) => counters.set(k, (counters.get(k) ?? 0) + 1).get(k)!;
const started = new Set<string>();
const { gateOf, releaseAll } = createGates();

type JobRow = { id: string; run_id: string; generation: number };
const inflightJob = (tag: string) =>
  waitFor(`the call of ${tag} to be in flight`, async () => {
    if (!started.has(tag)) return undefined;
    const rows = await db.sql<JobRow[]>`
      select j.id::text as id, j.run_id, j.generation from inngest_local.jobs j join inngest_local.runs r on r.id = j.run_id
      where r.event->'data'->>'tag' = ${tag} and j.lease_token is not null`;
    return rows[0];
  });
const runOf = async (tag: string) => {
  const [r] = await db.sql<{ id: string; status: string; output: unknown; error: unknown }[]>`
    select id, status, output, error from inngest_local.runs where event->'data'->>'tag' = ${tag}`;
  return r!;
};
const memoOf = async (runId: string) =>
  db.sql<{ step_id: string; name: string | null; value: unknown }[]>`
    select step_id, name, value from inngest_local.memo where run_id = ${runId} order by seq`;
const postCheckpoint = (runId: string, body: unknown) =>
  fetch(`${ex.url}/v1/checkpoint/${runId}/async`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${signingKeyBearer(ex.keys.signingKey)}` },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  db = await freshDatabase();
  ex = await startLocalExecutor({
    databaseUrl: db.url,
    embedded: db.embedded,
    port: 0,
    clock,
    workers: 4,
    log: () => {},
    tap: (x) => calls.push({ request: x.request, status: x.status, body: x.body }),
    checkpointTap: (x) =>
      checkpoints.push({ runId: x.runId, status: x.status, steps: (x.body as { steps: { displayName?: string }[] }).steps.map((s) => s.displayName ?? "") }),
  });
  app = await startTestApp("cp", ex, (inngest) => [
    inngest.createFunction(
      { id: "held", triggers: [{ event: "cp/held" }], cancelOn: [{ event: "cp/stop", match: "data.tag" }] },
      async ({ event, step }) => {
        const tag = event.data.tag as string;
        const s1 = await step.run("s1", async () => {
          bump(`s1:${tag}`);
          started.add(tag);
          await gateOf(tag).promise;
          return "one";
        });
        const s2 = await step.run("s2", () => {
          bump(`s2:${tag}`);
          return "two";
        });
        const s3 = await step.run("s3", () => "three");
        return [s1, s2, s3];
      },
    ),
    inngest.createFunction({ id: "refail", triggers: [{ event: "cp/refail" }], retries: 2 }, async ({ step }) => {
      const a = await step.run("a", () => 1);
      // Outside any step, so this runs on every call: only the first one fails.
      if (bump("refail") === 1) throw new Error("flaky outside any step");
      const b = await step.run("b", () => a + 1);
      const c = await step.run("c", () => b + 1);
      return [a, b, c];
    }),
  ]);
  await ex.sync(app.serveUrl);
});

afterAll(async () => {
  releaseAll();
  await app?.close();
  await ex?.stop();
  await db?.destroy();
});

it("runs consecutive steps in one call, each persisted by a checkpoint, and completes with RunComplete", async () => {
  gateOf("plain").release();
  await app.inngest.send({ name: "cp/held", data: { tag: "plain" } });
  await ex.idle();
  const run = await runOf("plain");
  expect(run).toMatchObject({ status: "completed", output: ["one", "two", "three"] });
  const mine = calls.filter((c) => c.request.ctx.run_id === run.id);
  expect(mine).toHaveLength(1);
  expect(mine[0]!.request.ctx).toMatchObject({ fn_id: "cp-held", qi_id: expect.stringMatching(/^\d+$/) });
  expect(mine[0]!.body).toMatchObject([{ op: "RunComplete", data: ["one", "two", "three"] }]);
  expect(checkpoints.filter((c) => c.runId === run.id)).toEqual([
    { runId: run.id, status: 200, steps: ["s1"] },
    { runId: run.id, status: 200, steps: ["s2"] },
    { runId: run.id, status: 200, steps: ["s3"] },
  ]);
  expect((await memoOf(run.id)).map((m) => [m.name, m.value])).toEqual([
    ["s1", { data: "one" }],
    ["s2", { data: "two" }],
    ["s3", { data: "three" }],
  ]);
});

it("accepts a checkpoint only for the leased call's generation, and a retried one changes nothing", async () => {
  await app.inngest.send({ name: "cp/held", data: { tag: "endpoint" } });
  const job = await inflightJob("endpoint");
  const body = (over: Record<string, unknown> = {}) => ({
    run_id: job.run_id,
    fn_id: "cp-held",
    qi_id: job.id,
    generation_id: job.generation,
    request_started_at: 1,
    steps: [{ id: "f".repeat(40), op: "StepRun", name: "probe", displayName: "probe", data: { n: 1 } }],
    ts: 2,
    ...over,
  });
  expect((await postCheckpoint(job.run_id, body())).status).toBe(200);
  // The SDK retries a POST whose reply it did not see: the first write stands.
  const again = await postCheckpoint(job.run_id, body({ steps: [{ id: "f".repeat(40), op: "StepRun", displayName: "probe", data: { n: 2 } }] }));
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({});
  expect((await memoOf(job.run_id)).filter((m) => m.name === "probe").map((m) => m.value)).toEqual([{ data: { n: 1 } }]);

  const stale = await postCheckpoint(job.run_id, body({ generation_id: job.generation + 1, steps: [{ id: "e".repeat(40), op: "StepRun", data: 1 }] }));
  expect(stale.status).toBe(409);
  expect((await postCheckpoint(job.run_id, body({ generation_id: undefined, steps: [{ id: "e".repeat(40), op: "StepRun", data: 1 }] }))).status).toBe(409);
  expect((await postCheckpoint(job.run_id, body({ qi_id: "999999999", steps: [{ id: "e".repeat(40), op: "StepRun", data: 1 }] }))).status).toBe(409);
  expect((await postCheckpoint("01OTHERRUN0000000000000000", body())).status).toBe(400);
  expect((await postCheckpoint(job.run_id, body({ steps: [{ id: "e".repeat(40), op: "Sleep", name: "1h" }] }))).status).toBe(400);
  expect((await postCheckpoint(job.run_id, { run_id: job.run_id })).status).toBe(400);
  expect((await memoOf(job.run_id)).map((m) => m.step_id)).not.toContain("e".repeat(40));

  gateOf("endpoint").release();
  await ex.idle();
  expect(await runOf("endpoint")).toMatchObject({ status: "completed", output: ["one", "two", "three"] });
});

// PGlite runs one transaction at a time: no other transaction can hold a row while a checkpoint runs.
it.skipIf(inject("testDatabase").kind === "pglite")("a job locked by another transaction holds up only its own checkpoint", async () => {
  await app.inngest.send([
    { name: "cp/held", data: { tag: "locked" } },
    { name: "cp/held", data: { tag: "free" } },
  ]);
  const locked = await inflightJob("locked");
  const free = await inflightJob("free");
  const probe = (job: JobRow) =>
    postCheckpoint(job.run_id, {
      run_id: job.run_id,
      fn_id: "cp-held",
      qi_id: job.id,
      generation_id: job.generation,
      steps: [{ id: "d".repeat(40), op: "StepRun", displayName: "probe", data: job.run_id }],
    });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let lockTaken!: () => void;
  const taken = new Promise<void>((r) => (lockTaken = r));
  // Another transaction holding the job's row, as a cancellation deleting it would.
  const holder = db.sql.begin(async (tx) => {
    await tx`select 1 from inngest_local.jobs where id = ${locked.id}::bigint for update`;
    lockTaken();
    await held;
  });
  await taken;
  let lockedStatus: number | undefined;
  const lockedReply = probe(locked).then((r) => (lockedStatus = r.status));
  await waitFor("the locked job's checkpoint to wait for the lock", async () => {
    const [r] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    return r!.n >= 1;
  });
  expect((await probe(free)).status).toBe(200);
  expect(lockedStatus).toBeUndefined();
  release();
  await holder;
  await lockedReply;
  expect(lockedStatus).toBe(200);
  for (const job of [locked, free]) expect((await memoOf(job.run_id)).find((m) => m.name === "probe")?.value).toEqual({ data: job.run_id });

  gateOf("locked").release();
  gateOf("free").release();
  await ex.idle();
  for (const tag of ["locked", "free"]) expect(await runOf(tag)).toMatchObject({ status: "completed", output: ["one", "two", "three"] });
});

it("a run cancelled while its call is in flight: the next checkpoint is refused and the SDK stops", async () => {
  await app.inngest.send({ name: "cp/held", data: { tag: "cancel" } });
  const job = await inflightJob("cancel");
  await app.inngest.send({ name: "cp/stop", data: { tag: "cancel" } });
  expect((await runOf("cancel")).status).toBe("cancelled");
  gateOf("cancel").release();
  await ex.idle();
  // Without checkpointing s2 would not run either (one op per call); with it, only the 409 stops it.
  expect(counters.get("s2:cancel")).toBeUndefined();
  expect(checkpoints.filter((c) => c.runId === job.run_id)).toEqual([{ runId: job.run_id, status: 409, steps: ["s1"] }]);
  const reply = calls.find((c) => c.request.ctx.run_id === job.run_id)!;
  expect(reply.status).toBe(400);
  expect(reply.body).toMatchObject({ name: "StaleDispatchError" });
  expect(await runOf("cancel")).toMatchObject({ status: "cancelled" });
});

it("a call whose job was re-claimed (lease lost) cannot checkpoint; the new claim finishes the run", async () => {
  await app.inngest.send({ name: "cp/held", data: { tag: "lost" } });
  const job = await inflightJob("lost");
  // What another executor does when this one's lease lapses: claim the job at the next
  // generation. That executor then "dies" (its lease is already past), so ours re-claims it again.
  await db.sql`update inngest_local.jobs set generation = generation + 1, lease_token = 'elsewhere', lease_until = ${Date.now() - 1}
    where id = ${job.id}::bigint`;
  await waitFor("the job to be claimed again", async () => {
    const [r] = await db.sql<{ g: number }[]>`select generation as g from inngest_local.jobs where id = ${job.id}::bigint`;
    return r && r.g >= job.generation + 2;
  });
  gateOf("lost").release();
  await ex.idle();
  const run = await runOf("lost");
  expect(run).toMatchObject({ status: "completed", output: ["one", "two", "three"] });
  const mine = checkpoints.filter((c) => c.runId === job.run_id);
  // Both executions of s1 (the first was in flight at the re-claim) tried to checkpoint it;
  // only the current generation's got through, so s2 ran once.
  expect(mine.filter((c) => c.steps[0] === "s1").map((c) => c.status).sort()).toEqual([200, 409]);
  expect(counters.get("s1:lost")).toBe(2);
  expect(counters.get("s2:lost")).toBe(1);
  expect((await memoOf(job.run_id)).map((m) => m.name)).toEqual(["s1", "s2", "s3"]);
});

it("a retried call (attempt > 0) does not checkpoint: its first step comes back in the reply", async () => {
  await app.inngest.send({ name: "cp/refail", data: { tag: "refail" } });
  await ex.idle();
  const [run] = await db.sql<{ id: string; status: string }[]>`select id, status from inngest_local.runs where fn_id = 'cp-refail'`;
  expect(run!.status).toBe("running"); // waiting out the function-level backoff
  await ex.advanceClock(2 * 60_000);
  await ex.idle();
  const [done] = await db.sql<{ status: string; output: unknown }[]>`select status, output from inngest_local.runs where id = ${run!.id}`;
  expect(done).toEqual({ status: "completed", output: [1, 2, 3] });
  const mine = calls.filter((c) => c.request.ctx.run_id === run!.id);
  expect(mine.map((c) => [c.request.ctx.attempt, c.status, Array.isArray(c.body) ? c.body.map((o: { op: string; displayName?: string }) => `${o.op}:${o.displayName ?? ""}`) : null])).toEqual([
    [0, 500, null],
    [1, 206, ["StepRun:b"]],
    [0, 206, ["RunComplete:"]],
  ]);
  expect(checkpoints.filter((c) => c.runId === run!.id).map((c) => [c.status, c.steps])).toEqual([
    [200, ["a"]],
    [200, ["c"]],
  ]);
});
