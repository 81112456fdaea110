import AxeBuilder from "@axe-core/playwright";
import { and, asc, eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import type { Db } from "@/db/client";
import { recordFlowFailure } from "@/db/queries/notifications";
import { auditLog, enrollments, enrollmentSteps, flows } from "@/db/schema/index";
import { seedFailedRun } from "../fixtures/failed-runs";
import { createLiveFlow, createTemplate, graph } from "../fixtures/flows";
import { seedWorkspace } from "../fixtures/seed";
import { sessionCookieFor } from "../fixtures/sign-in";
import { expect, test } from "../fixtures/test";

/**
 * Runs that failed for good, as a marketer meets them (docs/flows.md, "When a run fails"): red
 * counts on the canvas, the flow's failed list with retry and exit, the failed step in the trace,
 * the provider-wait allowance, and the owners' and admins' notices. Failed runs are seeded as the
 * runner leaves them.
 */

async function failingFlow(db: Db, ws: { workspace: { id: string }; contacts: { id: string; email: string }[] }) {
  const workspaceId = ws.workspace.id;
  const templateId = await createTemplate(db, workspaceId, "Welcome aboard");
  const { flowId, versionId } = await createLiveFlow(db, {
    workspaceId,
    name: "Onboarding",
    graph: graph(
      [["t", "manual-enrol"], ["tag", "add-tag", { tag: "onboarded" }], ["s", "send-email", { templateId }], ["x", "exit"]],
      [["t", "next", "tag"], ["tag", "next", "s"], ["s", "next", "x"]],
    ),
  });
  const [a, b, c] = ws.contacts;
  const base = { workspaceId, flowId, flowVersionId: versionId };
  const failed = {
    a: await seedFailedRun(db, { ...base, contactId: a!.id, nodeId: "s", trigger: { plan: "gold" }, reason: "Resend: service unavailable (503) for longer than the flow waits (24 hours)" }),
    b: await seedFailedRun(db, { ...base, contactId: b!.id, nodeId: "s" }),
    c: await seedFailedRun(db, { ...base, contactId: c!.id, nodeId: "tag", kind: "add-tag", reason: "the database did not answer after 6 retries" }),
  };
  return { flowId, versionId, failed, contacts: { a: a!, b: b!, c: c! } };
}

const row = (page: Page, email: string) => page.getByTestId(`failed-${email}`);
/** A success is stated above the list (the row it came from may be gone) and raised as a toast. */
async function succeeded(page: Page, region: string, text: string) {
  await expect(page.getByTestId(region)).toContainText(text);
  await expect(page.getByTestId(region)).toHaveAttribute("role", "status");
  await expect(page.locator('[data-sonner-toast][data-type="success"]').filter({ hasText: text })).toBeVisible();
}

test("an editor sees failures on the canvas, retries one from its node, exits another, and retries the rest at once", async ({ db, workspace, memberPage }) => {
  test.setTimeout(120_000);
  const ws = workspace.workspace;
  const f = await failingFlow(db, workspace);
  const { page } = await memberPage("editor");
  await page.setViewportSize({ width: 1440, height: 1000 });

  // The canvas: a red count on each node where runs failed, and the flow's total in the header.
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}`);
  await expect(page.getByTestId("failed-s")).toHaveText("2 failed");
  await expect(page.getByTestId("failed-tag")).toHaveText("1 failed");
  await expect(page.getByTestId("failed-x")).toHaveCount(0);
  await expect(page.getByTestId("failed-runs-link")).toHaveText("3 failed runs");
  // The failed steps are no exits.
  await expect(page.getByTestId("stats-s").locator('[data-stat="exit"] > span')).toHaveText("0");

  // The chip opens the failed list at its node.
  await page.getByTestId("failed-s").click();
  await page.waitForURL(/\/failed\?node=s$/);
  await expect(page.getByRole("heading", { level: 1, name: "Failed runs" })).toBeVisible();
  await expect(page.getByTestId("failed-total")).toHaveText("3");
  const table = page.getByTestId("failed-runs-table");
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(row(page, f.contacts.a.email)).toContainText("Send email (s)");
  await expect(row(page, f.contacts.a.email)).toContainText("Resend: service unavailable (503)");

  // Retry one: a new run of the same contact, same version, from the failed node, trigger copied.
  await row(page, f.contacts.a.email).getByRole("button", { name: "Retry from this node" }).click();
  await succeeded(page, "failed-outcome", "Started 1 run again from the node it failed at");
  await expect(row(page, f.contacts.a.email)).toHaveCount(0);
  const [retry] = await db.select().from(enrollments).where(and(eq(enrollments.flowId, f.flowId), eq(enrollments.sourceEventId, `retry:${f.failed.a}`)));
  expect(retry).toMatchObject({ contactId: f.contacts.a.id, flowVersionId: f.versionId, startNodeId: "s", trigger: { plan: "gold" } });
  // The runner takes it up at s: the new run's trace begins there.
  await expect
    .poll(async () => (await db.select().from(enrollmentSteps).where(eq(enrollmentSteps.enrollmentId, retry!.id)).orderBy(asc(enrollmentSteps.seq)))[0]?.nodeId, { timeout: 30_000 })
    .toBe("s");
  const [old] = await db.select().from(enrollments).where(eq(enrollments.id, f.failed.a));
  expect(old!.status).toBe("failed");

  // Exit another, after confirming.
  await row(page, f.contacts.b.email).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Exit" }).click();
  await succeeded(page, "failed-outcome", "1 contact left the flow (exited after failure)");
  const [b] = await db.select().from(enrollments).where(eq(enrollments.id, f.failed.b));
  expect([b!.status, b!.exitReason]).toEqual(["exited", "exited after failure"]);
  await expect(page.getByText("No failed runs at this node now.")).toBeVisible();
  const audit = await db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.workspaceId, ws.id));
  expect(audit.map((x) => x.action).sort()).toEqual(["flow.failed_runs_exited", "flow.failed_runs_retried"]);

  // The contact's trace shows where and why the run failed.
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}?node=tag&trace=${f.failed.c}`);
  const trace = page.getByTestId("trace");
  await expect(trace).toHaveAttribute("data-status", "failed");
  await expect(trace.getByTestId("trace-failed-step")).toContainText("failed");
  await expect(trace.getByTestId("trace-failed-step")).toContainText("the database did not answer after 6 retries");
  await expect(page.getByTestId("failed-s")).toHaveCount(0);
  await expect(page.getByTestId("failed-runs-link")).toHaveText("1 failed run");
  await expect(page.getByTestId("node-failed")).toContainText("1 run failed here");

  // Retry all: one contact is back in the flow already, so theirs is reported and stays listed.
  const again = await seedFailedRun(db, { workspaceId: ws.id, flowId: f.flowId, flowVersionId: f.versionId, contactId: f.contacts.b.id, nodeId: "s" });
  await db.insert(enrollments).values({ workspaceId: ws.id, flowId: f.flowId, flowVersionId: f.versionId, contactId: f.contacts.c.id, status: "active", currentNodeId: "x" });
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}/failed`);
  await page.getByRole("button", { name: "Retry all 2" }).click();
  const outcome = page.getByTestId("failed-outcome");
  await expect(outcome).toContainText("Started 1 run again");
  await expect(outcome).toContainText(`1 contact is in the flow again already, so its failure stays listed: ${f.contacts.c.email}`);
  expect(await db.select().from(enrollments).where(eq(enrollments.sourceEventId, `retry:${again}`))).toHaveLength(1);
  expect(await db.select().from(enrollments).where(eq(enrollments.sourceEventId, `retry:${f.failed.c}`))).toHaveLength(0);
  await expect(page.getByTestId("failed-runs-table").getByRole("row")).toHaveCount(2);
});

test("the provider-wait allowance is set in the flow panel, 1 to 168 hours, the error naming the field", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const f = await failingFlow(db, workspace);
  const { page } = await memberPage("editor");
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}`);
  const form = page.getByTestId("provider-wait-form");
  const hours = form.getByLabel("Wait out mail provider outages for up to");
  await expect(hours).toHaveValue("24");
  await hours.fill("72");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText("Runs now wait out mail provider outages for up to 72 hours");
  const [row72] = await db.select().from(flows).where(eq(flows.id, f.flowId));
  expect(row72!.providerWaitHours).toBe(72);

  // Past the browser's own check, the server still refuses it, naming the field.
  await hours.evaluate((el) => ["min", "max"].forEach((a) => el.removeAttribute(a)));
  await hours.fill("500");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("alert")).toHaveText("providerWaitHours: the provider wait is at most 168 hours (7 days)");
  const [still] = await db.select().from(flows).where(eq(flows.id, f.flowId));
  expect(still!.providerWaitHours).toBe(72);
  // The failed list says how long this flow waits.
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}/failed`);
  await expect(page.getByText("longer than this flow waits (72 hours)")).toBeVisible();
});

test("a viewer sees the failures and the list, without buttons", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const f = await failingFlow(db, workspace);
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}`);
  await expect(page.getByTestId("failed-s")).toHaveText("2 failed");
  await expect(page.getByTestId("provider-wait-form")).toHaveCount(0);
  await expect(page.getByTestId("flow-settings")).toContainText("up to 24 hours");
  await page.goto(`/w/${ws.slug}/flows/${f.flowId}/failed`);
  await expect(page.getByTestId("failed-runs-table").getByRole("row")).toHaveCount(4);
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByRole("main").getByRole("button")).toHaveCount(0);
  // Nor notices: those are for owners and admins.
  await expect(page.getByTestId("notices-link")).toHaveCount(0);
  expect((await page.goto(`/w/${ws.slug}/notices`))?.status()).toBe(404);
});

