import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NonRetriableError } from "inngest";
import { afterEach, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { VirtualClock } from "@/lib/clock";
import { signedBody } from "../keys";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, type TestApp } from "./test-app";

/**
 * The SDK's side of the protocol, pinned: every request the executor makes in a scenario that
 * uses each op it supports, and the SDK's replies, normalised (ids, times, stacks) and compared
 * with the checked-in transcript. An `inngest` upgrade that changes the wire format fails here.
 * After a deliberate change, copy the file this test writes next to the failure over the pinned one.
 */

const PINNED = {
  classic: path.join(import.meta.dirname, "transcripts", "inngest-4.24.0.json"),
  checkpointed: path.join(import.meta.dirname, "transcripts", "inngest-4.24.0.checkpointed.json"),
};
const DAY = 86_400_000;

type Scenario = { db: TestDatabase; ex: LocalExecutor; app: TestApp; exchanges: unknown[]; clock: VirtualClock };
let open: Scenario | undefined;

async function setUp(checkpointing: boolean): Promise<Scenario> {
  const db = await freshDatabase();
  const exchanges: unknown[] = [];
  const clock = new VirtualClock();
  const ex = await startLocalExecutor({
    databaseUrl: db.url,
    embedded: db.embedded,
    port: 0,
    clock,
    workers: 1, // one call at a time: a deterministic order
    backoff: () => 1000,
    checkpointing,
    // The pinned scenario sleeps until a fixed date years ahead; Inngest's one-year limit on a sleep
    // is held in limits.int.test.ts.
    limits: { maxSleepMs: Number.MAX_SAFE_INTEGER },
    log: () => {},
    tap: (x) => {
      const u = new URL(x.url);
      exchanges.push({
        request: { fnId: u.searchParams.get("fnId"), stepId: u.searchParams.get("stepId"), body: x.request },
        response: { status: x.status, headers: pick(x.headers), body: x.body },
      });
    },
    // Checkpoints arrive while their call is in flight, so they precede its exchange.
    checkpointTap: (x) => exchanges.push({ checkpoint: { runId: x.runId, body: x.body, status: x.status } }),
  });
  const app = await startTestApp("tx", ex, (inngest) => [
    inngest.createFunction(
      { id: "tour", triggers: [{ event: "tx/start", if: "event.data.go == true" }], retries: 2 },
      async ({ event, step, attempt }) => {
        const profile = await step.run("load-profile", () => ({ id: event.data.contactId as string }));
        await step.sleep("wait-1d", "1d");
        await step.sleepUntil("until-2031", new Date("2031-01-01T00:00:00.000Z"));
        const opened = await step.waitForEvent("wait-open", { event: "tx/opened", timeout: "3d", match: "data.contactId" });
        const clicked = await step.waitForEvent("wait-click", {
          event: "tx/clicked",
          timeout: "1h",
          if: "async.data.contactId == event.data.contactId && async.data.url != ''",
        });
        const [tag, score] = await Promise.all([step.run("tag", () => "tagged"), step.run("score", () => 7)]);
        const flaky = await step.run("flaky", () => {
          if (attempt === 0) throw new Error("smtp 451");
          return "sent";
        });
        let caught = "";
        try {
          await step.run("doomed", () => {
            throw new NonRetriableError("contact missing");
          });
        } catch (err) {
          caught = (err as Error).message;
        }
        await step.sendEvent("emit", { name: "tx/done", data: { contactId: event.data.contactId as string } });
        return { profile, opened: opened?.name ?? null, clicked, tag, score, flaky, caught };
      },
    ),
    // Checkpointing's own path: consecutive steps inside one call, a step retried (attempt > 0
    // does not checkpoint), and the run completing inside a call (RunComplete in a 206).
    inngest.createFunction({ id: "streak", triggers: [{ event: "tx/streak" }], retries: 2 }, async ({ step, attempt }) => {
      const a = await step.run("a", () => 1);
      const b = await step.run("b", () => a + 1);
      const c = await step.run("c", () => {
        if (attempt === 0) throw new Error("smtp 451");
        return b + 1;
      });
      const d = await step.run("d", () => c + 1);
      await step.sleep("nap", "1h");
      const e = await step.run("e", () => d + 1);
      return { a, b, c, d, e };
    }),
  ]);
  await ex.sync(app.serveUrl);
  open = { db, ex, app, exchanges, clock };
  return open;
}

async function tearDown(): Promise<void> {
  const s = open;
  open = undefined;
  await s?.app.close();
  await s?.ex.stop();
  await s?.db.destroy();
}

afterEach(tearDown);

