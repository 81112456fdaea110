import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { freePort } from "@/e2e/fixtures/ports";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { startIngestServer, type IngestOptions, type IngestServer } from "@/ingest/server";
import { generateInngestKeys } from "@/inngest/keys";
import { startLocalExecutor, type LocalExecutor } from "@/inngest/local/server";
import { startTestApp, type TestApp } from "@/inngest/local/test-app";
import { healthCheck, type HealthOptions, type HealthReport } from "./health";

/**
 * The app's health answer against real parts: a database of its own, the local executor with an
 * app it syncs (the real SDK serve handler), and the tracking ingest. Parts are stopped and started
 * for real; nothing is stubbed.
 */

const APP_ID = "tillit-health";
const INSTANCE = "stack-4c1e";
const keys = generateInngestKeys();

let t: TestDatabase;
let dead: DbHandle;
let app: TestApp;
let executorPort: number;
let executor: LocalExecutor | undefined;
let ingest: IngestServer | undefined;

const startExecutor = () =>
  startLocalExecutor({ databaseUrl: t.url, embedded: t.embedded, port: executorPort, keys, appServeUrl: app.serveUrl, instance: INSTANCE, workers: 1, log: () => {} });

beforeAll(async () => {
  t = await freshDatabase();
  dead = openDb(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { max: 1 });
  // Both URLs fixed before either starts, as the supervisor fixes them.
  executorPort = await freePort();
  app = await startTestApp(APP_ID, { url: `http://127.0.0.1:${executorPort}`, keys }, (inngest) => [
    inngest.createFunction({ id: "noop", retries: 0, triggers: [{ event: "health/noop" }] }, () => "ok"),
  ]);
  executor = await startExecutor();
  ingest = await startIngestServer({ db: t.db, port: 0, instance: INSTANCE, forward: async () => {}, log: () => {} });
});

afterAll(async () => {
  await executor?.stop();
  await ingest?.stop();
  await app?.close();
  await dead?.close();
  await t?.destroy();
});

/** A health check of this test's stack; no cache unless asked, so each reading is fresh. */
function check(over: Partial<HealthOptions> = {}) {
  const lines: string[] = [];
  const c = healthCheck({
    db: () => t.db,
    instance: INSTANCE,
    inngest: { mode: "bundled", url: `http://127.0.0.1:${executorPort}`, appId: APP_ID },
    ingestUrl: ingest!.url,
    cacheMs: 0,
    log: (l) => lines.push(l),
    ...over,
  });
  return { ...c, lines };
}

async function get(c: ReturnType<typeof check>, query = "") {
  const res = await c.respond(new Request(`http://localhost/api/health${query}`));
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as HealthReport };
}

/** Nothing in a health body names a host, a URL or an error. */
function expectNothingNamed(text: string) {
  expect(text).not.toMatch(/127\.0\.0\.1|localhost|http:|ECONN|api\/inngest|postgres/i);
}

/** The executor syncs the app by itself, right after it starts: wait for that (polling, with a deadline). */
const synced = (c: ReturnType<typeof check>) => expect.poll(async () => (await c.report()).parts.inngest.status, { timeout: 20_000 }).toBe("ok");

