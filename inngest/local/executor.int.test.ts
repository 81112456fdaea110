import { RetryAfterError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { setClock, VirtualClock } from "@/lib/clock";
import { now } from "@/lib/clock";
import type { CallBody } from "./protocol";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, waitFor, type TestApp, createGates } from "./test-app";

const DAY = 86_400_000;

let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;
const clock = new VirtualClock();
const calls: { url: URL; request: CallBody; status: number; body: unknown }[] = [];
/** Call replies and checkpoints in the order the executor applied them. */
const timeline: { runId: string; kind: "call" | "checkpoint"; status: number; ops: unknown }[] = [];
const counters = new Map<string, number>();
const bump = (k: string) => {
  const n = (counters.get(k) ?? 0) + 1;
  counters.set(k, n);
  return n;
};
const seenNow: number[] = [];
let onceFn: ReturnType<TestApp["inngest"]["createFunction"]> | undefined;
const maxActive = new Map<string, number>();
const started = new Set<string>();
const { gateOf } = createGates();
const gate = (tag: string) => gateOf(tag).promise;

type RunRow = { id: string; status: string; output: unknown; error: unknown };
const runsOf = async (fnId: string) =>
  db.sql<RunRow[]>`select id, status, output, error from inngest_local.runs where fn_id = ${fnId} order by created_at, id`;
const memoOf = async (runId: string) =>
  db.sql<{ step_id: string; name: string | null; value: unknown }[]>`select step_id, name, value from inngest_local.memo where run_id = ${runId} order by seq`;
const settle = () => ex.idle();


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
    tap: (x) => {
      calls.push({ url: new URL(x.url), request: x.request, status: x.status, body: x.body });
      timeline.push({ runId: x.request.ctx.run_id, kind: "call", status: x.status, ops: x.body });
    },
    checkpointTap: (x) => {
      const body = x.body as { steps: unknown[] };
      timeline.push({ runId: x.runId, kind: "checkpoint", status: x.status, ops: body.steps });
    },
  });
  app = await startTestApp("t", ex, (inngest) => [
    inngest.createFunction(
      { id: "multi", triggers: [{ event: "test/multi" }], retries: 3 },
      async ({ event, step }) => {
        const loaded = await step.run("load", () => {
          bump(`load:${event.data.contactId}`);
          return { contactId: event.data.contactId as string };
        });
        await step.sleep("nap", "3d");
        const opened = await step.waitForEvent("wait-open", { event: "test/opened", timeout: "1d", match: "data.contactId" });
        const [a, b] = await Promise.all([step.run("par-a", () => "A"), step.run("par-b", () => "B")]);
        const flaky = await step.run("flaky", () => {
          if (bump(`flaky:${event.data.contactId}`) <= 2) throw new Error("smtp 451");
          seenNow.push(now().getTime());
          return "sent";
        });
        return { loaded, opened: opened ? opened.data : null, a, b, flaky };
      },
    ),
    inngest.createFunction(
      { id: "later", triggers: [{ event: "test/later" }], retries: 2 },
      async ({ step }) =>
        step.run("rate-limited", () => {
          if (bump("later") === 1) throw new RetryAfterError("429 from ESP", "2h");
          return "ok";
        }),
    ),
    inngest.createFunction(
      {
        id: "doomed",
        triggers: [{ event: "test/doomed" }],
        retries: 1,
        onFailure: ({ event, error }) => {
          bump("onFailure");
          return { failed: event.data.function_id, message: error.message, original: event.data.event.name };
        },
      },
      async ({ step }) => {
        await step.run("explode", () => {
          bump("explode");
          throw new Error("contact missing");
        });
      },
    ),
    inngest.createFunction(
      {
        id: "cancellable",
        triggers: [{ event: "test/enrolled" }],
        cancelOn: [{ event: "test/unsubscribed", match: "data.contactId" }],
      },
      async ({ step }) => {
        await step.run("before", () => bump("before"));
        await step.sleep("long", "7d");
        await step.run("after", () => bump("after"));
      },
    ),
    onceFn = inngest.createFunction({ id: "once", triggers: [{ event: "test/once" }] }, () => bump("once")),
    inngest.createFunction(
      { id: "idem", triggers: [{ event: "test/idem" }], idempotency: "event.data.contactId" },
      ({ event }) => bump(`idem:${event.data.contactId}`),
    ),
    inngest.createFunction(
      { id: "filtered", triggers: [{ event: "test/filtered", if: "event.data.seats + 1 == 6" }] },
      () => bump("filtered"),
    ),
    inngest.createFunction({ id: "warm", triggers: [{ event: "test/warm" }] }, async ({ step }) => step.run("w", () => 1)),
    inngest.createFunction({ id: "nightly", triggers: [{ cron: "0 3 * * *" }] }, () => bump("nightly")),
    inngest.createFunction(
      { id: "serial", triggers: [{ event: "test/serial" }], concurrency: [{ limit: 1, key: "event.data.contactId" }] },
      async ({ event, step }) => {
        await step.run("work", async () => {
          const contact = event.data.contactId as string;
          const n = bump(`active:${contact}`) - (counters.get(`done:${contact}`) ?? 0);
          maxActive.set(contact, Math.max(maxActive.get(contact) ?? 0, n));
          started.add(event.data.tag as string);
          await gate(event.data.tag as string);
          bump(`done:${contact}`);
        });
      },
    ),
    inngest.createFunction({ id: "invoker", triggers: [{ event: "test/invoke" }] }, async ({ step }) => {
      await step.invoke("call-other", { function: onceFn!, data: {} });
    }),
  ]);
  const synced = await ex.sync(app.serveUrl);
  expect(synced.functions).toContain("t-multi");
  // First calls pay for JIT and module loading in the SDK; the wall-time assertion is about the executor.
  await app.inngest.send({ name: "test/warm", data: {} });
  await settle();
});

