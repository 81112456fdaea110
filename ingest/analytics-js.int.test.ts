import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../db/queries/api-keys";
import { contactTimeline } from "../db/queries/contacts";
import { contacts, events } from "../db/schema/index";
import { freshDatabase, type TestDatabase } from "../e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "../e2e/fixtures/seed";
import { MAX_JSON_DEPTH } from "../lib/json-depth";
import { startIngestServer, type IngestServer } from "./server";

/**
 * The browser library (@segment/analytics-next, analytics.js 2.0) pointed at the ingest: its
 * paths (/v1/<type's first letter>, /v1/b when batching), its text/plain bodies with the write key
 * inside, group, alias and screen, and the settings document it configures itself from. The
 * bodies are shaped as analytics-next 1.84 sends them (src/plugins/segmentio: normalize.ts,
 * batched-dispatcher.ts).
 */

let t: TestDatabase;
let ws: SeededWorkspace;
let key: string;
let ingest: IngestServer;

beforeAll(async () => {
  t = await freshDatabase();
  ws = await seedWorkspace(t.db, { contacts: 0 });
  key = (await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Site", kind: "public", createdBy: ws.owner.id })).key;
  ingest = await startIngestServer({ db: t.db, port: 0, writers: t.embedded ? 1 : 2, log: () => {} });
});
afterAll(async () => {
  await ingest.stop();
  await t.destroy();
});

let n = 0;
/** One event as analytics-next's Segment.io plugin sends it (after normalize()). */
function ajs(type: string, anonymousId: string, fields: Record<string, unknown>, writeKey = key) {
  return {
    type,
    anonymousId,
    userId: null,
    context: {
      page: { path: "/shop", referrer: "", search: "", title: "Shop", url: "https://shop.example/shop" },
      userAgent: "Mozilla/5.0",
      locale: "en-GB",
      library: { name: "analytics.js", version: "next-1.84.3" },
    },
    integrations: {},
    messageId: `ajs-next-${Date.now()}-${++n}`,
    timestamp: new Date().toISOString(),
    writeKey,
    sentAt: new Date().toISOString(),
    _metadata: { bundled: ["Segment.io"], unbundled: [], bundledIds: [] },
    ...fields,
  };
}

/** analytics-next's fetch: text/plain, the write key in the body (and, since 1.7x, as Basic auth too). */
const send = (path: string, body: unknown, opts: { basic?: string } = {}) =>
  fetch(`${ingest.url}${path}`, {
    method: "POST",
    headers: { "content-type": "text/plain", ...(opts.basic ? { authorization: `Basic ${Buffer.from(`${opts.basic}:`).toString("base64")}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const contactByEmail = async (email: string) =>
  (await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.workspace.id), eq(contacts.email, email))))[0];
const timelineTitlesIn = async (workspaceId: string, contactId: string) =>
  (await contactTimeline(t.db, { workspaceId, contactId })).filter((e) => e.kind === "event").map((e) => e.title);
const timelineTitles = (contactId: string) => timelineTitlesIn(ws.workspace.id, contactId);

describe("analytics.js paths and bodies", () => {
  it("lands identify, track, page, screen, group and alias on the contact's timeline", async () => {
    const anon = "anon-ajs-1";
    // Before anyone knows who this is: waits for the identify.
    expect((await send("/v1/p", ajs("page", anon, { name: "Shop", properties: { path: "/shop", url: "https://shop.example/shop" } }))).status).toBe(200);
    const r = await send("/v1/i", ajs("identify", anon, { userId: "cust-1", traits: { email: "ajs@example.com", firstName: "Ada" } }));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ success: true });
    expect((await send("/v1/t", ajs("track", anon, { userId: "cust-1", event: "Product Added", properties: { sku: "A-1", price: 12 } }), { basic: key })).status).toBe(200);
    expect((await send("/v1/s", ajs("screen", anon, { userId: "cust-1", name: "Cart", properties: { items: 1 } }))).status).toBe(200);
    const group = ajs("group", anon, { userId: "cust-1", groupId: "acct-7", traits: { name: "Acme AS", plan: "pro", employees: 40, address: { city: "Oslo" } } });
    expect((await send("/v1/g", group)).status).toBe(200);
    expect((await send("/v1/a", ajs("alias", anon, { userId: "cust-1b", previousId: "cust-1" }))).status).toBe(200);
    // The paths without /v1 as well (an apiHost without it).
    expect((await send("/t", ajs("track", anon, { userId: "cust-1b", event: "Checkout Started" }))).status).toBe(200);

    const contact = await contactByEmail("ajs@example.com");
    expect(contact).toBeDefined();
    expect(contact!.firstName).toBe("Ada");
    // Alias moved the contact to its new user id.
    expect(contact!.externalId).toBe("cust-1b");
    // Group: the account's flat traits as company_ attributes; nested ones stay on the event.
    expect(contact!.attributes).toEqual({ company_id: "acct-7", company_name: "Acme AS", company_plan: "pro", company_employees: 40 });
    expect((await timelineTitles(contact!.id)).sort()).toEqual(
      ["Aliased", "Checkout Started", "Group Joined", "Identified", "Page Viewed", "Product Added", "Screen Viewed"].sort(),
    );
    const [groupEvent] = await t.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.messageId, group.messageId)));
    expect(groupEvent).toMatchObject({ type: "group", properties: { groupId: "acct-7", address: { city: "Oslo" } } });
    const [screen] = await t.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.name, "Screen Viewed"), eq(events.contactId, contact!.id)));
    expect(screen!.properties).toEqual({ name: "Cart", items: 1 });
  });

  it("delivers batching mode (/v1/b) to the timeline, with one sentAt for the batch", async () => {
    const anon = "anon-ajs-batch";
    const strip = (e: Record<string, unknown>) => {
      const { sentAt: _sentAt, ...rest } = e;
      return rest;
    };
    const batch = [
      ajs("page", anon, { properties: { path: "/" } }),
      ajs("identify", anon, { traits: { email: "batch-ajs@example.com" } }),
      ajs("track", anon, { event: "Product Added", properties: { sku: "B-2" } }),
      ajs("group", anon, { groupId: "acct-b", traits: { name: "Batch Co" } }),
    ].map(strip);
    const r = await send("/v1/b", { writeKey: key, batch, sentAt: new Date().toISOString() }, { basic: key });
    expect(r.status).toBe(200);
    const contact = await contactByEmail("batch-ajs@example.com");
    expect((await timelineTitles(contact!.id)).sort()).toEqual(["Group Joined", "Identified", "Page Viewed", "Product Added"]);
    expect(contact!.attributes).toEqual({ company_id: "acct-b", company_name: "Batch Co" });
  });

  it("stores a resent message once (messageId), in either mode", async () => {
    const body = ajs("track", "anon-replay", { userId: "replay-1", event: "Replayed" });
    for (let i = 0; i < 3; i++) expect((await send("/v1/t", body)).status).toBe(200);
    expect((await send("/v1/b", { writeKey: key, batch: [body, body] })).status).toBe(200);
    const stored = await t.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.messageId, body.messageId)));
    expect(stored).toHaveLength(1);
  });
});

describe("alias", () => {
  it("hands an anonymous visitor's waiting events to the known contact", async () => {
    // A visitor browses on a second device, then logs in: the site aliases the device's id.
    await send("/v1/i", ajs("identify", "anon-device-1", { userId: "cust-alias", traits: { email: "alias@example.com" } }));
    await send("/v1/p", ajs("page", "anon-device-2", { properties: { path: "/pricing" } }));
    await send("/v1/t", ajs("track", "anon-device-2", { event: "Trial Viewed" }));
    expect((await send("/v1/a", ajs("alias", "anon-device-2", { userId: "cust-alias", previousId: "anon-device-2" }))).status).toBe(200);
    // Later events from that device reach the contact directly.
    await send("/v1/t", ajs("track", "anon-device-2", { event: "Trial Started" }));
    const contact = await contactByEmail("alias@example.com");
    expect((await timelineTitles(contact!.id)).sort()).toEqual(["Aliased", "Identified", "Page Viewed", "Trial Started", "Trial Viewed"]);
  });

  it("never merges two known contacts", async () => {
    await send("/v1/i", ajs("identify", "anon-x", { userId: "x-1", traits: { email: "x1@example.com" } }));
    await send("/v1/i", ajs("identify", "anon-y", { userId: "y-1", traits: { email: "y1@example.com" } }));
    expect((await send("/v1/a", ajs("alias", "anon-y", { userId: "x-1", previousId: "y-1" }))).status).toBe(200);
    const x = await contactByEmail("x1@example.com");
    const y = await contactByEmail("y1@example.com");
    expect([x!.externalId, y!.externalId]).toEqual(["x-1", "y-1"]);
    expect(await timelineTitles(y!.id)).toEqual(["Identified"]);
  });
});

describe("workspaces", () => {
  it("lets one workspace's write key neither group nor alias another workspace's contacts", async () => {
    const other = await seedWorkspace(t.db, { contacts: 0 });
    const otherKey = (await createApiKey(t.db, { workspaceId: other.workspace.id, name: "Theirs", kind: "public", createdBy: other.owner.id })).key;
    await send("/v1/i", ajs("identify", "anon-theirs", { userId: "shared-id", traits: { email: "theirs@example.com" } }, otherKey));
    expect((await send("/v1/g", ajs("group", "anon-theirs", { userId: "shared-id", groupId: "hijack", traits: { name: "Evil" } }))).status).toBe(200);
    expect((await send("/v1/a", ajs("alias", "anon-theirs", { userId: "taken-over", previousId: "shared-id" }))).status).toBe(200);
    const [theirs] = await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, other.workspace.id), eq(contacts.email, "theirs@example.com")));
    expect(theirs).toMatchObject({ externalId: "shared-id", attributes: {} });
    expect(await timelineTitlesIn(other.workspace.id, theirs!.id)).toEqual(["Identified"]);
  });
});

describe("abuse", () => {
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

  it("refuses a wrong write key, in the body or the batch, with 401 and stores nothing", async () => {
    const r = await send("/v1/t", ajs("track", "anon-wrong", { userId: "wrong-1", event: "Nope" }, "tk_pub_wrong"));
    expect(r.status).toBe(401);
    const b = await send("/v1/b", { writeKey: "tk_pub_wrong", batch: [ajs("track", "anon-wrong", { userId: "wrong-1", event: "Nope" }, "tk_pub_wrong")] });
    expect(b.status).toBe(401);
    const none = await send("/v1/g", { ...ajs("group", "anon-wrong", { userId: "wrong-1", groupId: "g" }), writeKey: undefined });
    expect(none.status).toBe(401);
    expect(await t.db.select().from(events).where(eq(events.userId, "wrong-1"))).toHaveLength(0);
  });

  it.each([
    ["garbage", "/v1/t", "\u0000\u00ff not json at all"],
    ["an empty body", "/v1/i", ""],
    ["a JSON array", "/v1/g", "[1,2,3]"],
    ["a JSON string", "/v1/a", '"hello"'],
    ["null", "/v1/s", "null"],
    ["a batch that is not a list", "/v1/b", `{"writeKey":"KEY","batch":{"type":"track"}}`],
    ["a group with an object for groupId", "/v1/g", `{"writeKey":"KEY","userId":"u","groupId":{"a":1}}`],
    ["an alias with a list for previousId", "/v1/a", `{"writeKey":"KEY","userId":"u","previousId":[1]}`],
    ["a 40 KB call", "/v1/g", `{"writeKey":"KEY","userId":"u","groupId":"g","traits":{"x":"${"x".repeat(40 * 1024)}"}}`],
    ["a 1 MB batch", "/v1/b", `{"writeKey":"KEY","batch":[{"type":"track","userId":"u","event":"X","properties":{"x":"${"x".repeat(1024 * 1024)}"}}]}`],
    ["group traits nested too deep", "/v1/g", `{"writeKey":"KEY","userId":"u","groupId":"g","traits":{"x":${deep(10_000)}}}`],
    ["alias nested too deep", "/v1/a", `{"writeKey":"KEY","userId":"u","previousId":"p","context":${deep(10_000)}}`],
    ["a batched screen nested too deep", "/v1/b", `{"writeKey":"KEY","batch":[{"type":"screen","userId":"u","properties":{"x":${deep(10_000)}}}]}`],
    ["text Postgres cannot store", "/v1/g", `{"writeKey":"KEY","userId":"u","groupId":"g","traits":{"name":"\\u0000"}}`],
  ])("answers %s with a 4xx, never a 5xx", async (_what, path, body) => {
    const r = await send(path, body.replaceAll("KEY", key));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it("answers a flood of malformed group and alias calls with 4xx and stays up", async () => {
    const bodies = Array.from({ length: 200 }, (_, i) =>
      i % 2 ? { writeKey: key, type: "group", userId: `flood-${i}`, groupId: i % 3 ? null : "" } : { writeKey: key, type: "alias", userId: i % 4 ? "" : `flood-${i}` },
    );
    const answers = await Promise.all(bodies.map((b) => send(b.type === "group" ? "/v1/g" : "/v1/a", b)));
    expect(answers.every((a) => a.status >= 400 && a.status < 500)).toBe(true);
    expect((await send("/v1/t", ajs("track", "anon-after", { userId: "after-flood", event: "Still Up" }))).status).toBe(200);
  });

  it("keeps a batch's group attributes to flat values and MAX_JSON_DEPTH-deep events", async () => {
    await send("/v1/i", ajs("identify", "anon-flat", { userId: "flat-1", traits: { email: "flat@example.com" } }));
    const nested = (levels: number): unknown => (levels <= 1 ? "leaf" : { x: nested(levels - 1) });
    const r = await send("/v1/g", ajs("group", "anon-flat", { userId: "flat-1", groupId: "g-flat", traits: { deep: nested(MAX_JSON_DEPTH - 1), ok: "yes" } }));
    expect(r.status).toBe(200);
    expect((await contactByEmail("flat@example.com"))!.attributes).toEqual({ company_id: "g-flat", company_ok: "yes" });
  });
});

describe("the settings document", () => {
  it("points analytics.js at this ingest for a known write key", async () => {
    const r = await fetch(`${ingest.url}/v1/projects/${key}/settings`);
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    const doc = (await r.json()) as { integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }>; metrics: { sampleRate: number } };
    expect(Object.keys(doc.integrations)).toEqual(["Segment.io"]);
    expect(doc.integrations["Segment.io"]).toMatchObject({ apiKey: key, apiHost: `127.0.0.1:${ingest.port}/v1`, protocol: "http" });
    expect(doc.metrics.sampleRate).toBe(0);
  });

  it("names the public URL when one is configured", async () => {
    const other = await startIngestServer({ db: t.db, port: 0, writers: 1, publicUrl: "https://track.example.com/ingest/", log: () => {} });
    try {
      const doc = (await (await fetch(`${other.url}/v1/projects/${key}/settings`)).json()) as { integrations: Record<string, { apiHost: string; protocol: string }> };
      expect(doc.integrations["Segment.io"]).toMatchObject({ apiHost: "track.example.com/ingest/v1", protocol: "https" });
    } finally {
      await other.stop();
    }
  });

  it("refuses an unknown key with 404, and a bad Host with 400", async () => {
    expect((await fetch(`${ingest.url}/v1/projects/tk_pub_nobody/settings`)).status).toBe(404);
    expect((await fetch(`${ingest.url}/v1/projects/%E0%A4%A/settings`)).status).toBe(400);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${ingest.url}/v1/projects/${key}/settings`, { headers: { host: "evil.example/<script>" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(400);
  });
});

describe("the analytics.js bundle", () => {
  it("serves the installed analytics-next build for a known key, its write key and this ingest filled in", async () => {
    const r = await fetch(`${ingest.url}/analytics.js/v1/${key}/analytics.min.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("javascript");
    const text = await r.text();
    expect(text).toContain(`window.analyticsWriteKey="${key}"`);
    expect(text).toContain(`a._cdn="http://127.0.0.1:${ingest.port}"`);
    expect(text).not.toContain('"__WRITE_KEY__"');
    const { version } = (await import("@segment/analytics-next/package.json", { with: { type: "json" } })).default;
    expect(text).toContain(version);
  });

  it("serves the bundle's chunks by name and nothing else", async () => {
    const index = await fetch(`${ingest.url}/analytics-next/bundles/index.js`);
    expect(index.status).toBe(200);
    for (const bad of ["../package.json", "..%2F..%2Fpackage.json", "standalone.js", "index.js.map", "nope.bundle.0123456789abcdef.js"]) {
      expect((await fetch(`${ingest.url}/analytics-next/bundles/${bad}`)).status).toBe(404);
    }
  });

  it("refuses an unknown write key with 404", async () => {
    expect((await fetch(`${ingest.url}/analytics.js/v1/tk_pub_nobody/analytics.min.js`)).status).toBe(404);
  });

  it("compresses the bundle for a browser that accepts gzip, and only then", async () => {
    const { request } = await import("node:http");
    const { gunzipSync } = await import("node:zlib");
    const get = (encoding?: string) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(`${ingest.url}/analytics.js/v1/${key}/analytics.min.js`, { headers: encoding ? { "accept-encoding": encoding } : {} }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        });
        req.on("error", reject);
        req.end();
      });
    const plain = await get();
    expect(plain.headers["content-encoding"]).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const zipped = await get("gzip, deflate, br");
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    }
  });
});