describe("GET /api/health", () => {
  it("is ok when every part is, echoes the instance id and names no host", async () => {
    const c = check();
    await synced(c);
    const r = await get(c);
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({
      ok: true,
      status: "ok",
      instance: INSTANCE,
      parts: {
        database: { status: "ok" },
        inngest: { status: "ok", mode: "bundled", reachable: true, synced: true, functions: 1, sameInstance: true },
        ingest: { status: "ok", reachable: true, sameInstance: true, forwarder: { on: true, lagSeconds: null } },
      },
    });
    expect(Date.parse((r.body.parts.inngest as { syncedAt: string }).syncedAt)).toBeGreaterThan(0);
    expect((await get(c, "?strict=1")).status).toBe(200);
    expectNothingNamed(r.text);
  });

  it("says which apps the executor has synced, without URLs, on the executor's own /health", async () => {
    const answer = await fetch(`http://127.0.0.1:${executorPort}/health`).then((r) => r.text());
    expect(JSON.parse(answer)).toEqual({ ok: true, instance: INSTANCE, apps: [{ id: APP_ID, functions: 1, syncedAt: expect.any(String) }] });
    expect(answer).not.toMatch(/http|127\.0\.0\.1|api\/inngest/);
  });

  it("is degraded, still 200, while the executor is stopped (strict: 503), and ok again once a new one has re-synced by itself", async () => {
    const c = check();
    await executor!.stop();
    executor = undefined;
    const r = await get(c);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ok: false,
      status: "degraded",
      parts: { database: { status: "ok" }, inngest: { status: "degraded", reachable: false, synced: null, reason: "unreachable" }, ingest: { status: "ok" } },
    });
    const strict = await get(c, "?strict=1");
    expect(strict.status).toBe(503);
    expect(strict.body.status).toBe("degraded");
    expectNothingNamed(strict.text);
    // The address goes to the log, once per change.
    expect(c.lines.filter((l) => l.includes("inngest unreachable"))).toHaveLength(1);
    expect(c.lines[0]).toContain(`127.0.0.1:${executorPort}`);

    // Nobody calls sync: the executor retries on its own until the app answers.
    executor = await startExecutor();
    await synced(c);
    expect((await get(c, "?strict=1")).status).toBe(200);
  });

  it("is degraded when the executor answers but has not synced this app", async () => {
    const lonely = await startLocalExecutor({ databaseUrl: t.url, embedded: t.embedded, port: 0, keys, instance: INSTANCE, workers: 1, log: () => {} });
    try {
      const r = await get(check({ inngest: { mode: "bundled", url: lonely.url, appId: APP_ID } }));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: false, status: "degraded", parts: { inngest: { status: "degraded", reachable: true, synced: false, functions: null, reason: "app not synced" } } });
      // An executor that synced another app does not count either.
      const other = await get(check({ inngest: { mode: "bundled", url: `http://127.0.0.1:${executorPort}`, appId: "another-app" } }));
      expect(other.body.parts.inngest).toMatchObject({ status: "degraded", synced: false });
    } finally {
      await lonely.stop();
    }
  });

  it("is degraded when the ingest is stopped, and when a part belongs to another start of the stack", async () => {
    const c = check();
    await synced(c);
    const other = await get(check({ instance: "stack-other" }));
    expect(other.body).toMatchObject({
      status: "degraded",
      instance: "stack-other",
      parts: { inngest: { status: "degraded", sameInstance: false, reason: "another stack answered" }, ingest: { status: "degraded", sameInstance: false } },
    });

    await ingest!.stop();
    try {
      const r = await get(c);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        ok: false,
        status: "degraded",
        parts: { database: { status: "ok" }, inngest: { status: "ok" }, ingest: { status: "degraded", reachable: false, reason: "unreachable", forwarder: { on: null, lagSeconds: null } } },
      });
      expect((await get(c, "?strict=1")).status).toBe(503);
      expectNothingNamed(r.text);
    } finally {
      const port = new URL(ingest!.url).port;
      ingest = await startIngestServer({ db: t.db, port: Number(port), instance: INSTANCE, forward: async () => {}, log: () => {} });
    }
    expect((await get(c)).body.parts.ingest.status).toBe("ok");
  });

  it("is down, 503 even without strict, when its database is unreachable", async () => {
    const c = check({ db: () => dead.db });
    const r = await get(c);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).not.toBeNull();
    expect(r.body).toMatchObject({ ok: false, status: "down", instance: INSTANCE, parts: { database: { status: "down" } } });
    expectNothingNamed(r.text);
    expect(c.lines.some((l) => l.startsWith("health: database down (ECONNREFUSED"))).toBe(true);
  });

  it("says null for the instance when the stack gave none, and refuses a strict it cannot read, naming the field", async () => {
    const c = check({ instance: null });
    const r = await get(c);
    expect(r.body.instance).toBeNull();
    expect(r.body.parts.ingest.sameInstance).toBeNull();
    const bad = await c.respond(new Request("http://localhost/api/health?strict=maybe"));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { message: "strict: must be 1 or 0", field: "strict" } });
  });

  it("does not claim to have checked an external Inngest", async () => {
    const r = await get(check({ inngest: { mode: "external" } }));
    expect(r.body.parts.inngest).toEqual({ status: "ok", mode: "external", checked: false, reachable: null, synced: null });
  });

  it("asks no ingest when the app serves tracking itself (serverless), and says so", async () => {
    const c = check({ ingestUrl: null, fetch: (input) => (String(input).includes("/health") && !String(input).includes(String(executorPort)) ? Promise.reject(new Error("the ingest was probed")) : fetch(input)) });
    await synced(c);
    const r = await get(c);
    expect(r.body.parts.ingest).toEqual({ status: "ok", mode: "app", reachable: null, sameInstance: null, forwarder: { on: null, lagSeconds: null, lastSuccessAt: null, lastErrorAt: null } });
    expect(c.lines.filter((l) => l.includes("ingest"))).toEqual([]);
  });

  it("makes a handful of probes however many requests flood it", async () => {
    const calls = { executor: 0, ingest: 0, database: 0 };
    const counting: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.startsWith(ingest!.url)) calls.ingest++;
      else calls.executor++;
      return fetch(input, init);
    };
    // The real database, counting the statements the check sends it.
    const db = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop !== "execute") return Reflect.get(target, prop, receiver) as unknown;
        return (...args: Parameters<Db["execute"]>) => {
          calls.database++;
          return target.execute(...args);
        };
      },
    });
    const c = check({ cacheMs: 2_000, fetch: counting, db: () => db });
    const started = Date.now();
    const together = await Promise.all(Array.from({ length: 200 }, () => get(c)));
    for (let i = 0; i < 200; i++) await get(c);
    const elapsed = Date.now() - started;
    expect(together.every((r) => r.status === 200)).toBe(true);
    // One round per 2 s window at most (plus the one in flight at its edge).
    const most = Math.floor(elapsed / 2_000) + 2;
    for (const n of Object.values(calls)) {
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(most);
    }
  });
});

