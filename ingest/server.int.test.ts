import { Analytics } from "@segment/analytics-node";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDb } from "../db/client";
import { createApiKey, revokeApiKey } from "../db/queries/api-keys";
import type { OutboxEvent } from "../db/queries/tracking";
import { contacts, eventOutboxBatches, events, workspaces } from "../db/schema/index";
import { freshDatabase, type TestDatabase } from "../e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "../e2e/fixtures/seed";
import { MAX_JSON_DEPTH } from "../lib/json-depth";
import { UNSTORABLE_MESSAGE } from "../lib/storable";
import { startIngestServer, type IngestServer } from "./server";

let t: TestDatabase;
let ws: SeededWorkspace;
let key: string;
let ingest: IngestServer;
const forwarded: OutboxEvent[] = [];

beforeAll(async () => {
  t = await freshDatabase();
  ws = await seedWorkspace(t.db, { contacts: 0 });
  key = (await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id })).key;
  ingest = await startIngestServer({
    db: t.db,
    port: 0,
    writers: t.embedded ? 1 : 2,
    forward: (batch) => Promise.resolve(void forwarded.push(...batch)),
    forwardEveryMs: 20,
    log: () => {},
  });
});
afterAll(async () => {
  await ingest.stop();
  await t.destroy();
});
beforeEach(() => {
  forwarded.length = 0;
});

const auth = (k: string) => ({ authorization: `Basic ${Buffer.from(`${k}:`).toString("base64")}`, "content-type": "application/json" });
const post = (path: string, body: unknown, headers: Record<string, string> = auth(key)) =>
  fetch(`${ingest.url}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

/** The forwarder runs off the request path: poll (with a deadline) until it has caught up. */
async function forwardedFor(eventIds: string[], timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!eventIds.every((id) => forwarded.some((f) => f.eventId === id))) {
    if (Date.now() > deadline) throw new Error(`not forwarded: ${eventIds.filter((id) => !forwarded.some((f) => f.eventId === id)).join(", ")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the real Segment client", () => {
  it("identifies, tracks and batches into contacts and events, forwarded to Inngest", async () => {
    const analytics = new Analytics({ writeKey: key, host: ingest.url, flushAt: 3, maxRetries: 0 });
    analytics.identify({ userId: "user-1", traits: { email: "kari@example.com", firstName: "Kari" } });
    analytics.track({ userId: "user-1", event: "Product Added", properties: { cartId: "cart-9", price: 49 } });
    analytics.page({ userId: "user-1", name: "Pricing", properties: { path: "/pricing" } });
    analytics.track({ userId: "user-1", event: "Order Completed", properties: { revenue: 98 } });
    await analytics.closeAndFlush({ timeout: 10_000 });

    const [c] = await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.workspace.id), eq(contacts.externalId, "user-1")));
    expect(c).toMatchObject({ email: "kari@example.com", firstName: "Kari", status: "unconfirmed", source: "tracking" });
    // An event committed in parallel with the identify attaches once the forwarder sees it.
    const stored = await t.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.userId, "user-1")));
    await forwardedFor(stored.map((e) => e.id));
    expect(stored.map((e) => e.name).sort()).toEqual(["Identified", "Order Completed", "Page Viewed", "Product Added"]);
    expect(stored.find((e) => e.name === "Product Added")!.properties).toEqual({ cartId: "cart-9", price: 49 });
    expect(forwarded.every((f) => f.contactId === c!.id && f.workspaceId === ws.workspace.id)).toBe(true);
    // Rows leave the outbox once Inngest accepted them (just after the send returns).
    const deadline = Date.now() + 10_000;
    while ((await t.db.select().from(eventOutboxBatches)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await t.db.select().from(eventOutboxBatches)).toHaveLength(0);
  });
});

