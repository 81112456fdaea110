import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NonRetriableError } from "inngest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../e2e/fixtures/database";
import { VirtualClock } from "../../lib/clock";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, type TestApp } from "./test-app";

/**
 * The SDK's side of the protocol, pinned: every request the executor makes in a scenario that
 * uses each op it supports, and the SDK's replies, normalised (ids, times, stacks) and compared
 * with the checked-in transcript. An `inngest` upgrade that changes the wire format fails here.
 * After a deliberate change, copy the file this test writes next to the failure over the pinned one.
 */

const PINNED = path.join(import.meta.dirname, "transcripts", "inngest-4.24.0.json");
const DAY = 86_400_000;


let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;
const exchanges: unknown[] = [];
const clock = new VirtualClock();

beforeAll(async () => {
  db = await freshDatabase();
  ex = await startLocalExecutor({
    databaseUrl: db.url,
    embedded: db.embedded,
    port: 0,
    clock,
    workers: 1, // one call at a time: a deterministic order
    backoff: () => 1000,
    log: () => {},
    tap: (x) => {
      const u = new URL(x.url);
      exchanges.push({
        request: { fnId: u.searchParams.get("fnId"), stepId: u.searchParams.get("stepId"), body: x.request },
        response: { status: x.status, headers: pick(x.headers), body: x.body },
      });
    },
  });
  app = await startTestApp("tx", ex.url, (inngest) => [
    inngest.createFunction(
      { id: "tour", triggers: [{ event: "tx/start", if: "event.data.go == true" }], retries: 2 },
      async ({ event, step, attempt }) => {
        const profile = await step.run("load-profile", () => ({ id: event.data.contactId }));
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
        await step.sendEvent("emit", { name: "tx/done", data: { contactId: event.data.contactId } });
        return { profile, opened: opened?.name ?? null, clicked, tag, score, flaky, caught };
      },
    ),
  ]);
  await ex.sync(app.serveUrl);
});

afterAll(async () => {
  await app?.close();
  await ex?.stop();
  await db?.destroy();
});

it("speaks the pinned protocol of inngest 4.24.0", async () => {
  // The in-band sync reply, as the executor requests it.
  const syncRes = await fetch(app.serveUrl, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band", "x-inngest-server-kind": "dev" },
    body: JSON.stringify({ url: app.serveUrl }),
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

  const actual = normalise({ sync: { status: syncRes.status, headers: pick(Object.fromEntries(syncRes.headers)), body: syncBody }, calls: exchanges });
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  const pinned = existsSync(PINNED) ? readFileSync(PINNED, "utf8") : "";
  if (pinned !== text) {
    const out = path.join(os.tmpdir(), "inngest-transcript.actual.json");
    writeFileSync(out, text);
    console.error(`protocol transcript differs from ${PINNED}; the actual one is in ${out}`);
  }
  expect(JSON.parse(text)).toEqual(pinned ? JSON.parse(pinned) : "no pinned transcript");
});

const KEEP_HEADERS = ["content-type", "x-inngest-sdk", "x-inngest-req-version", "x-inngest-framework", "x-inngest-no-retry", "retry-after", "x-inngest-sync-kind", "x-inngest-sdk-handled"];

function pick(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(KEEP_HEADERS.filter((k) => h[k] !== undefined).map((k) => [k, h[k]!]));
}

/** Stable placeholders for what differs between runs: ids, times, ports, stacks. */
function normalise(value: unknown): unknown {
  const ids = new Map<string, string>();
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string") {
      if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(v)) {
        if (!ids.has(v)) ids.set(v, `<ulid ${ids.size + 1}>`);
        return ids.get(v);
      }
      if (key === "stack") return "<stack>";
      return v.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
    }
    if (typeof v === "number" && (key === "ts" || key === "a" || key === "b")) return "<time>";
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