async function transcript(checkpointing: boolean): Promise<unknown> {
  const { db, ex, app, exchanges, clock } = await setUp(checkpointing);
  // The in-band sync reply, as the executor requests it.
  const signed = signedBody(ex.keys.signingKey, { url: app.serveUrl });
  const syncRes = await fetch(app.serveUrl, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band", "x-inngest-server-kind": "cloud", "x-inngest-signature": signed.signature },
    body: signed.body,
  });
  const syncBody = (await syncRes.json()) as Record<string, unknown>;
  delete syncBody.featureObservations;

  await app.inngest.send({ name: "tx/start", data: { contactId: "c1", go: true } });
  await ex.idle();
  await ex.advanceClock(DAY);
  await ex.idle();
  await ex.advanceClock(Math.max(0, Date.parse("2031-01-01T00:00:00.000Z") - clock.nowMs()) + 1000);
  await ex.idle();
  await app.inngest.send({ name: "tx/opened", data: { contactId: "c1" } });
  await ex.idle();
  await ex.advanceClock(3_600_000); // wait-click times out
  await ex.idle();
  await ex.advanceClock(2000); // flaky's retry
  await ex.idle();

  const [run] = await db.sql<{ status: string; output: unknown }[]>`select status, output from inngest_local.runs where fn_id = 'tx-tour'`;
  expect(run).toEqual({
    status: "completed",
    output: { profile: { id: "c1" }, opened: "tx/opened", clicked: null, tag: "tagged", score: 7, flaky: "sent", caught: "contact missing" },
  });
  const [sent] = await db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.events where name = 'tx/done'`;
  expect(sent!.n).toBe(1);

  await app.inngest.send({ name: "tx/streak", data: {} });
  await ex.idle();
  await ex.advanceClock(2000); // c's retry
  await ex.idle();
  await ex.advanceClock(3_600_000); // the nap
  await ex.idle();
  const [streak] = await db.sql<{ status: string; output: unknown }[]>`select status, output from inngest_local.runs where fn_id = 'tx-streak'`;
  expect(streak).toEqual({ status: "completed", output: { a: 1, b: 2, c: 3, d: 4, e: 5 } });

  return normalise({ sync: { status: syncRes.status, headers: pick(Object.fromEntries(syncRes.headers)), body: syncBody }, calls: exchanges });
}

function expectPinned(actual: unknown, pinnedPath: string): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  const pinned = existsSync(pinnedPath) ? readFileSync(pinnedPath, "utf8") : "";
  if (pinned !== text) {
    const out = path.join(os.tmpdir(), path.basename(pinnedPath).replace(/\.json$/, ".actual.json"));
    writeFileSync(out, text);
    console.error(`protocol transcript differs from ${pinnedPath}; the actual one is in ${out}`);
  }
  expect(JSON.parse(text)).toEqual(pinned ? JSON.parse(pinned) : "no pinned transcript");
}

it("speaks the pinned protocol of inngest 4.24.0, one op per call (checkpointing off)", async () => {
  const actual = (await transcript(false)) as { calls: Record<string, unknown>[] };
  expect(actual.calls.some((c) => "checkpoint" in c)).toBe(false);
  expectPinned(actual, PINNED.classic);
});

it("speaks the pinned protocol of inngest 4.24.0, checkpointing steps inside a call (docs/inngest-protocol.md#checkpointing)", async () => {
  const actual = (await transcript(true)) as { calls: Record<string, unknown>[] };
  // The pinned file is the contract; these name what it must show, so a re-pin cannot lose them.
  const checkpoints = actual.calls.filter((c) => "checkpoint" in c).map((c) => c.checkpoint as { body: { steps: { op: string; displayName?: string }[] }; status: number });
  expect(checkpoints.every((c) => c.status === 200)).toBe(true);
  expect(checkpoints.flatMap((c) => c.body.steps.map((s) => `${s.op}:${s.displayName}`))).toEqual(
    expect.arrayContaining(["StepRun:load-profile", "StepRun:a", "StepRun:b", "StepRun:d"]),
  );
  const replies = actual.calls.filter((c) => "response" in c).map((c) => (c.response as { body: unknown }).body);
  expect(replies).toContainEqual([expect.objectContaining({ op: "RunComplete", data: { a: 1, b: 2, c: 3, d: 4, e: 5 } })]);
  expectPinned(actual, PINNED.checkpointed);
});

const KEEP_HEADERS = ["content-type", "x-inngest-sdk", "x-inngest-req-version", "x-inngest-framework", "x-inngest-no-retry", "retry-after", "x-inngest-sync-kind", "x-inngest-sdk-handled"];

function pick(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(KEEP_HEADERS.filter((k) => h[k] !== undefined).map((k) => [k, h[k]!]));
}

/** Stable placeholders for what differs between runs: ids, times, ports, stacks. */
function normalise(value: unknown): unknown {
  const ids = new Map<string, string>();
  const walk = (v: unknown, key?: string): unknown => {
    if (key === "qi_id" && typeof v === "string") return "<queue item>"; // a job id: a sequence value
    if (key?.endsWith("_key_hash") && typeof v === "string") return "<key hash>"; // each run has keys of its own
    if (typeof v === "string") {
      if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(v)) {
        if (!ids.has(v)) ids.set(v, `<ulid ${ids.size + 1}>`);
        return ids.get(v);
      }
      if (key === "stack") return "<stack>";
      return v.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
    }
    if (typeof v === "number" && (key === "ts" || key === "request_started_at")) return "<time>";
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "timing") continue;
        out[k] = walk(x, k);
      }
      return out;
    }
    return v;
  };
  return walk(value);
}