afterAll(async () => {
  await app?.close();
  await ex?.stop();
  await db?.destroy();
  setClock(undefined);
});

describe("the call loop", () => {
  it("runs a multi-step function on the virtual clock: memo, sleep, wait timeout, parallel steps, retries", async () => {
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const t0 = clock.nowMs();
    await app.inngest.send({ name: "test/multi", data: { contactId: "c1" } });
    await settle();
    const [run] = await runsOf("t-multi");
    expect(run!.status).toBe("running");
    expect((await memoOf(run!.id)).map((m) => m.name)).toEqual(["load"]);

    await ex.advanceClock(3 * DAY - 60_000); // not yet
    await settle();
    expect((await memoOf(run!.id)).map((m) => m.name)).toEqual(["load"]);
    await ex.advanceClock(60_000);
    await settle();
    const waits = await db.sql`select event_name, expr from inngest_local.waits where run_id = ${run!.id}`;
    expect(waits).toEqual([{ event_name: "test/opened", expr: "event.data.contactId == async.data.contactId" }]);

    // Another contact's open does not resume this run.
    await app.inngest.send({ name: "test/opened", data: { contactId: "other" } });
    await settle();
    expect(await db.sql`select 1 from inngest_local.waits where run_id = ${run!.id}`).toHaveLength(1);

    await ex.advanceClock(DAY); // the wait times out: memo null, then par-a/par-b, then flaky fails once
    await settle();
    expect(counters.get("flaky:c1")).toBe(1);
    await ex.advanceClock(10_000); // backoff is at least 15 s
    await settle();
    expect(counters.get("flaky:c1")).toBe(1);
    await ex.advanceClock(60_000);
    await settle();
    expect(counters.get("flaky:c1")).toBe(2);
    await ex.advanceClock(61_000);
    await settle();
    expect(counters.get("flaky:c1")).toBe(3);

    const [done] = await runsOf("t-multi");
    expect(done!.status).toBe("completed");
    expect(done!.output).toEqual({ loaded: { contactId: "c1" }, opened: null, a: "A", b: "B", flaky: "sent" });
    // Four virtual days and two backoffs in well under a second of work. CPU time of this process
    // (executor, app and PGlite all live here) is the measure, because these shared 2-core machines
    // stretch wall time arbitrarily; the wall-time bound, under the 15 s a real backoff would take,
    // still catches any real wait.
    const cpu = process.cpuUsage(cpu0);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(14_000);
    expect(counters.get("load:c1")).toBe(1);
    // App code saw the executor's clock.
    expect(seenNow[0]! - t0).toBeGreaterThanOrEqual(4 * DAY);

    const memo = await memoOf(run!.id);
    const byName = Object.fromEntries(memo.flatMap((m) => (m.name ? [[m.name, m.value] as const] : [])));
    expect(byName).toEqual({ load: { data: { contactId: "c1" } }, "par-a": { data: "A" }, "par-b": { data: "B" }, flaky: { data: "sent" } });
    expect(memo.filter((m) => m.name === null).map((m) => m.value)).toEqual([null, null]); // sleep, timed-out wait
    expect(memo).toHaveLength(6);

    // The protocol as docs/inngest-protocol.md describes it.
    const mine = calls.filter((c) => c.request.ctx.run_id === run!.id);
    expect(mine.every((c) => c.request.ctx.max_attempts === 4 && c.request.version === 2 && c.request.ctx.use_api === false)).toBe(true);
    const first = mine[0]!;
    expect(first.url.searchParams.get("stepId")).toBe("step");
    // Checkpointing (docs/inngest-protocol.md#checkpointing): "load" ran inside the first call and
    // reached the executor as a checkpoint of that call's queue item; the call itself replied with
    // the next op only.
    expect(first.request.ctx).toMatchObject({ fn_id: "t-multi", qi_id: expect.stringMatching(/^\d+$/) });
    expect(first.body).toMatchObject([{ op: "Sleep", displayName: "nap", name: "3d" }]);
    const myTimeline = timeline.filter((t) => t.runId === run!.id);
    expect(myTimeline[0]).toMatchObject({ kind: "checkpoint", status: 200, ops: [{ op: "StepRun", displayName: "load", data: { contactId: "c1" } }] });
    expect(myTimeline.filter((t) => t.kind === "checkpoint")).toHaveLength(1);
    const ops = myTimeline.map((c) => (Array.isArray(c.ops) ? (c.ops as { op: string; displayName?: string }[]).map((o) => `${o.op}:${o.displayName}`).join("+") : `${c.status}`));
    // A discovery between the two parallel results may find nothing new (an empty op list), and
    // a discovery that races with the other parallel result may plan a step again (the executor
    // runs it once): keep each step's first plan only.
    const planned = new Set<string>();
    const seq = ops.filter((o) => {
      if (o === "") return false;
      if (!o.startsWith("StepPlanned")) return true;
      const fresh = o.split("+").some((p) => !planned.has(p));
      for (const p of o.split("+")) planned.add(p);
      return fresh;
    });
    expect(seq.slice(0, 4)).toEqual(["StepRun:load", "Sleep:nap", "WaitForEvent:wait-open", "StepPlanned:par-a+StepPlanned:par-b"]);
    expect(seq.slice(4, 6).sort()).toEqual(["StepRun:par-a", "StepRun:par-b"]);
    expect(seq.slice(6)).toEqual(["StepPlanned:flaky", "StepError:flaky", "StepError:flaky", "StepRun:flaky", "200"]);
    const errOp = (mine.find((c) => (c.body as { op?: string }[])[0]?.op === "StepError")!.body as Record<string, unknown>[])[0]!;
    expect(errOp.error).toMatchObject({ name: "Error", message: "smtp 451" });
    const flakyCalls = mine.filter((c) => Array.isArray(c.body) && (c.body as { displayName?: string }[])[0]?.displayName === "flaky" && c.url.searchParams.get("stepId") !== "step");
    expect(flakyCalls.map((c) => [c.request.ctx.attempt, (c.body as { op: string }[])[0]!.op])).toEqual([
      [0, "StepError"],
      [1, "StepError"],
      [2, "StepRun"],
    ]);
    expect(mine.at(-1)!.status).toBe(200);
    // After a multi-op reply every later request plans only (and so no longer checkpoints).
    const planIdx = mine.findIndex((c) => Array.isArray(c.body) && c.body.length > 1);
    expect(mine.slice(planIdx + 1).every((c) => c.request.ctx.disable_immediate_execution)).toBe(true);
    expect(mine.slice(0, planIdx + 1).every((c) => !c.request.ctx.disable_immediate_execution)).toBe(true);
  });
});

