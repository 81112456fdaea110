import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "../db/queries/api-keys";
import { contactTimeline } from "../db/queries/contacts";
import type { OutboxEvent } from "../db/queries/tracking";
import { contacts, eventOutboxBatches, events } from "../db/schema/index";
import { freshDatabase, type TestDatabase } from "../e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "../e2e/fixtures/seed";
import { webTracking } from "./web";

/**
 * The tracking API on a Web Request/Response, as the app's /api/track route serves it where no
 * ingest process runs: the same calls land on the contact's timeline, and the forwarding pass
 * after each answer hands them to Inngest (here a capture of what would be sent).
 */

let t: TestDatabase;
let ws: SeededWorkspace;
let key: string;
let tracking: ReturnType<typeof webTracking>;
const forwarded: OutboxEvent[] = [];
const deferred: Promise<void>[] = [];
const ORIGIN = "https://app.example.com";

beforeAll(async () => {
  t = await freshDatabase();
  ws = await seedWorkspace(t.db, { contacts: 0 });
  key = (await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id })).key;
  tracking = webTracking({
    db: t.db,
    basePath: "/api/track",
    writers: t.embedded ? 1 : 2,
    forward: { send: (batch) => Promise.resolve(void forwarded.push(...batch)), claimMs: 15_000 },
    // Next's `after` runs the work once the answer is out; here it runs at once, and is awaited by settle().
    defer: (work) => void deferred.push(work()),
    log: () => {},
  });
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(() => {
  forwarded.length = 0;
});

async function settle() {
  await tracking.settled();
  await Promise.all(deferred.splice(0));
}

const basic = (k: string) => `Basic ${Buffer.from(`${k}:`).toString("base64")}`;
const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: basic(key), "content-type": "application/json" }) =>
  tracking.handle(new Request(`${ORIGIN}/api/track${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }));

const contactBy = async (externalId: string) =>
  (await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.workspace.id), eq(contacts.externalId, externalId))))[0];
const timeline = async (contactId: string) => (await contactTimeline(t.db, { workspaceId: ws.workspace.id, contactId })).map((e) => e.title).sort();

describe("the app's tracking route", () => {
  it("lands identify, track, batch and an analytics.js /t call on the contact's timeline, and forwards them", async () => {
    expect((await post("/v1/identify", { userId: "web-1", traits: { email: "web-1@example.com", firstName: "Vera" }, messageId: "w-i-1" })).status).toBe(200);
    expect((await post("/v1/track", { userId: "web-1", event: "Product Added", properties: { sku: "A-1" }, messageId: "w-t-1" })).status).toBe(200);
    const batch = await post("/v1/batch", {
      batch: [
        { type: "page", userId: "web-1", name: "Pricing", properties: { path: "/pricing" }, messageId: "w-b-1" },
        { type: "track", userId: "web-1", event: "Trial Started", messageId: "w-b-2" },
      ],
    });
    expect(batch.status).toBe(200);
    // analytics-next: text/plain JSON with the write key inside, posted to <apiHost>/t.
    const ajs = await tracking.handle(
      new Request(`${ORIGIN}/api/track/v1/t`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ type: "track", userId: "web-1", anonymousId: "anon-web-1", event: "Checkout Started", writeKey: key, messageId: "w-ajs-1", timestamp: new Date().toISOString() }),
      }),
    );
    expect(ajs.status).toBe(200);
    expect(ajs.headers.get("access-control-allow-origin")).toBe("*");
    await settle();

    const c = await contactBy("web-1");
    expect(c).toMatchObject({ email: "web-1@example.com", firstName: "Vera", status: "unconfirmed", source: "tracking" });
    expect(await timeline(c!.id)).toEqual(["Checkout Started", "Identified", "Page Viewed", "Product Added", "Trial Started"]);
    // The pass after the answers handed every one to Inngest and emptied the outbox.
    const stored = await t.db.select({ id: events.id }).from(events).where(eq(events.contactId, c!.id));
    expect(forwarded.map((f) => f.eventId).sort()).toEqual(stored.map((s) => s.id).sort());
    expect(await t.db.select().from(eventOutboxBatches)).toHaveLength(0);
  });

  it("gives an anonymous visitor's waiting events to the contact an identify makes known", async () => {
    expect((await post("/v1/t", { anonymousId: "anon-late", event: "Browsed", messageId: "w-late-1" })).status).toBe(200);
    await settle();
    expect((await post("/v1/identify", { userId: "web-late", anonymousId: "anon-late", traits: { email: "late@example.com" }, messageId: "w-late-2" })).status).toBe(200);
    await settle();
    const c = await contactBy("web-late");
    expect(await timeline(c!.id)).toEqual(["Browsed", "Identified"]);
    expect(forwarded.map((f) => f.name).sort()).toEqual(["Browsed", "Identified"]);
  });

  it("answers analytics.js's settings document with the route as apiHost, or TRACKING_URL when set", async () => {
    const settings = async (api: ReturnType<typeof webTracking>, host: string) => {
      const r = await api.handle(new Request(`http://${host}/api/track/v1/projects/${encodeURIComponent(key)}/settings`, { headers: { host } }));
      expect(r.status).toBe(200);
      return ((await r.json()) as { integrations: { "Segment.io": { apiHost: string; protocol: string } } }).integrations["Segment.io"];
    };
    expect(await settings(tracking, "app.example.com")).toMatchObject({ apiHost: "app.example.com/api/track/v1", protocol: "http" });
    const pinned = webTracking({ db: t.db, basePath: "/api/track", publicUrl: "https://www.example.com/api/track", defer: () => {}, log: () => {} });
    expect(await settings(pinned, "evil.example.net")).toMatchObject({ apiHost: "www.example.com/api/track/v1", protocol: "https" });
    const unknown = await tracking.handle(new Request(`${ORIGIN}/api/track/v1/projects/nope/settings`));
    expect(unknown.status).toBe(404);
  });

  it("serves the analytics.js bundle that loads its chunks from the route", async () => {
    const r = await tracking.handle(new Request(`${ORIGIN}/api/track/analytics.js/v1/${encodeURIComponent(key)}/analytics.min.js`, { headers: { host: "app.example.com" } }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/javascript/);
    expect(await r.text()).toContain("app.example.com/api/track");
  });
});