describe("the ingest's forwarder, as the app's health reads it", () => {
  let d: TestDatabase;
  let key: string;
  beforeAll(async () => {
    // A database of its own: the stack's ingest above must not forward these rows.
    d = await freshDatabase();
    const ws = await seedWorkspace(d.db, { contacts: 0 });
    key = (await createApiKey(d.db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id })).key;
  });
  afterAll(() => d?.destroy());

  async function withIngest(forward: IngestOptions["forward"], fn: (url: string) => Promise<void>) {
    const own = await startIngestServer({ db: d.db, port: 0, writers: 1, instance: INSTANCE, backlogEveryMs: 0, forward, forwardEveryMs: 20, log: () => {} });
    try {
      await fn(own.url);
    } finally {
      await own.stop();
      await d.sql`delete from event_outbox_batches`;
    }
  }
  const track = (url: string, id: string) =>
    fetch(`${url}/v1/batch`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`, "content-type": "application/json" },
      body: JSON.stringify({ batch: [{ type: "identify", userId: id, traits: { email: `${id}@example.com` }, messageId: `${id}-i` }, { type: "track", userId: id, event: "Viewed", messageId: `${id}-t` }] }),
    });

  it("is degraded while forwarding fails with events waiting", async () => {
    await withIngest(
      () => Promise.reject(new Error("Inngest refused the batch")),
      async (url) => {
        const c = check({ ingestUrl: url });
        expect((await c.report()).parts.ingest.status).toBe("ok");
        expect((await track(url, "u-fail")).status).toBe(200);
        await expect.poll(async () => (await c.report()).parts.ingest.reason, { timeout: 10_000 }).toBe("forwarder failing");
        const part = (await c.report()).parts.ingest;
        expect(part).toMatchObject({ status: "degraded", reachable: true, forwarder: { on: true, lastSuccessAt: null } });
        expect(part.forwarder.lagSeconds).toEqual(expect.any(Number));
        expect(Date.parse(part.forwarder.lastErrorAt!)).toBeGreaterThan(0);
      },
    );
  });

  it("is degraded when the oldest waiting event is older than the threshold, and ok once it is handed over", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await withIngest(
      () => held,
      async (url) => {
        const c = check({ ingestUrl: url, maxLagSeconds: 60 });
        expect((await track(url, "u-lag")).status).toBe(200);
        await expect.poll(async () => (await c.report()).parts.ingest.forwarder.lagSeconds, { timeout: 10_000 }).not.toBeNull();
        expect((await c.report()).parts.ingest.status).toBe("ok");
        // The hand-over hangs; its row has now waited 90 s.
        await d.sql`update event_outbox_batches set created_at = now() - interval '90 seconds'`;
        const lagging = (await c.report()).parts.ingest;
        expect(lagging).toMatchObject({ status: "degraded", reason: "forwarder lagging" });
        expect(lagging.forwarder.lagSeconds).toBeGreaterThanOrEqual(90);
        release();
        await expect.poll(async () => (await c.report()).parts.ingest.status, { timeout: 10_000 }).toBe("ok");
        expect((await c.report()).parts.ingest.forwarder).toMatchObject({ lagSeconds: null, lastSuccessAt: expect.any(String) });
      },
    );
  });
});