describe("waits, retries and failure", () => {
  it("resumes a wait with the matching event (memo = the raw event)", async () => {
    await app.inngest.send({ name: "test/multi", data: { contactId: "c2" } });
    await settle();
    await ex.advanceClock(3 * DAY);
    await settle();
    const [, run] = await runsOf("t-multi");
    const { ids } = await app.inngest.send({ name: "test/opened", data: { contactId: "c2", via: "pixel" } });
    await settle();
    const memo = await memoOf(run!.id);
    expect(memo[2]!.value).toMatchObject({ id: ids[0], name: "test/opened", data: { contactId: "c2", via: "pixel" } });
    // par-a, par-b ran; flaky fails for c2 too, twice, before it succeeds.
    await ex.advanceClock(61_000);
    await settle();
    await ex.advanceClock(61_000);
    await settle();
    const [, done] = await runsOf("t-multi");
    expect(done!.status).toBe("completed");
    expect(done!.output).toMatchObject({ opened: { contactId: "c2", via: "pixel" }, flaky: "sent" });
  });

  it("honours Retry-After over the backoff table", async () => {
    await app.inngest.send({ name: "test/later", data: {} });
    await settle();
    expect(counters.get("later")).toBe(1);
    await ex.advanceClock(2 * 3_600_000 - 60_000); // the table would have retried after ≤ 45 s
    await settle();
    expect(counters.get("later")).toBe(1);
    await ex.advanceClock(60_000);
    await settle();
    expect(counters.get("later")).toBe(2);
    const [run] = await runsOf("t-later");
    expect(run).toMatchObject({ status: "completed", output: "ok" });
  });

  it("fails the run after max attempts and runs onFailure with inngest/function.failed", async () => {
    await app.inngest.send({ name: "test/doomed", data: { contactId: "c9" } });
    await settle();
    expect(counters.get("explode")).toBe(1);
    await ex.advanceClock(46_000);
    await settle();
    expect(counters.get("explode")).toBe(2); // retries: 1 → two attempts, the second final
    const [run] = await runsOf("t-doomed");
    expect(run!.status).toBe("failed");
    expect(run!.error).toMatchObject({ name: "Error", message: "contact missing" });
    expect(counters.get("onFailure")).toBe(1);
    const [failure] = await runsOf("t-doomed-failure");
    expect(failure).toMatchObject({
      status: "completed",
      output: { failed: "t-doomed", message: "contact missing", original: "test/doomed" },
    });
  });

  it("fails loudly on an op it does not support", async () => {
    await app.inngest.send({ name: "test/invoke", data: {} });
    await settle();
    const [run] = await runsOf("t-invoker");
    expect(run!.status).toBe("failed");
    expect((run!.error as { message: string }).message).toMatch(/does not support op "InvokeFunction"/);
  });
});