describe("the tracking API", () => {
  it("stores a repeated messageId once", async () => {
    const msg = { userId: "user-dup", event: "Clicked", messageId: "dup-1" };
    expect((await post("/v1/track", msg)).status).toBe(200);
    expect((await post("/v1/track", msg)).status).toBe(200);
    expect(await t.db.select().from(events).where(eq(events.messageId, "dup-1"))).toHaveLength(1);
  });

  it("attaches an anonymous visitor's events to the contact on identify", async () => {
    expect((await post("/v1/page", { anonymousId: "anon-7", name: "Home", messageId: "p-anon-7" })).status).toBe(200);
    const [before] = await t.db.select().from(events).where(eq(events.messageId, "p-anon-7"));
    expect(before!.contactId).toBeNull();
    expect(forwarded.some((f) => f.eventId === before!.id)).toBe(false);
    const r = await post("/api/v1/identify", { anonymousId: "anon-7", userId: "user-7", traits: { email: "Ola@Example.com" } });
    expect(r.status).toBe(200);
    const [after] = await t.db.select().from(events).where(eq(events.messageId, "p-anon-7"));
    expect(after!.contactId).not.toBeNull();
    // Queued for the forwarder as the identify commits (its row may already be forwarded and gone).
    const queued = await t.sql`select 1 from event_outbox_batches where ${after!.id}::uuid = any(event_ids)`;
    expect(queued.length === 1 || forwarded.some((f) => f.eventId === after!.id)).toBe(true);
    await forwardedFor([after!.id]);
    // A later page view under the same anonymous id goes straight to the contact.
    await post("/v1/page", { anonymousId: "anon-7", name: "Shop", messageId: "p-anon-7b" });
    const [later] = await t.db.select().from(events).where(eq(events.messageId, "p-anon-7b"));
    expect(later!.contactId).toBe(after!.contactId);
  });

  it("corrects clock skew with sentAt", async () => {
    const sentAt = new Date(Date.now() - 3_600_000);
    await post("/v1/track", { userId: "user-1", event: "Skewed", messageId: "skew-1", timestamp: sentAt.toISOString(), sentAt: sentAt.toISOString() });
    const [e] = await t.db.select().from(events).where(eq(events.messageId, "skew-1"));
    expect(Math.abs(e!.occurredAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("answers CORS preflights for browsers", async () => {
    const r = await fetch(`${ingest.url}/v1/track`, { method: "OPTIONS", headers: { origin: "https://shop.example", "access-control-request-method": "POST" } });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it.each([
    ["broken JSON", "/v1/track", "{not json", 400, "body is not valid JSON"],
    ["no ids", "/v1/track", { event: "X" }, 400, "userId or anonymousId is required"],
    ["no event", "/v1/track", { userId: "u" }, 400, "event is required"],
    ["a 1 MB batch", "/v1/batch", { batch: [{ type: "track", userId: "u", event: "X", properties: { blob: "x".repeat(1024 * 1024) } }] }, 400, "larger than 500 KB"],
    ["a 40 KB call", "/v1/track", { userId: "u", event: "X", properties: { blob: "x".repeat(40 * 1024) } }, 400, "larger than 32 KB"],
    ["an unknown route", "/v1/video", { userId: "u" }, 404, "no route"],
    ["an alias without userId", "/a", { anonymousId: "a", previousId: "p" }, 400, "userId is required"],
    ["a group without groupId", "/g", { userId: "u" }, 400, "groupId is required"],
  ] as const)("refuses %s with a 4xx naming the problem", async (_what, path, body, status, message) => {
    const r = await post(path, body);
    expect(r.status).toBe(status);
    expect(((await r.json()) as { message: string }).message).toContain(message);
  });

  it("refuses a missing, wrong or revoked key with 401, storing nothing", async () => {
    const revoked = await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Old", kind: "public", createdBy: ws.owner.id });
    await revokeApiKey(t.db, { workspaceId: ws.workspace.id, id: revoked.id, now: new Date() });
    const body = { userId: "u-keys", event: "Nope", messageId: "keys-1" };
    const missing = await post("/v1/track", body, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toContain("missing write key");
    for (const k of ["tk_pub_wrong", revoked.key]) {
      const r = await post("/v1/track", body, auth(k));
      expect(r.status).toBe(401);
      expect(((await r.json()) as { message: string }).message).toBe("unknown or revoked write key");
    }
    // writeKey in the body works as well as Basic auth.
    expect((await post("/v1/track", { ...body, writeKey: key }, { "content-type": "application/json" })).status).toBe(200);
    expect(await t.db.select().from(events).where(eq(events.messageId, "keys-1"))).toHaveLength(1);
  });

  it("keeps the valid messages of a batch and names the invalid ones", async () => {
    const r = await post("/v1/batch", {
      batch: [
        { type: "track", userId: "u-b", event: "Good", messageId: "b-1" },
        { type: "track", event: "No id", messageId: "b-2" },
        { type: "video", userId: "u-b", messageId: "b-3" },
        { type: "identify", userId: "u-b", traits: {}, messageId: "b-4" },
      ],
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      success: false,
      accepted: 2,
      errors: [
        { index: 1, message: "userId or anonymousId is required" },
        { index: 2, message: 'type "video" is not supported (identify, track, page, screen, group, alias)' },
      ],
    });
    const stored = await t.db.select({ m: events.messageId }).from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.userId, "u-b")));
    expect(stored.map((s) => s.m).sort()).toEqual(["b-1", "b-4"]);
    // Nobody to attach these to (no email, unknown userId): they wait, out of the forwarder's
    // queue, unforwarded.
    const waiting = await t.db.select({ id: events.id }).from(events).where(and(eq(events.userId, "u-b"), isNull(events.contactId)));
    expect(waiting).toHaveLength(2);
    const queued = await t.sql`select 1 from event_outbox_batches b, unnest(b.event_ids) listed(event_id) where listed.event_id = any(${waiting.map((w) => w.id)}::uuid[])`;
    expect(queued).toEqual([]);
    expect(forwarded.filter((f) => waiting.some((w) => w.id === f.eventId))).toEqual([]);
  });
});

describe("deeply nested JSON", () => {
  // 10,000 nested arrays: parsed without trouble, but every recursive walk of it (serialising it
  // for jsonb among them) overflows the stack; refused by name, not answered "retry".
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
  const limitMessage = (field: string) => `${field}: objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep`;

  it.each([
    ["properties of a track", "/v1/track", `{"userId":"u-deep","event":"Deep","properties":{"list":${deep(10_000)}}}`, "properties"],
    ["traits of an identify", "/v1/identify", `{"userId":"u-deep","traits":{"list":${deep(10_000)}}}`, "traits"],
    ["the context of a page", "/api/v1/page", `{"userId":"u-deep","context":{"page":${deep(10_000)}}}`, "context"],
    ["a field nobody reads", "/v1/track", `{"userId":"u-deep","event":"Deep","extra":${deep(10_000)}}`, "extra"],
    ["a body that is only nesting", "/v1/track", deep(10_000), "body"],
    ["nesting around text Postgres cannot store", "/v1/track", `{"userId":"u-deep","event":"Deep","properties":{"list":${"[".repeat(10_000)}"\\u0000"${"]".repeat(10_000)}}}`, "properties"],
    ["a batch's shared context", "/v1/batch", `{"context":{"x":${deep(10_000)}},"batch":[{"type":"track","userId":"u-deep","event":"Deep"}]}`, "context"],
  ] as const)("refuses %s with a 400 naming the depth limit", async (_what, path, body, field) => {
    const r = await post(path, body);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toBe(limitMessage(field));
    expect(await t.db.select().from(events).where(eq(events.userId, "u-deep"))).toHaveLength(0);
  });

  it("names the too-deep messages of a batch and keeps the rest", async () => {
    const batch = `{"batch":[{"type":"track","userId":"u-deep-b","event":"Kept","messageId":"deep-kept"},{"type":"track","userId":"u-deep-b","event":"Deep","properties":{"list":${deep(10_000)}}}]}`;
    const r = await post("/v1/batch", batch);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ success: false, accepted: 1, errors: [{ index: 1, message: limitMessage("properties") }] });
    const stored = await t.db.select({ m: events.messageId }).from(events).where(eq(events.userId, "u-deep-b"));
    expect(stored.map((e) => e.m)).toEqual(["deep-kept"]);
  });

  it("stores properties nested right up to the limit, and refuses one level more", async () => {
    // The properties object itself is the first level.
    const nested = (levels: number) => `{"list":${deep(levels - 1)}}`;
    const at = await post("/v1/track", `{"userId":"u-deep-limit","event":"AtLimit","messageId":"deep-at","properties":${nested(MAX_JSON_DEPTH)}}`);
    expect(at.status).toBe(200);
    const over = await post("/v1/track", `{"userId":"u-deep-limit","event":"Over","messageId":"deep-over","properties":${nested(MAX_JSON_DEPTH + 1)}}`);
    expect(over.status).toBe(400);
    expect(((await over.json()) as { message: string }).message).toBe(limitMessage("properties"));
    const stored = await t.db.select({ m: events.messageId }).from(events).where(eq(events.userId, "u-deep-limit"));
    expect(stored.map((e) => e.m)).toEqual(["deep-at"]);
  });
});

describe("grouped commits", () => {
  it("refuses text Postgres cannot store with a 400, without failing the requests committed beside it", async () => {
    const sent = await Promise.all([
      post("/v1/track", { userId: "u-nul", event: "Bad", properties: { note: "a\u0000b" }, messageId: "nul-bad" }),
      post("/v1/identify", { userId: "u-nul", traits: { firstName: "\udc00" }, messageId: "nul-half" }),
      ...Array.from({ length: 8 }, (_, i) => post("/v1/track", { userId: "u-nul", event: "Good", messageId: `nul-good-${i}` })),
    ]);
    expect(sent.map((r) => r.status)).toEqual([400, 400, ...Array<number>(8).fill(200)]);
    expect(((await sent[0].json()) as { message: string }).message).toBe(`properties.note: ${UNSTORABLE_MESSAGE}`);
    expect(((await sent[1].json()) as { message: string }).message).toBe(`traits.firstName: ${UNSTORABLE_MESSAGE}`);
    const stored = await t.db.select({ m: events.messageId }).from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.userId, "u-nul")));
    expect(stored.map((e) => e.m).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `nul-good-${i}`).sort());
  });

  it("commits everyone else's events when the database refuses one request of a group", async () => {
    // A workspace deleted while its key is still trusted (cached): its events cannot be stored.
    const [gone] = await t.db.insert(workspaces).values({ name: "Gone", slug: `gone-${Date.now().toString(36)}` }).returning();
    const goneKey = (await createApiKey(t.db, { workspaceId: gone!.id, name: "Site", kind: "public", createdBy: ws.owner.id })).key;
    expect((await post("/v1/track", { userId: "u-gone", event: "Warm", messageId: "gone-warm" }, auth(goneKey))).status).toBe(200);
    await t.db.delete(workspaces).where(eq(workspaces.id, gone!.id));

    const sent = await Promise.all([
      post("/v1/track", { userId: "u-gone", event: "Lost", messageId: "gone-1" }, auth(goneKey)),
      ...Array.from({ length: 8 }, (_, i) => post("/v1/track", { userId: "u-kept", event: "Kept", messageId: `kept-${i}` })),
    ]);
    expect(sent.map((r) => r.status)).toEqual([503, ...Array<number>(8).fill(200)]);
    const stored = await t.db.select({ m: events.messageId }).from(events).where(eq(events.userId, "u-kept"));
    expect(stored).toHaveLength(8);
  });
});

