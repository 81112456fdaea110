import { and, eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { listDevMail } from "@/db/queries/dev-mailbox";
import { createSegment, refreshMembership } from "@/db/queries/segments";
import { auditLog, broadcasts, consentEvents, contacts, templates, templateVersions } from "@/db/schema/index";
import { waitForMail } from "../fixtures/mailbox";
import { sessionCookieFor } from "../fixtures/sign-in";
import { expect, test } from "../fixtures/test";
import { until } from "../fixtures/until";

/**
 * Broadcasts end to end (docs/broadcasts.md): an editor builds a broadcast to a segment, sees who
 * gets it and who is left out and why, schedules it a few seconds ahead; the mail lands with the
 * content pinned at scheduling and the List-Unsubscribe headers, a contact who unsubscribed in
 * between gets nothing, and a viewer can neither schedule from the page nor through the server.
 */

const everyone = { type: "group" as const, match: "all" as const, children: [] };

/** A time `seconds` ahead, as the page's datetime-local field takes it (the browser's own zone). */
const localTimeAhead = (page: Page, seconds: number) =>
  page.evaluate((s) => {
    const d = new Date(Date.now() + s * 1000);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, seconds);

test("an editor schedules a broadcast to a segment; the pinned content lands, an unsubscribe in between is honoured, a viewer cannot send", async ({ browser, db, workspace, memberPage, baseURL }) => {
  test.setTimeout(180_000);
  const ws = workspace.workspace;
  const [ada, bjorn, chidi] = workspace.contacts;
  // Ada and Bjørn confirmed their subscription; Chidi never gave consent.
  for (const c of [ada!, bjorn!]) await db.insert(consentEvents).values({ workspaceId: ws.id, contactId: c.id, kind: "confirmed", email: c.email, source: "hosted_form" });
  const [tpl] = await db
    .insert(templates)
    .values({ workspaceId: ws.id, name: "Spring news", class: "marketing", subject: "Spring news for {{ contact.first_name }}", body: { markup: "The pinned words." } })
    .returning({ id: templates.id });
  const seg = await createSegment(db, { workspaceId: ws.id, name: "Everyone here", definition: everyone, createdBy: null });
  await refreshMembership(db, { workspaceId: ws.id, segmentId: seg.id, definition: everyone, now: new Date(), afterId: null, limit: 100 });

  const { page } = await memberPage("editor");
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`/w/${ws.slug}/broadcasts`);
  await expect(page.getByTestId("empty-state")).toContainText("No broadcasts yet");
  await page.getByTestId("empty-state").getByRole("link", { name: "New broadcast" }).click();
  await page.getByTestId("new-broadcast-form").getByLabel("Name").fill("Spring broadcast");
  await page.getByTestId("new-broadcast-form").getByLabel("Template").selectOption({ label: "Spring news (marketing)" });
  await page.getByRole("button", { name: "Create draft" }).click();
  await page.waitForURL(/\/broadcasts\/[0-9a-f-]{36}$/);
  const broadcastId = page.url().split("/").at(-1)!;

  // The live count: two of the three get it, Chidi is left out for want of consent.
  const editor = page.getByTestId("broadcast-editor");
  await editor.getByRole("checkbox", { name: "Everyone here", exact: true }).check();
  await expect(page.getByTestId("audience-count")).toHaveText("2");
  await expect(page.getByTestId("left-out-no_consent")).toHaveText("1 — no marketing consent");
  await editor.getByLabel("Preheader").fill("Hello {{ contact.favourite_colour }}");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByTestId("tag-warnings")).toContainText('no contact has the attribute "favourite_colour"');

  // Scheduled a few seconds ahead.
  await page.getByRole("radio", { name: "At a time" }).check();
  await editor.getByLabel(/Send at/).fill(await localTimeAhead(page, 8));
  await page.getByRole("button", { name: "Schedule" }).click();
  await expect(page.getByTestId("broadcast-status")).toHaveText("scheduled");

  // Between scheduling and sending: Bjørn unsubscribes, and the template is edited.
  await db.insert(consentEvents).values({ workspaceId: ws.id, contactId: bjorn!.id, kind: "withdrawn", email: bjorn!.email, source: "preference_centre" });
  await db.update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, bjorn!.id));
  await page.goto(`/w/${ws.slug}/templates/${tpl!.id}`);
  await page.getByLabel("Subject").fill("Edited after scheduling");
  await page.getByRole("button", { name: "Save template" }).click();
  await expect(page.getByTestId("template-form").getByRole("status")).toHaveText("Template saved");

  // Ada's mail carries what was pinned, with both unsubscribe headers.
  const mail = await waitForMail(db, { to: ada!.email, subject: /Spring news for Ada/, timeoutMs: 90_000 });
  expect(mail.html).toContain("The pinned words.");
  expect(mail.subject).not.toContain("Edited");
  expect(mail.headers["List-Unsubscribe"]).toMatch(/^<http[^>]+\/u\/[A-Za-z0-9_-]+>/);
  expect(mail.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
  const [b] = await db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId));
  const [pinned] = await db.select().from(templateVersions).where(eq(templateVersions.id, b!.templateVersionId!));
  expect(pinned!.subject).toBe("Spring news for {{ contact.first_name }}");

  // Once it is sent, Bjørn and Chidi have nothing, and the page says so.
  await until("the broadcast to be sent", async () => (await db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId)))[0]!.status === "sent", 60_000);
  for (const c of [bjorn!, chidi!]) expect(await listDevMail(db, { to: c.email })).toEqual([]);
  expect(await listDevMail(db, { to: ada!.email })).toHaveLength(1);
  await page.goto(`/w/${ws.slug}/broadcasts/${broadcastId}`);
  await expect(page.getByTestId("broadcast-status")).toHaveText("sent");
  await expect(page.getByTestId("progress-sent")).toHaveText("1 handed off");
  await expect(page.getByRole("link", { name: "Results →" })).toHaveAttribute("href", `/w/${ws.slug}/broadcasts/${broadcastId}/results`);
  await page.goto(`/w/${ws.slug}/broadcasts`);
  await expect(page.getByTestId("broadcast-Spring broadcast").getByTestId("broadcast-status")).toHaveText("sent");

  const audited = await db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.workspaceId, ws.id), eq(auditLog.targetId, broadcastId)));
  expect(audited.map((x) => x.action).sort()).toEqual(["broadcast.created", "broadcast.scheduled", "broadcast.updated", "broadcast.updated"]);

  // A viewer sees the draft read-only, with no way to send it…
  const [draft] = await db
    .insert(broadcasts)
    .values({ workspaceId: ws.id, name: "Viewer's view", templateId: tpl!.id, audience: { everyone: false, segmentIds: [seg.id], topicIds: [], excludeSegmentIds: [] } })
    .returning({ id: broadcasts.id });
  const viewer = await memberPage("viewer");
  await viewer.page.goto(`/w/${ws.slug}/broadcasts/${draft!.id}`);
  await expect(viewer.page.getByTestId("broadcast-summary")).toBeVisible();
  await expect(viewer.page.getByTestId("broadcast-editor")).toHaveCount(0);
  await expect(viewer.page.getByRole("button", { name: /Send now|Schedule/ })).toHaveCount(0);
  await expect(viewer.page.getByTestId("audience-count")).toHaveText("1");
  expect((await viewer.page.goto(`/w/${ws.slug}/broadcasts/new`))?.status()).toBe(404);

  // …and the server refuses them: the editor's page, used with the viewer's session.
  const context = await browser.newContext({ baseURL });
  await context.addCookies([await sessionCookieFor(db, (await memberPage("editor")).userId, baseURL!)]);
  const forged = await context.newPage();
  await forged.goto(`/w/${ws.slug}/broadcasts/${draft!.id}`);
  await expect(forged.getByTestId("audience-count")).toHaveText("1");
  await context.clearCookies();
  await context.addCookies([await sessionCookieFor(db, viewer.userId, baseURL!)]);
  await forged.getByRole("button", { name: "Send now" }).click();
  await expect(forged.getByTestId("broadcast-outcome").getByRole("alert")).toHaveText(/Your role \(viewer\) cannot do this/);
  const [still] = await db.select().from(broadcasts).where(eq(broadcasts.id, draft!.id));
  expect(still).toMatchObject({ status: "draft", templateVersionId: null });
  await context.close();
});
