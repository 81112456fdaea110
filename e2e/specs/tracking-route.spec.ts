import { Analytics } from "@segment/analytics-node";
import { and, eq, sql } from "drizzle-orm";
import { rows } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { contactTimeline } from "@/db/queries/contacts";
import { contacts } from "@/db/schema/index";
import { expect, test } from "../fixtures/test";

/**
 * The tracking API on the app's own origin (/api/track/v1/…), as a serverless deployment with no
 * ingest process uses it: the real Segment client and analytics.js's call land on the contact's
 * timeline, and the route's own pass after each answer hands them to Inngest.
 */

test("@smoke Segment's clients track into the app's own origin; the events reach the timeline and Inngest", async ({ db, workspace, baseURL, request }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Shop", kind: "public", createdBy: workspace.owner.id });
  const userId = `route-${workspace.workspace.slug}`;
  // analytics-node resolves its path against the host's origin: the route's path is given whole.
  const analytics = new Analytics({ writeKey: key, host: baseURL!, path: "/api/track/v1/batch", flushAt: 2, maxRetries: 0 });
  analytics.identify({ userId, traits: { email: `${userId}@example.com`, first_name: "Runa" } });
  analytics.track({ userId, event: "Product Added", properties: { sku: "R-1" } });
  await analytics.closeAndFlush({ timeout: 10_000 });
  const single = await request.post("/api/track/v1/track", { headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}` }, data: { userId, event: "Plan Viewed" } });
  expect(single.status()).toBe(200);
  // analytics.js (analytics-next): text/plain JSON with the write key inside, to <apiHost>/t.
  const ajs = await request.post("/api/track/v1/t", {
    headers: { "content-type": "text/plain" },
    data: JSON.stringify({ type: "track", userId, anonymousId: "anon-route", event: "Checkout Started", writeKey: key, messageId: `ajs-${userId}`, timestamp: new Date().toISOString() }),
  });
  expect(ajs.status()).toBe(200);

  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.externalId, userId)));
  expect(c).toMatchObject({ email: `${userId}@example.com`, firstName: "Runa" });
  const titles = (await contactTimeline(db, { workspaceId: workspace.workspace.id, contactId: c!.id })).map((e) => e.title).sort();
  expect(titles).toEqual(["Checkout Started", "Identified", "Plan Viewed", "Product Added"]);

  // The settings document names the route as apiHost (no TRACKING_URL on the app's origin here: the request's host).
  const settings = await request.get(`/api/track/v1/projects/${encodeURIComponent(key)}/settings`);
  const host = new URL(baseURL!).host;
  expect(((await settings.json()) as { integrations: { "Segment.io": { apiHost: string } } }).integrations["Segment.io"].apiHost).toBe(`${host}/api/track/v1`);

  await expect
    .poll(async () => {
      const [row] = await rows<{ n: number }>(
        db,
        sql`select count(distinct data->>'eventId')::int as n from inngest_local.events where name = 'contact/event.tracked' and data->>'contactId' = ${c!.id}`,
      );
      return row!.n;
    }, { timeout: 15_000 })
    .toBe(4);
});

test("the app's tracking route refuses garbage, oversized bodies and bad write keys with a 4xx naming the problem", async ({ db, workspace, request }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Shop", kind: "public", createdBy: workspace.owner.id });
  const auth = { authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`, "content-type": "application/json" };
  const garbage = await request.post("/api/track/v1/track", { headers: auth, data: Buffer.from("{nope") });
  expect(garbage.status()).toBe(400);
  expect(await garbage.json()).toMatchObject({ message: "body is not valid JSON" });
  const big = await request.post("/api/track/v1/track", { headers: auth, data: { userId: "u", event: "Big", properties: { blob: "x".repeat(40 * 1024) } } });
  expect(big.status()).toBe(400);
  expect(await big.json()).toMatchObject({ message: "body is larger than 32 KB" });
  const bad = await request.post("/api/track/v1/track", { headers: { ...auth, authorization: `Basic ${Buffer.from("pk_made_up:").toString("base64")}` }, data: { userId: "u", event: "E" } });
  expect(bad.status()).toBe(401);
  expect(await bad.json()).toMatchObject({ message: "unknown or revoked write key" });
  expect((await request.get("/api/track/v1/track")).status()).toBe(405);
  expect((await request.post("/api/track/v1/nowhere", { headers: auth, data: {} })).status()).toBe(404);
  // A burst of made-up keys: every one answered 401, none stored, the route still serves.
  const burst = await Promise.all(
    Array.from({ length: 50 }, (_, i) => request.post("/api/track/v1/t", { headers: { "content-type": "text/plain" }, data: JSON.stringify({ type: "track", userId: "u", event: "E", writeKey: `pk_flood_${i}` }) })),
  );
  expect(burst.map((r) => r.status())).toEqual(Array(50).fill(401));
  expect((await request.post("/api/track/v1/track", { headers: auth, data: { userId: "u", event: "After" } })).status()).toBe(200);
});
