import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Analytics } from "@segment/analytics-node";
import { and, eq, sql } from "drizzle-orm";
import { rows } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { contacts, events } from "@/db/schema/index";
import { testEnv } from "../fixtures/test-env";
import { expect, test } from "../fixtures/test";

test("@smoke a Segment client tracks into the running stack; events reach Inngest", async ({ db, workspace }) => {
  const trackingUrl = testEnv().E2E_TRACKING_URL!;
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Shop", kind: "public", createdBy: workspace.owner.id });
  const userId = `shopper-${workspace.workspace.slug}`;
  const analytics = new Analytics({ writeKey: key, host: trackingUrl, flushAt: 2, maxRetries: 0 });
  analytics.identify({ userId, traits: { email: `${userId}@example.com`, first_name: "Siri" } });
  analytics.track({ userId, event: "Product Added", properties: { cartId: "c-1" } });
  await analytics.closeAndFlush({ timeout: 10_000 });

  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.externalId, userId)));
  expect(c).toMatchObject({ email: `${userId}@example.com`, firstName: "Siri" });
  const [added] = await db.select().from(events).where(and(eq(events.contactId, c!.id), eq(events.name, "Product Added")));
  expect(added!.properties).toEqual({ cartId: "c-1" });

  // The forwarder hands it to the local executor off the request path: poll its event log.
  await expect
    .poll(async () => {
      const [row] = await rows<{ n: number }>(
        db,
        sql`select count(*)::int as n from inngest_local.events where name = 'contact/event.tracked' and data->>'eventId' = ${added!.id}`,
      );
      return row!.n;
    }, { timeout: 15_000 })
    .toBe(1);
});

test("the browser snippet on a website records a page view and identifies on form submit", async ({ page, db, workspace, baseURL }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Site", kind: "public", createdBy: workspace.owner.id });
  const email = `visitor-${workspace.workspace.slug}@example.com`;
  // A customer's landing page on another origin: a real local server, as Chromium lets only a
  // loopback page call the loopback ingest (a public site would call a public tracking host).
  const site = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><html><head><title>Spring sale</title>
      <script async src="${baseURL}/tillit.js" data-key="${key}"></script></head>
      <body><form onsubmit="event.preventDefault()">
        <input type="email" name="email" aria-label="Email"><input name="first_name" aria-label="First name">
        <button>Join</button></form></body></html>`);
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", () => r()));
  const landing = `http://127.0.0.1:${(site.address() as AddressInfo).port}/landing?utm_source=newsletter`;
  await page.goto(landing);
  await expect
    .poll(async () => (await db.select().from(events).where(and(eq(events.workspaceId, workspace.workspace.id), eq(events.name, "Page Viewed")))).length, { timeout: 15_000 })
    .toBe(1);
  const [view] = await db.select().from(events).where(and(eq(events.workspaceId, workspace.workspace.id), eq(events.name, "Page Viewed")));
  expect(view!.properties).toMatchObject({ url: landing, path: "/landing", title: "Spring sale" });
  expect(view!.contactId).toBeNull();

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("First name").fill("Ingrid");
  await page.getByRole("button", { name: "Join" }).click();
  await expect
    .poll(async () => (await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, email)))).length, { timeout: 15_000 })
    .toBe(1);
  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, email)));
  expect(c!.firstName).toBe("Ingrid");
  const [attached] = await db.select().from(events).where(eq(events.id, view!.id));
  expect(attached!.contactId).toBe(c!.id);
  site.close();
});
