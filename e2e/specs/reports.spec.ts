import type { Page } from "@playwright/test";
import type { Db } from "@/db/client";
import { recordConversion } from "@/db/queries/conversions";
import { recordFormView } from "@/db/queries/forms";
import { consentEvents, contacts, emailEvents, enrollments, enrollmentSteps, forms, messages } from "@/db/schema/index";
import { createLiveFlow, createTemplate, graph } from "../fixtures/flows";
import type { SeededWorkspace } from "../fixtures/seed";
import { watchErrors } from "../fixtures/console";
import { expect, test } from "../fixtures/test";

/**
 * The report pages in Chromium: each chart renders its SVG, the figures of seeded data show,
 * the CSV exports download, and nothing logs an error to the console.
 */

const DAY = 86_400_000;

async function seedReports(db: Db, ws: SeededWorkspace) {
  const workspaceId = ws.workspace.id;
  const when = new Date(Date.now() - 2 * DAY);
  const t1 = await createTemplate(db, workspaceId, "Spring boots");
  const t2 = await createTemplate(db, workspaceId, "Spring boots, shorter");
  const { flowId, versionId } = await createLiveFlow(db, {
    workspaceId,
    name: "Spring sale",
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["sp", "random-split", { branches: [{ id: "a", label: "A", weight: 50 }, { id: "b", label: "B", weight: 50 }] }],
        ["s1", "send-email", { templateId: t1 }],
        ["s2", "send-email", { templateId: t2 }],
        ["x", "exit", { reason: "done" }],
        ["g", "goal", { name: "Ordered", event: { name: "Order Completed", filters: [] }, revenueProperty: "revenue" }],
      ],
      [
        ["t", "next", "sp"],
        ["sp", "split:a", "s1"],
        ["sp", "split:b", "s2"],
        ["s1", "next", "x"],
        ["s2", "next", "x"],
      ],
    ),
  });
  const people = await db
    .insert(contacts)
    .values(Array.from({ length: 40 }, (_, i) => ({ workspaceId, email: `r${i}-${ws.workspace.slug}@example.com`, status: i % 5 === 0 ? ("unconfirmed" as const) : ("subscribed" as const), createdAt: when })))
    .returning({ id: contacts.id, email: contacts.email });
  const [form] = await db.insert(forms).values({ workspaceId, name: "Newsletter", slug: `news-${ws.workspace.slug}`, status: "live" }).returning({ id: forms.id });
  const day = when.toISOString().slice(0, 10);
  for (let i = 0; i < 12; i++) await recordFormView(db, { workspaceId, formId: form!.id, day });
  await db.insert(consentEvents).values(
    people.slice(0, 6).flatMap((p, i) => [
      { workspaceId, contactId: p.id, kind: "opt_in" as const, source: "hosted_form", formId: form!.id, occurredAt: when },
      ...(i < 4 ? [{ workspaceId, contactId: p.id, kind: "confirmed" as const, source: "hosted_form", formId: form!.id, occurredAt: new Date(when.getTime() + 60_000) }] : []),
    ]),
  );
  let k = 0;
  for (const [i, p] of people.entries()) {
    const arm = i % 2 === 0 ? "a" : "b";
    const node = arm === "a" ? "s1" : "s2";
    const [e] = await db
      .insert(enrollments)
      .values({ workspaceId, flowId, flowVersionId: versionId, contactId: p.id, status: "exited", exitReason: "done", enteredAt: when })
      .returning({ id: enrollments.id });
    const scope = { workspaceId, flowId, flowVersionId: versionId, enrollmentId: e!.id, contactId: p.id, kind: "x", outcome: "done", at: when };
    await db.insert(enrollmentSteps).values([
      { ...scope, stepId: "t#1:x", nodeId: "t", visit: 1, exit: "next" },
      { ...scope, stepId: "sp#1:x", nodeId: "sp", visit: 1, exit: `split:${arm}` },
      { ...scope, stepId: `${node}#1:x`, nodeId: node, visit: 1, exit: "next" },
    ]);
    const [m] = await db
      .insert(messages)
      .values({ workspaceId, contactId: p.id, flowId, enrollmentId: e!.id, nodeId: node, templateId: arm === "a" ? t1 : t2, class: "marketing", toEmail: p.email, subject: "Spring", status: "sent", sentAt: when })
      .returning({ id: messages.id });
    const ev = (type: "delivered" | "opened" | "clicked" | "unsubscribed", machine = false, url: string | null = null) => ({
      workspaceId, messageId: m!.id, contactId: p.id, type, machine, url, occurredAt: new Date(when.getTime() + 3_600_000), dedupeKey: `r${k++}`,
    });
    await db.insert(emailEvents).values([
      ev("delivered"),
      ev("opened", true),
      ...(i < 30 ? [ev("opened")] : []),
      ...(i < 16 ? [ev("clicked", false, "https://shop.example/boots")] : []),
      ...(i === 39 ? [ev("unsubscribed")] : []),
    ]);
    // A converts 10 of 20, B 2 of 20: a significant difference.
    const converts = arm === "a" ? i < 20 : i < 4;
    if (converts) {
      // Through the goal path's own write, which records the message's node and the split arms taken.
      const recorded = await recordConversion(db, {
        workspaceId, flowId, flowVersionId: versionId, enrollmentId: e!.id, contactId: p.id, nodeId: "g", goalName: "Ordered", eventId: null,
        messageId: i < 16 ? m!.id : null, attributedVia: i < 16 ? "click" : null, revenue: 50, currency: null, occurredAt: new Date(when.getTime() + 7_200_000),
      });
      expect(recorded).toBe(true);
    }
  }
  return { flowId };
}

