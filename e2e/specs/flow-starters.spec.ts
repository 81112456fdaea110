import { and, eq } from "drizzle-orm";
import { flows, templates } from "@/db/schema/index";
import { createTemplate } from "../fixtures/flows";
import { expect, test } from "../fixtures/test";

/**
 * The "new flow" form from a starter: each send node opens with the template made for its step
 * (created in the workspace, named after the step), not the workspace's first template.
 */

test("a flow from the welcome starter opens with each send node on its own step's template", async ({ db, workspace, memberPage }) => {
  test.setTimeout(120_000);
  const ws = workspace.workspace;
  // An unrelated template the old default would have put on every send node.
  const unrelated = await createTemplate(db, ws.id, "Autumn sale");
  const { page } = await memberPage("editor");
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`/w/${ws.slug}/flows`);
  const form = page.getByTestId("new-flow-form");
  await form.getByLabel("Name").fill("Welcome");
  await form.getByLabel(/Welcome series with double opt-in/).check();
  await form.getByRole("button", { name: "Create flow" }).click();
  await page.waitForURL(/\/flows\/[0-9a-f-]{36}$/);
  const flowId = page.url().split("/").pop()!;

  const panel = page.getByTestId("node-panel");
  for (const [node, name, subject] of [
    ["welcome1", "Welcome — step 1", "Welcome to {{ workspace.name }}"],
    ["welcome2", "Welcome — step 2", "Getting started with {{ workspace.name }}"],
  ] as const) {
    await page.getByTestId(`node-${node}`).click({ position: { x: 30, y: 12 } });
    await expect(panel).toContainText(node);
    // Options read "name — subject".
    await expect(panel.getByLabel("Template").locator("option:checked")).toHaveText(`${name} — ${subject}`);
  }
  const made = await db.select({ name: templates.name, subject: templates.subject }).from(templates).where(eq(templates.workspaceId, ws.id));
  expect(made.map((t) => t.name).sort()).toEqual(["Autumn sale", "Welcome — step 1", "Welcome — step 2"]);
  const [flow] = await db.select({ draft: flows.draft }).from(flows).where(and(eq(flows.workspaceId, ws.id), eq(flows.id, flowId)));
  expect(JSON.stringify(flow!.draft)).not.toContain(unrelated);
});
