import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { broadcasts, contacts, emailEvents, events, messages, templates, templateVersions, workspaces } from "@/db/schema/index";
import { signViewToken } from "@/lib/email/view-link";
import type { SeededWorkspace } from "../fixtures/seed";
import { watchErrors } from "../fixtures/console";
import { expect, test } from "../fixtures/test";

/**
 * A broadcast's results page in Chromium (cards, charts, clicks per link, the empty state, no
 * console errors), its REST read, and the view-in-browser page a message's {{ view_url }} opens.
 */

const DAY = 86_400_000;

async function seedBroadcast(db: Db, ws: SeededWorkspace) {
  const workspaceId = ws.workspace.id;
  const when = new Date(Date.now() - 2 * DAY);
  const [tpl] = await db.insert(templates).values({ workspaceId, name: "News", subject: "Edited since", body: { markup: "Edited since" } }).returning({ id: templates.id });
  const [v] = await db
    .insert(templateVersions)
    .values({ workspaceId, templateId: tpl!.id, number: 1, hash: "h", name: "News", class: "marketing", subject: "Spring news", preheader: "", body: { markup: "Hello {{ contact.email }}, spring is here. [Shop](https://shop.example/spring)" } })
    .returning({ id: templateVersions.id });
  const [b] = await db.insert(broadcasts).values({ workspaceId, name: "Spring news", status: "sent", templateId: tpl!.id, templateVersionId: v!.id, recipientCount: 20, startedAt: when, finishedAt: when }).returning({ id: broadcasts.id });
  const [draft] = await db.insert(broadcasts).values({ workspaceId, name: "Summer news" }).returning({ id: broadcasts.id });
  const people = await db
    .insert(contacts)
    .values(Array.from({ length: 20 }, (_, i) => ({ workspaceId, email: `b${i}-${ws.workspace.slug}@example.com`, status: "subscribed" as const })))
    .returning({ id: contacts.id, email: contacts.email });
  let k = 0;
  const ids: string[] = [];
  for (const [i, p] of people.entries()) {
    const [m] = await db
      .insert(messages)
      .values({ workspaceId, contactId: p.id, broadcastId: b!.id, templateId: tpl!.id, templateVersionId: v!.id, class: "marketing", toEmail: p.email, subject: "Spring news", status: "sent", sentAt: when })
      .returning({ id: messages.id });
    ids.push(m!.id);
    const ev = (type: "delivered" | "opened" | "clicked", machine = false, url: string | null = null) => ({
      workspaceId, messageId: m!.id, contactId: p.id, type, machine, url, occurredAt: new Date(when.getTime() + 3_600_000), dedupeKey: `b${k++}`,
    });
    await db.insert(emailEvents).values([ev("delivered"), ...(i < 10 ? [ev("opened")] : []), ...(i < 4 ? [ev("clicked", false, "https://shop.example/spring")] : [])]);
    if (i < 2) await db.insert(events).values({ workspaceId, contactId: p.id, name: "Order Completed", properties: { revenue: 30 }, occurredAt: new Date(when.getTime() + 7_200_000) });
  }
  const [w] = await db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, workspaceId));
  return { broadcastId: b!.id, draftId: draft!.id, messageId: ids[0]!, email: people[0]!.email, secret: w!.secret };
}

test("a broadcast's results page draws its figures and charts for a viewer, and an empty state before sending", async ({ db, workspace, memberPage }) => {
  const s = await seedBroadcast(db, workspace);
  const { page } = await memberPage("viewer");
  const errors = watchErrors(page);
  await page.goto(`/w/${workspace.workspace.slug}/broadcasts/${s.broadcastId}/results`);
  for (const chart of ["results-funnel-chart", "results-chart"]) await expect(page.getByTestId(chart).locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.getByTestId("stat-open-rate")).toContainText("50.0 %");
  await expect(page.getByTestId("stat-click-rate")).toContainText("20.0 %");
  await expect(page.getByTestId("stat-conversions")).toContainText("2");
  await expect(page.getByTestId("stat-revenue")).toContainText("60.00");
  await expect(page.getByTestId("figure-delivered")).toContainText("20");
  await expect(page.getByTestId("results-link")).toContainText("https://shop.example/spring");

  await page.goto(`/w/${workspace.workspace.slug}/broadcasts/${s.draftId}/results`);
  await expect(page.getByTestId("results-empty")).toBeVisible();
  expect(errors).toEqual([]);
});

