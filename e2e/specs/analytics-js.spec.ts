import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { contactTimeline } from "@/db/queries/contacts";
import { contacts } from "@/db/schema/index";
import { testEnv } from "../fixtures/test-env";
import { expect, test } from "../fixtures/test";

/**
 * A website running Segment's standard analytics.js snippet (5.2.0), with only the CDN host
 * changed to the tracking ingest: the ingest serves the bundle and its settings document, and the
 * site's identify, track and page calls land on the contact's timeline (docs/runtime.md, "3. Tracking").
 */
function snippet(cdn: string, key: string, loadOptions: unknown, calls: string) {
  return `!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="${cdn}/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="${key}";;analytics.SNIPPET_VERSION="5.2.0";
  analytics.load("${key}", ${JSON.stringify(loadOptions)});
  ${calls}
  }}();`;
}

/** A customer's shop on another origin (a real local server: Chromium lets only a loopback page call the loopback ingest). */
async function shop(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/products/lamp`, server };
}

async function timelineOf(db: Db, workspaceId: string, email: string) {
  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.email, email)));
  if (!c) return [];
  return (await contactTimeline(db, { workspaceId, contactId: c.id })).filter((e) => e.kind === "event").map((e) => e.title);
}

for (const mode of ["standard", "batching"] as const) {
  test(`a site's standard analytics.js snippet, CDN host changed, tracks onto the contact's timeline (${mode})`, async ({ page, db, workspace }) => {
    const cdn = testEnv().E2E_TRACKING_URL!.replace(/\/$/, "");
    const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Shop", kind: "public", createdBy: workspace.owner.id });
    const email = `ajs-${mode}-${workspace.workspace.slug}@example.com`;
    const loadOptions = mode === "batching" ? { integrations: { "Segment.io": { deliveryStrategy: { strategy: "batching", config: { size: 3, timeout: 300 } } } } } : {};
    const calls = `analytics.page();
      analytics.identify("cust-${mode}", { email: ${JSON.stringify(email)}, firstName: "Liv" });
      analytics.track("Product Added", { sku: "LAMP-1", price: 399 });`;
    const site = await shop(`<!doctype html><html><head><title>Lamp</title><script>${snippet(cdn, key, loadOptions, calls)}</script></head><body><h1>Lamp</h1></body></html>`);
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(cdn) && r.method() === "POST") sent.push(new URL(r.url()).pathname);
    });
    try {
      await page.goto(site.url);
      await expect.poll(() => timelineOf(db, workspace.workspace.id, email), { timeout: 20_000 }).toEqual(expect.arrayContaining(["Page Viewed", "Identified", "Product Added"]));
      const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, email)));
      expect(c).toMatchObject({ externalId: `cust-${mode}`, firstName: "Liv" });
      const entries = await contactTimeline(db, { workspaceId: workspace.workspace.id, contactId: c!.id });
      expect(JSON.parse(entries.find((e) => e.title === "Product Added")!.detail)).toEqual({ sku: "LAMP-1", price: 399 });
      expect(JSON.parse(entries.find((e) => e.title === "Page Viewed")!.detail)).toMatchObject({ path: "/products/lamp", title: "Lamp", url: site.url });
      // The library's own paths: one per call, or one batch.
      if (mode === "batching") expect(sent).toContain("/v1/b");
      else expect(sent.sort()).toEqual(["/v1/i", "/v1/p", "/v1/t"]);
    } finally {
      site.server.close();
    }
  });
}