async function expectChart(page: Page, testId: string) {
  await expect(page.getByTestId(testId).locator("svg.recharts-surface").first()).toBeVisible();
}

test("the report pages draw their charts and figures without console errors @smoke", async ({ db, workspace, memberPage }) => {
  const { flowId } = await seedReports(db, workspace);
  const { page } = await memberPage("viewer");
  const errors = watchErrors(page);
  const base = `/w/${workspace.workspace.slug}/reports`;

  await page.goto(base);
  for (const chart of ["growth-chart", "health-chart", "flows-chart", "forms-chart"]) await expectChart(page, chart);
  await expect(page.getByTestId("top-flow-Spring sale")).toContainText("40");
  await expect(page.getByTestId("form-Newsletter")).toContainText("12 views → 6 submissions (50.0 %) → 4 confirmed (66.7 %)");
  await expect(page.getByTestId("chart-health").getByText("0.3 % limit")).toBeVisible();
  await expect(page.getByTestId("stat-new-confirmed")).toContainText("35");

  const csv = await page.request.get(`${base}/export?range=30d`);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toContain("Spring sale,40,40,12,30,600");

  await page.getByRole("link", { name: "Spring sale" }).click();
  await page.waitForURL(new RegExp(`/reports/flows/${flowId}`));
  for (const chart of ["flow-series-chart", "funnel-chart", "split-chart-sp"]) await expectChart(page, chart);
  await expect(page.getByTestId("stat-conversion-rate")).toContainText("30.0 %");
  await expect(page.getByTestId("stat-revenue")).toContainText("600.00");
  await expect(page.getByTestId("split-verdict-sp")).toContainText("A (50) converts better (significant)");

  await page.getByTestId("message-row-s1").getByRole("link").click();
  await page.waitForURL(/\/messages\/s1/);
  await expectChart(page, "message-chart");
  await expect(page.getByTestId("figure-opened")).toContainText("15");
  await expect(page.getByTestId("figure-opened-machine")).toContainText("20");
  await expect(page.getByTestId("message-links")).toContainText("https://shop.example/boots");
  await expect(page.getByTestId("stat-message-conversions")).toContainText("8");

  // A custom range with nothing in it shows the empty state, not broken charts.
  await page.goto(`${base}?from=2020-01-01&to=2020-01-31`);
  await expect(page.getByTestId("empty-state")).toBeVisible();

  expect(errors).toEqual([]);
});