describe("abuse", () => {
  it("refuses garbage, oversized bodies, missing and bad write keys with a 4xx naming the problem", async () => {
    const garbage = await post("/v1/track", "{not json");
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ success: false, message: "body is not valid JSON" });

    const invalid = await post("/v1/track", { userId: "x" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toMatch(/event/);

    const big = { userId: "x", event: "Big", properties: { blob: "x".repeat(40 * 1024) } };
    const declared = await post("/v1/track", big);
    expect(declared.status).toBe(400);
    expect(await declared.json()).toMatchObject({ message: "body is larger than 32 KB" });
    // No Content-Length: a streamed body is cut off at the limit.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 100; i++) c.enqueue(new TextEncoder().encode("x".repeat(10 * 1024)));
        c.close();
      },
    });
    const streamed = await tracking.handle(new Request(`${ORIGIN}/api/track/v1/batch`, { method: "POST", body: stream, duplex: "half" } as RequestInit));
    expect(streamed.status).toBe(400);
    expect(await streamed.json()).toMatchObject({ message: "body is larger than 500 KB" });

    const missing = await post("/v1/track", { userId: "x", event: "E" }, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toMatch(/missing write key/);
    const bad = await post("/v1/track", { userId: "x", event: "E" }, { authorization: basic("pk_made_up"), "content-type": "application/json" });
    expect(bad.status).toBe(401);

    const revoked = await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Old", kind: "public", createdBy: ws.owner.id });
    await revokeApiKey(t.db, { workspaceId: ws.workspace.id, id: revoked.id, now: new Date() });
    expect((await post("/v1/track", { userId: "x", event: "E" }, { authorization: basic(revoked.key), "content-type": "application/json" })).status).toBe(401);

    expect((await tracking.handle(new Request(`${ORIGIN}/api/track/v1/nothing`, { method: "POST", body: "{}" }))).status).toBe(404);
    expect((await tracking.handle(new Request(`${ORIGIN}/api/track/v1/track`))).status).toBe(405);
    const preflight = await tracking.handle(new Request(`${ORIGIN}/api/track/v1/t`, { method: "OPTIONS" }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    await settle();
    expect(await t.db.select().from(events).where(eq(events.userId, "x"))).toHaveLength(0);
  });

  it("stores a replayed message once", async () => {
    const msg = { userId: "web-replay", event: "Replayed", messageId: "w-replay-1" };
    for (let i = 0; i < 3; i++) expect((await post("/v1/track", msg)).status).toBe(200);
    expect((await post("/v1/batch", { batch: [{ type: "track", ...msg }, { type: "track", ...msg }] })).status).toBe(200);
    await settle();
    expect(await t.db.select().from(events).where(eq(events.messageId, "w-replay-1"))).toHaveLength(1);
  });

  it("answers a flood of good and made-up keys at once, storing each good message once", async () => {
    expect((await post("/v1/identify", { userId: "web-flood", traits: { email: "flood@example.com" }, messageId: "w-flood-i" })).status).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 3 === 0
          ? post("/v1/track", { userId: "x", event: "Flood" }, { authorization: basic(`pk_flood_${i}`), "content-type": "application/json" })
          : post("/v1/track", { userId: "web-flood", event: "Flood", messageId: `w-flood-${i}` }),
      ),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(100);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(200);
    await settle();
    expect(await t.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.name, "Flood")))).toHaveLength(200);
    expect(forwarded.filter((f) => f.name === "Flood")).toHaveLength(200);
  });
});