describe("write keys", () => {
  it("stops accepting a key revoked while cached, within the cache time", async () => {
    const short = await startIngestServer({ db: t.db, port: 0, keyCacheMs: 300, log: () => {} });
    try {
      const k = await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Soon revoked", kind: "public", createdBy: ws.owner.id });
      const send = (n: number) =>
        fetch(`${short.url}/v1/track`, { method: "POST", headers: auth(k.key), body: JSON.stringify({ userId: "u-rev", event: "E", messageId: `rev-${n}` }) });
      expect((await send(0)).status).toBe(200);
      const revokedAt = Date.now();
      await revokeApiKey(t.db, { workspaceId: ws.workspace.id, id: k.id, now: new Date() });
      let n = 1;
      let status = 200;
      while (status === 200 && Date.now() - revokedAt < 5_000) status = (await send(n++)).status;
      expect(status).toBe(401);
      // Trusted at most keyCacheMs after its last check (plus the request in flight).
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
    } finally {
      await short.stop();
    }
  });
});

describe("GET /health", () => {
  it("reports the last minute's commits, the queue and the forwarder, in totals only", async () => {
    const writers = t.embedded ? 1 : 2;
    const own = await startIngestServer({ db: t.db, port: 0, writers, forward: async () => {}, forwardEveryMs: 20, log: () => {} });
    try {
      const before: unknown = await fetch(`${own.url}/health`).then((r) => r.json());
      expect(before).toMatchObject({ ok: true, database: { reachable: true }, commits: { commits: 0, events: 0, commitP99Ms: null }, forwarder: { on: true } });
      // Five events through the shared server, two through this one: only its own count here.
      const batch = { batch: Array.from({ length: 5 }, (_, i) => ({ type: "track", userId: "u-health", event: "Viewed", messageId: `health-${i}` })) };
      const track = (i: number) =>
        fetch(`${own.url}/v1/track`, { method: "POST", headers: auth(key), body: JSON.stringify({ userId: "u-health", event: "Viewed", messageId: `health-own-${i}` }) });
      const [shared, ...mine] = await Promise.all([post("/v1/batch", batch), track(0), track(1)]);
      expect([shared.status, ...mine.map((r) => r.status)]).toEqual([200, 200, 200]);
      const after = (await fetch(`${own.url}/health`).then((r) => r.json())) as { commits: { commits: number; events: number; commitP50Ms: number }; queue: unknown };
      expect(after.commits.events).toBe(2);
      expect(after.commits.commits).toBeGreaterThanOrEqual(1);
      expect(after.commits.commitP50Ms).toBeGreaterThan(0);
      expect(after.queue).toEqual({ waitingRequests: 0, commitsInFlight: 0, writers });
      expect(JSON.stringify(after)).not.toContain(ws.workspace.id);
    } finally {
      await own.stop();
    }
  });

  it("reports how late the event loop ran, so a stalled ingest shows", async () => {
    const own = await startIngestServer({ db: t.db, port: 0, log: () => {} });
    try {
      type Health = { eventLoopDelay: { sinceSeconds: number; maxMs?: number; p50Ms?: number } };
      const health = async () => ((await fetch(`${own.url}/health`).then((r) => r.json())) as Health).eventLoopDelay;
      // The monitor measures from its first tick on: wait for a first figure.
      await expect.poll(async () => (await health()).maxMs, { timeout: 5_000 }).toBeTypeOf("number");
      // The server runs in this process: holding the loop here stalls it.
      const until = performance.now() + 150;
      while (performance.now() < until);
      await expect.poll(async () => (await health()).maxMs, { timeout: 5_000 }).toBeGreaterThanOrEqual(100);
      const after = await health();
      expect(after.sinceSeconds).toBeGreaterThanOrEqual(0);
      expect(after.p50Ms).toBeLessThan(after.maxMs!);
    } finally {
      await own.stop();
    }
  });

  it("echoes the stack's instance id, and moves the forwarder's counters batch by batch while it drains a long backlog", async () => {
    // A database of its own: the shared ingest's forwarder must not take these rows.
    const d = await freshDatabase();
    const w = await seedWorkspace(d.db, { contacts: 0 });
    const k = (await createApiKey(d.db, { workspaceId: w.workspace.id, name: "Site", kind: "public", createdBy: w.owner.id })).key;
    // Each hand-over to Inngest waits until the test lets it through.
    const calls: { size: number; release: () => void }[] = [];
    const own = await startIngestServer({
      db: d.db,
      port: 0,
      writers: 1,
      instance: "stack-7f3a",
      // Every /health reads the backlog afresh, so the lag shows the backlog the moment it is there.
      backlogEveryMs: 0,
      forward: (batch) => new Promise<void>((release) => calls.push({ size: batch.length, release })),
      forwardEveryMs: 20,
      log: () => {},
    });
    type Forwarder = { on: boolean; draining: boolean; forwarded: number; lastSuccessAt: string | null; lastPassAt: string | null; lagSeconds: number | null };
    const health = async () => (await fetch(`${own.url}/health`).then((r) => r.json())) as { ok: boolean; instance: string | null; forwarder: Forwarder };
    try {
      // The forwarder's first pass (on an empty outbox) is over before the backlog arrives.
      await expect.poll(async () => (await health()).forwarder.lastPassAt).not.toBeNull();
      const idle = (await health()).forwarder;
      expect(idle).toMatchObject({ on: true, forwarded: 0, lastSuccessAt: null, lagSeconds: null });
      // One commit of 1,201 events: one outbox row, handed over as batches of 500, 500 and 201.
      const batch = {
        batch: [
          { type: "identify", userId: "u-drain", traits: { email: "drain@example.com" }, messageId: "drain-identify" },
          ...Array.from({ length: 1200 }, (_, i) => ({ type: "track", userId: "u-drain", event: "Viewed", messageId: `drain-${i}` })),
        ],
      };
      expect((await fetch(`${own.url}/v1/batch`, { method: "POST", headers: auth(k), body: JSON.stringify(batch) })).status).toBe(200);

      await expect.poll(() => calls.length).toBe(1);
      const first = await health();
      expect(first.instance).toBe("stack-7f3a");
      expect(first.forwarder).toMatchObject({ on: true, draining: true, forwarded: 0, lastSuccessAt: null });
      // A pass ends once the outbox is empty: this one's end is not stamped until the drain is over.
      const passBefore = first.forwarder.lastPassAt;
      // The backlog waits: its lag is measured (the outbox row is still there while it is sent).
      expect(first.forwarder.lagSeconds).toEqual(expect.any(Number));

      calls[0]!.release();
      await expect.poll(() => calls.length).toBe(2);
      const second = (await health()).forwarder;
      expect(second).toMatchObject({ draining: true, forwarded: 500, lastPassAt: passBefore });
      expect(Date.parse(second.lastSuccessAt!)).toBeGreaterThan(0);

      calls[1]!.release();
      await expect.poll(() => calls.length).toBe(3);
      const third = (await health()).forwarder;
      expect(third).toMatchObject({ draining: true, forwarded: 1000, lastPassAt: passBefore });
      expect(Date.parse(third.lastSuccessAt!)).toBeGreaterThanOrEqual(Date.parse(second.lastSuccessAt!));

      calls[2]!.release();
      await expect.poll(async () => (await health()).forwarder.forwarded).toBe(1201);
      await expect.poll(async () => (await health()).forwarder.draining).toBe(false);
      expect(Date.parse((await health()).forwarder.lastPassAt!)).toBeGreaterThan(Date.parse(passBefore!));
      expect(calls.map((c) => c.size)).toEqual([500, 500, 201]);
    } finally {
      calls.forEach((c) => c.release());
      await own.stop();
      await d.destroy();
    }
  });

  /** An ingest whose database is a port nothing listens on. */
  async function withUnreachableDatabase(fn: (url: string) => Promise<void>) {
    const dead = openDb("postgres://root@127.0.0.1:1/none", { max: 1 });
    const own = await startIngestServer({ db: dead.db, port: 0, log: () => {} });
    try {
      await fn(own.url);
    } finally {
      await own.stop();
      await dead.close();
    }
  }

  it("answers a tracking call 503 with Retry-After when the database cannot be reached", () =>
    withUnreachableDatabase(async (url) => {
      const res = await fetch(`${url}/v1/track`, { method: "POST", headers: auth(key), body: JSON.stringify({ userId: "u-dead", event: "Lost" }) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.json()).toEqual({ success: false, message: "not stored: the database is unavailable, retry later" });
    }));

  it("answers 503 when the database cannot be reached", () =>
    withUnreachableDatabase(async (url) => {
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(503);
      const body: unknown = await res.json();
      expect(body).toMatchObject({ ok: false, database: { reachable: false }, forwarder: { on: false } });
      // Where the database lives stays in the log.
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    }));
});