describe("triggers", () => {
  it("cancelOn stops a sleeping run", async () => {
    await app.inngest.send({ name: "test/enrolled", data: { contactId: "k1" } });
    await app.inngest.send({ name: "test/enrolled", data: { contactId: "k2" } });
    await settle();
    expect(counters.get("before")).toBe(2);
    await app.inngest.send({ name: "test/unsubscribed", data: { contactId: "k1" } });
    await settle();
    await ex.advanceClock(7 * DAY);
    await settle();
    const runs = await runsOf("t-cancellable");
    expect(runs.map((r) => r.status).sort()).toEqual(["cancelled", "completed"]);
    expect(counters.get("after")).toBe(1);
    expect(await db.sql`select 1 from inngest_local.jobs where run_id = ${runs.find((r) => r.status === "cancelled")!.id}`).toHaveLength(0);
  });

  it("an event id sent twice within 24 h triggers once, and again after 24 h", async () => {
    const first = await app.inngest.send({ id: "evt-1", name: "test/once", data: {} });
    const second = await app.inngest.send({ id: "evt-1", name: "test/once", data: {} });
    await settle();
    expect(first.ids).toHaveLength(1);
    expect(second.ids).toHaveLength(1);
    expect(counters.get("once")).toBe(1);
    await ex.advanceClock(DAY + 1000);
    await app.inngest.send({ id: "evt-1", name: "test/once", data: {} });
    await settle();
    expect(counters.get("once")).toBe(2);
  });

  it("function idempotency: one run per key per 24 h", async () => {
    await app.inngest.send([
      { name: "test/idem", data: { contactId: "i1" } },
      { name: "test/idem", data: { contactId: "i1" } },
      { name: "test/idem", data: { contactId: "i2" } },
    ]);
    await settle();
    expect([counters.get("idem:i1"), counters.get("idem:i2")]).toEqual([1, 1]);
  });

  it("matches trigger expressions with CEL (integers as BigInt)", async () => {
    await app.inngest.send([
      { name: "test/filtered", data: { seats: 5 } },
      { name: "test/filtered", data: { seats: 4 } },
      { name: "test/filtered", data: {} },
    ]);
    await settle();
    expect(counters.get("filtered")).toBe(1);
  });

  it("fires crons when the virtual clock passes them", async () => {
    const before = counters.get("nightly") ?? 0;
    const nowMs = clock.nowMs();
    const next = Math.ceil((nowMs - 3 * 3_600_000) / DAY) * DAY + 3 * 3_600_000;
    await ex.advanceClock(next - nowMs + 1000);
    await settle();
    expect(counters.get("nightly")).toBe(before + 1);
    await ex.advanceClock(DAY);
    await settle();
    expect(counters.get("nightly")).toBe(before + 2);
  });
});