test("the results API answers the figures, 400 naming a bad parameter, 404 for unknown ids", async ({ db, workspace, request }) => {
  const s = await seedBroadcast(db, workspace);
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "BI", kind: "secret", createdBy: workspace.owner.id });
  const headers = { authorization: `Bearer ${key}` };
  const ok = await request.get(`/api/v1/broadcasts/${s.broadcastId}/results`, { headers });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).data).toMatchObject({ sent: 20, delivered: 20, opened: 10, clicked: 4, conversions: 2, revenue: 60, rates: { open: 0.5 }, links: [{ url: "https://shop.example/spring", clicks: 4 }] });
  for (const [q, field] of [["window_days=0", "window_days"], ["window_days=abc", "window_days"], ["conversion_event=", "conversion_event"], ["revenue_property=a..b", "revenue_property"]] as const) {
    const bad = await request.get(`/api/v1/broadcasts/${s.broadcastId}/results?${q}`, { headers });
    expect(bad.status(), q).toBe(400);
    expect((await bad.json()).error.field, q).toBe(field);
  }
  for (const id of ["not-a-uuid", "00000000-0000-4000-8000-000000000000"]) expect((await request.get(`/api/v1/broadcasts/${id}/results`, { headers })).status()).toBe(404);
  expect((await request.get(`/api/v1/broadcasts/${s.broadcastId}/results`)).status()).toBe(401);
});

test("view in browser shows what the contact received, records nothing, and is a 404 for any other token", async ({ db, workspace, page, request }) => {
  const s = await seedBroadcast(db, workspace);
  const errors = watchErrors(page);
  const token = signViewToken(s.secret, { workspaceId: workspace.workspace.id, messageId: s.messageId });
  const before = await db.select().from(emailEvents).where(eq(emailEvents.messageId, s.messageId));
  const res = await page.goto(`/v/${token}`);
  expect(res?.status()).toBe(200);
  await expect(page.getByTestId("view-subject")).toHaveText("Spring news");
  const frame = page.frameLocator("[data-testid=view-frame]");
  await expect(frame.getByText(`Hello ${s.email}, spring is here.`)).toBeVisible();
  await expect(frame.getByRole("link", { name: "Shop" })).toHaveAttribute("href", "https://shop.example/spring");
  expect(await db.select().from(emailEvents).where(eq(emailEvents.messageId, s.messageId))).toHaveLength(before.length);
  // Playwright's own helper script cannot run inside the sandboxed frame, and the browser says so:
  // that is the sandbox doing its job, not an error of the page.
  expect(errors.filter((e) => !e.includes("Blocked script execution in 'about:srcdoc'"))).toEqual([]);

  const [body, sig] = token.split(".");
  const forged = signViewToken("another secret", { workspaceId: workspace.workspace.id, messageId: s.messageId });
  for (const bad of ["garbage", `${body}.${"A".repeat(sig!.length)}`, forged, `${token}x`, "x".repeat(2000)]) {
    expect((await request.get(`/v/${bad}`)).status(), bad.slice(0, 30)).toBe(404);
  }
  // A flood: every answer a 200 or a 404, never a 5xx.
  const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => request.get(`/v/${i % 2 ? token : `junk${i}`}`).then((r) => r.status())));
  expect(statuses.filter((x) => x !== 200 && x !== 404)).toEqual([]);
});