test("a retry or exit aimed at another workspace's failed run is refused and changes nothing", async ({ browser, db, baseURL }) => {
  const a = await seedWorkspace(db);
  const b = await seedWorkspace(db);
  const fa = await failingFlow(db, a);
  const fb = await failingFlow(db, b);
  const context = await browser.newContext({ baseURL });
  await context.addCookies([await sessionCookieFor(db, b.owner.id, baseURL!)]);
  const page = await context.newPage();
  await page.goto(`/w/${b.workspace.slug}/flows/${fb.flowId}/failed`);
  const forge = async (form: string, field: string, value: string) =>
    page.locator(form).locator(`input[name="${field}"]`).evaluate((el, v) => ((el as HTMLInputElement).value = v), value);
  const retryForm = `[data-testid="failed-${b.contacts[0]!.email}"] form:has(button:text("Retry from this node"))`;

  // A's run under B's flow: not one of B's failures.
  await forge(retryForm, "enrollmentId", fa.failed.a);
  await page.locator(retryForm).getByRole("button").click();
  await expect(page.locator(retryForm).getByRole("alert")).toHaveText("That run was already retried or dismissed");
  // A's flow and run: not B's flow.
  await forge(retryForm, "flowId", fa.flowId);
  await page.locator(retryForm).getByRole("button").click();
  await expect(page.locator(retryForm).getByRole("alert")).toHaveText("flow not found");

  const exitForm = `[data-testid="failed-${b.contacts[1]!.email}"] form:has(button:text("Exit"))`;
  await forge(exitForm, "enrollmentId", fa.failed.b);
  await page.locator(exitForm).getByRole("button", { name: "Exit" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Exit" }).click();
  await expect(page.locator(exitForm).getByRole("alert")).toHaveText("That run was already retried or dismissed");

  const theirs = await db.select().from(enrollments).where(eq(enrollments.flowId, fa.flowId));
  expect(theirs.map((e) => e.status).sort()).toEqual(["failed", "failed", "failed"]);
  // B's own runs were not touched either.
  expect((await db.select().from(enrollments).where(eq(enrollments.flowId, fb.flowId))).every((e) => e.status === "failed")).toBe(true);
  // Nor can B's owner open A's failed list.
  expect((await page.goto(`/w/${b.workspace.slug}/flows/${fa.flowId}/failed`))?.status()).toBe(404);
  await context.close();
});

test("owners and admins see unread notices in the header, open the failed list from one, and mark them read", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const f = await failingFlow(db, workspace);
  const at = new Date();
  await recordFlowFailure(db, { workspaceId: ws.id, flowId: f.flowId, reason: "Resend: 503", at });
  await recordFlowFailure(db, { workspaceId: ws.id, flowId: f.flowId, reason: "Resend: 500 for longer than the flow waits", at });
  const { page } = await memberPage("admin");
  await page.goto(`/w/${ws.slug}/flows`);
  await expect(page.getByTestId("notices-unread")).toHaveText("1");
  await expect(page.getByRole("link", { name: "Notices 1 unread" })).toBeVisible();
  await page.getByTestId("notices-link").click();
  await expect(page.getByRole("heading", { level: 1, name: "Notices" })).toBeVisible();
  const notice = page.getByTestId("notices-table").getByRole("row").nth(1);
  await expect(notice).toContainText("Runs of “Onboarding” failed");
  await expect(notice).toContainText("2 runs · latest reason: Resend: 500 for longer than the flow waits");
  await notice.getByRole("link", { name: "Open the failed runs" }).click();
  await page.waitForURL(new RegExp(`/flows/${f.flowId}/failed$`));
  await page.goBack();
  await page.getByTestId("notices-table").getByRole("button", { name: "Mark read" }).click();
  await succeeded(page, "notices-outcome", "Marked read");
  await page.reload();
  await expect(page.getByTestId("notices-unread")).toHaveCount(0);
  await expect(page.getByTestId("notices-table").getByRole("row").nth(1)).not.toContainText("unread");

  const { page: editor } = await memberPage("editor");
  await editor.goto(`/w/${ws.slug}/flows`);
  await expect(editor.getByTestId("notices-link")).toHaveCount(0);
});

test("the notices page says what comes here when there is nothing", async ({ workspace, memberPage }) => {
  const { page } = await memberPage("owner");
  await page.goto(`/w/${workspace.workspace.slug}/notices`);
  await expect(page.getByTestId("empty-state")).toContainText("No notices");
  await expect(page.getByTestId("notices-link")).toHaveText("Notices");
});

test("a flow without failures says so on its failed list", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const { flowId } = await createLiveFlow(db, { workspaceId: ws.id, name: "Quiet", graph: graph([["t", "manual-enrol"], ["x", "exit"]], [["t", "next", "x"]]) });
  const { page } = await memberPage("editor");
  await page.goto(`/w/${ws.slug}/flows/${flowId}`);
  await expect(page.getByTestId("failed-runs-link")).toHaveText("Failed runs");
  await page.getByTestId("failed-runs-link").click();
  await expect(page.getByTestId("empty-state")).toContainText("No failed runs");
});

test("the failed list and the notices page have no serious or critical axe violation", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const f = await failingFlow(db, workspace);
  await recordFlowFailure(db, { workspaceId: ws.id, flowId: f.flowId, reason: "Resend: 503", at: new Date() });
  const { page } = await memberPage("owner");
  const found: Record<string, string[]> = {};
  for (const p of [`/flows/${f.flowId}/failed`, `/flows/${f.flowId}/failed?node=s`, "/notices"]) {
    await page.goto(`/w/${ws.slug}${p}`);
    await page.getByRole("main").waitFor();
    const result = await new AxeBuilder({ page }).analyze();
    const v = result.violations.filter((x) => x.impact === "serious" || x.impact === "critical").map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    if (v.length) found[p] = v;
  }
  expect(found).toEqual({});
});
