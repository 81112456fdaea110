import { and, eq } from "drizzle-orm";
import { auditLog, templates } from "@/db/schema/index";
import { createLiveFlow, createTemplate, graph } from "../fixtures/flows";
import { expect, test } from "../fixtures/test";

/**
 * Published flows send the template content they pinned: the template editor names the flows
 * that send it, an edit shows as "Template changed since publish" in the flow editor until the
 * flow is published again, and a template a published flow sends cannot be deleted, only archived.
 */

test("an edited template shows as changed in the flow editor until the flow is published again; deleting it is refused, archiving works", async ({ db, workspace, memberPage }) => {
  test.setTimeout(120_000);
  const ws = workspace.workspace;
  const templateId = await createTemplate(db, ws.id, "Spring news");
  const { flowId } = await createLiveFlow(db, {
    workspaceId: ws.id,
    name: "Welcome",
    graph: graph([["t", "manual-enrol"], ["s", "send-email", { templateId }], ["x", "exit"]], [["t", "next", "s"], ["s", "next", "x"]]),
  });
  const { page } = await memberPage("editor");
  await page.setViewportSize({ width: 1440, height: 1000 });

  // The template editor says which published flows send it, and that edits wait for a publish.
  await page.goto(`/w/${ws.slug}/templates/${templateId}`);
  const sending = page.getByTestId("template-flows");
  await expect(sending).toContainText("Sent by published flow Welcome (v1)");
  await expect(sending).toContainText("your changes reach a flow when it is published again");
  await page.getByLabel("Subject").fill("Spring news, now with a discount");
  await page.getByRole("button", { name: "Save template" }).click();
  await expect(page.getByTestId("template-form").getByRole("status")).toHaveText("Template saved");
  await page.reload();
  await expect(page.getByTestId("template-flows")).toContainText("Welcome (v1, changed since publish)");

  // The flow editor flags the send node, on the canvas and in its panel.
  await page.goto(`/w/${ws.slug}/flows/${flowId}`);
  await expect(page.getByTestId("template-changed-s")).toHaveText("Template changed since publish");
  await page.getByTestId("node-s").click({ position: { x: 30, y: 12 } });
  await expect(page.getByTestId("node-template-changed")).toContainText("“Spring news” was edited after this flow was published");

  // Publishing again pins the edit and clears the flag.
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "saved");
  await page.getByRole("button", { name: /^Publish/ }).click();
  await page.getByTestId("publish-dialog").getByRole("button", { name: "Publish now" }).click();
  await expect(page.getByTestId("editor-notice")).toContainText("as version 2");
  await expect(page.getByTestId("template-changed-s")).toHaveCount(0);
  await expect(page.getByTestId("node-template-changed")).toHaveCount(0);

  // In the templates list, deleting it is refused, naming the flow; archiving moves it to "Archived".
  await page.goto(`/w/${ws.slug}/templates`);
  const row = page.getByTestId("template-Spring news");
  await row.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete template" }).click();
  await expect(row.getByRole("alert")).toHaveText("Used by published flows: Welcome — archive it instead");
  expect(await db.select({ id: templates.id }).from(templates).where(eq(templates.id, templateId))).toHaveLength(1);

  await row.getByRole("button", { name: "Archive", exact: true }).click();
  await expect(page.getByTestId("templates-table")).toHaveCount(0);
  await expect(page.getByTestId("empty-state")).toContainText("Every template is archived");
  await page.getByRole("link", { name: "Archived (1)" }).click();
  await expect(page.getByTestId("template-Spring news")).toBeVisible();
  const [archived] = await db.select().from(templates).where(eq(templates.id, templateId));
  expect(archived!.archivedAt).not.toBeNull();

  const audited = await db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.workspaceId, ws.id), eq(auditLog.targetId, templateId)));
  expect(audited.map((a) => a.action)).toContain("template.archived");

  // The send node still names it, marked archived; new sends are not offered it.
  await page.goto(`/w/${ws.slug}/flows/${flowId}`);
  await page.getByTestId("node-s").click({ position: { x: 30, y: 12 } });
  const select = page.getByTestId("node-panel").getByLabel("Template");
  await expect(select.locator("option:checked")).toHaveText(/Spring news.*\(archived\)/);

  // Its page says so and offers no test send; unarchiving brings it back.
  await page.goto(`/w/${ws.slug}/templates/${templateId}`);
  await expect(page.getByTestId("template-archived")).toContainText("Archived");
  await expect(page.getByTestId("test-send")).toHaveText("This template is archived: unarchive it to send tests.");
  await page.getByTestId("unarchive-template-form").getByRole("button", { name: "Unarchive" }).click();
  await expect(page.getByTestId("template-archived")).toHaveCount(0);
  await expect(page.getByTestId("test-send").getByRole("button", { name: "Send test" })).toBeEnabled();

  // A page opened before the template was archived cannot test-send it either.
  await db.update(templates).set({ archivedAt: new Date() }).where(eq(templates.id, templateId));
  await page.getByTestId("test-send").getByRole("button", { name: "Send test" }).click();
  await expect(page.getByTestId("test-send").getByRole("alert")).toHaveText("This template is archived: unarchive it to send tests");
});