describe("concurrency", () => {
  it("a key of 1 serialises two runs of one contact while another contact's run proceeds", async () => {
    await app.inngest.send({ name: "test/serial", data: { contactId: "A", tag: "A1" } });
    await waitFor("A1 to start", () => started.has("A1"));
    await app.inngest.send({ name: "test/serial", data: { contactId: "A", tag: "A2" } });
    await app.inngest.send({ name: "test/serial", data: { contactId: "B", tag: "B1" } });
    await waitFor("B1 to start", () => started.has("B1"));
    gateOf("B1").release();
    await waitFor("B1 to complete", async () => {
      const rows = await db.sql`select 1 from inngest_local.runs where fn_id = 't-serial' and status = 'completed'`;
      return rows.length === 1;
    });
    expect(started.has("A2")).toBe(false);
    gateOf("A1").release();
    await waitFor("A2 to start", () => started.has("A2"));
    gateOf("A2").release();
    await settle();
    const runs = await runsOf("t-serial");
    expect(runs.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    expect(maxActive.get("A")).toBe(1);
  });
});

describe("sync", () => {
  it("refuses, naming them, options it does not support", async () => {
    const bad = await startTestApp("bad", ex, (inngest) => [
      inngest.createFunction(
        { id: "bouncy", triggers: [{ event: "x/y" }], debounce: { period: "30s" }, rateLimit: { limit: 1, period: "1h" } },
        () => null,
      ),
    ]);
    try {
      await expect(ex.sync(bad.serveUrl)).rejects.toThrow(/"bad-bouncy": option `rateLimit`[\s\S]*option `debounce`|"bad-bouncy": option `debounce`[\s\S]*option `rateLimit`/);
      expect(ex.engine.functions().some((f) => f.id === "bad-bouncy")).toBe(false);
    } finally {
      await bad.close();
    }
  });
});

describe("event API", () => {
  it("answers a body over 16 MB with 413 and broken JSON with 400, and keeps serving", async () => {
    const post = (body: string) => fetch(`${ex.url}/e/${ex.keys.eventKey}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const huge = await post(JSON.stringify([{ name: "x/huge", data: { blob: "x".repeat(17 * 1024 * 1024) } }]));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: "body is larger than 16 MB" });
    const broken = await post("{not json");
    expect(broken.status).toBe(400);
    const ok = await post(JSON.stringify([{ name: "x/nothing-listens", data: {} }]));
    expect(ok.status).toBe(200);
    expect((await ok.json()) as { ids: string[] }).toMatchObject({ ids: [expect.any(String)] });
  });
});
