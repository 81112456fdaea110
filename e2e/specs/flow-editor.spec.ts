import { Analytics } from "@segment/analytics-node";
import type { Locator, Page } from "@playwright/test";
import { and, asc, eq } from "drizzle-orm";
import { createApiKey } from "@/db/queries/api-keys";
import { contacts, enrollments, flows, flowVersions } from "@/db/schema/index";
import type { Plan } from "@/lib/flows/plan";
import { starterGraph } from "@/lib/flows/starters";
import { createLiveFlow, createTemplate } from "../fixtures/flows";
import { testEnv } from "../fixtures/test-env";
import { expect, test } from "../fixtures/test";

/**
 * The flow editor, driven as a marketer would: palette drags and handle connections only,
 * configuration in the node panel, publish, live stats from real tracked events, undo/redo, the
 * migration map on a publish over waiting contacts, and a viewer's read-only view.
 */

const box = async (l: Locator) => {
  const b = await l.boundingBox();
  if (!b) throw new Error("not visible");
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

async function dropFromPalette(page: Page, kind: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${kind}`).dragTo(page.getByTestId("canvas"), { targetPosition: at });
}

async function connectHandles(page: Page, source: string, handle: string, target: string) {
  const from = await box(page.locator(`[data-nodeid="${source}"][data-handleid="${handle}"]`));
  const to = await box(page.locator(`[data-nodeid="${target}"][data-handleid="in"]`));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
  await expect(page.getByTestId(`rf__edge-${source}-${handle}-${target}`)).toHaveCount(1);
}

async function selectNode(page: Page, id: string) {
  await page.getByTestId(`node-${id}`).click({ position: { x: 30, y: 12 } });
  await expect(page.getByTestId("node-panel")).toContainText(id);
}

/** What undo/redo must restore: every node with its position, every edge. */
async function canvasState(page: Page) {
  return page.evaluate(() => {
    const nodes = [...document.querySelectorAll<HTMLElement>(".react-flow__node")].map((n) => `${n.dataset.id}@${n.style.transform}`);
    const edges = [...document.querySelectorAll<SVGElement>(".react-flow__edge")].map((e) => e.getAttribute("data-testid"));
    return [...nodes.sort(), ...edges.sort()].join("|");
  });
}

const stat = (page: Page, node: string, name: "in" | "wait" | "done" | "exit" | "conv") =>
  page.getByTestId(`stats-${node}`).locator(`[data-stat="${name}"] > span`);

test("a marketer builds the abandoned cart from an empty canvas, publishes it, watches stats move and migrates waiting contacts", async ({ db, workspace, memberPage }) => {
  test.setTimeout(240_000);
  const ws = workspace.workspace;
  await createTemplate(db, ws.id, "Your cart misses you");
  const { page } = await memberPage("editor");
  await page.setViewportSize({ width: 1440, height: 1000 });

  await page.goto(`/w/${ws.slug}/flows`);
  const form = page.getByTestId("new-flow-form");
  await form.getByLabel("Name").fill("Abandoned cart");
  await form.getByLabel(/Empty canvas/).check();
  await form.getByRole("button", { name: "Create flow" }).click();
  await page.waitForURL(/\/flows\/[0-9a-f-]{36}$/);
  const flowId = page.url().split("/").pop()!;
  await expect(page.getByTestId("canvas-empty")).toBeVisible();

  // Drag the five nodes from the palette, configuring each in the panel as it lands.
  await dropFromPalette(page, "event-tracked", { x: 320, y: 60 });
  const panel = page.getByTestId("node-panel");
  await panel.getByLabel("Event", { exact: true }).fill("Product Added");

  await dropFromPalette(page, "wait-for-event", { x: 320, y: 200 });
  await panel.getByLabel("Event", { exact: true }).fill("Order Completed");
  await panel.getByLabel("Correlate").check();
  await panel.getByLabel("Event property").fill("cartId");
  await panel.getByLabel("Trigger property").fill("cartId");
  await panel.getByLabel("Timeout").fill("3 days");
  await expect(panel.getByRole("alert")).toHaveCount(0);

  await dropFromPalette(page, "goal", { x: 160, y: 360 });
  await panel.getByLabel("Name", { exact: true }).fill("Purchased");

  await dropFromPalette(page, "send-email", { x: 480, y: 360 });
  await expect(page.getByTestId("node-send-email-1")).toHaveAttribute("data-errors", /[1-9]/);
  await panel.getByLabel("Template").selectOption({ label: "Your cart misses you" });
  // Its own UTM campaign, checked as typed; the parameters left empty fall back to the workspace's.
  await panel.getByLabel("Own UTM parameters").check();
  await panel.getByLabel("Campaign").fill("cart reminder");
  await expect(panel.getByRole("alert")).toContainText("letters, digits");
  await panel.getByLabel("Campaign").fill("cart-reminder");
  await expect(panel.getByRole("alert")).toHaveCount(0);

  await dropFromPalette(page, "exit", { x: 480, y: 500 });
  await panel.getByLabel("Reason").fill("reminded");

  // Unconnected exits are problems on their nodes, and publishing waits for them.
  const publish = page.getByRole("button", { name: /^Publish/ });
  await expect(publish).toBeDisabled();
  await expect(page.getByRole("tab", { name: /Problems \([1-9]/ })).toBeVisible();

  await connectHandles(page, "event-tracked-1", "next", "wait-for-event-1");
  await connectHandles(page, "wait-for-event-1", "matched", "goal-1");
  await connectHandles(page, "wait-for-event-1", "timeout", "send-email-1");
  await connectHandles(page, "send-email-1", "next", "exit-1");
  await expect(page.getByRole("tab", { name: "Problems (0)" })).toBeVisible();

  // Undo and redo round-trip the canvas.
  const built = await canvasState(page);
  const undo = page.getByRole("button", { name: "Undo" });
  const redo = page.getByRole("button", { name: "Redo" });
  await undo.click();
  await undo.click();
  await expect(page.getByTestId("rf__edge-send-email-1-next-exit-1")).toHaveCount(0);
  await expect(page.getByTestId("rf__edge-wait-for-event-1-timeout-send-email-1")).toHaveCount(0);
  expect(await canvasState(page)).not.toBe(built);
  await redo.click();
  await redo.click();
  await expect(page.getByTestId("rf__edge-send-email-1-next-exit-1")).toHaveCount(1);
  expect(await canvasState(page)).toBe(built);
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("rf__edge-send-email-1-next-exit-1")).toHaveCount(0);
  await page.keyboard.press("Control+Shift+z");
  expect(await canvasState(page)).toBe(built);

  // The draft autosaves; publish with a note.
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "saved");
  await expect(publish).toBeEnabled();
  await publish.click();
  const dialog = page.getByTestId("publish-dialog");
  await dialog.getByLabel("Note").fill("First version: remind after three days");
  await dialog.getByRole("button", { name: "Publish now" }).click();
  await expect(page.getByTestId("editor-notice")).toContainText("as version 1");
  await expect(page.getByTestId("flow-status")).toContainText("live · v1");
  const [v1] = await db.select().from(flowVersions).where(eq(flowVersions.flowId, flowId));
  expect(v1!.note).toBe("First version: remind after three days");
  expect((v1!.plan as Plan).nodes["send-email-1"]).toMatchObject({ config: { utm: { off: false, campaign: "cart-reminder" } } });

  // Shoppers fill carts through the tracking API; the stats on the canvas follow.
  const { key } = await createApiKey(db, { workspaceId: ws.id, name: "Shop", kind: "public", createdBy: workspace.owner.id });
  const analytics = new Analytics({ writeKey: key, host: testEnv().E2E_TRACKING_URL!, flushAt: 1, maxRetries: 0 });
  const shoppers = ["ann", "bob"].map((n) => `${n}-${ws.slug}`);
  for (const userId of shoppers) {
    analytics.identify({ userId, traits: { email: `${userId}@example.com`, first_name: userId.split("-")[0] } });
    analytics.track({ userId, event: "Product Added", properties: { cartId: `cart-${userId}` } });
  }
  await analytics.flush();
  // Tracking → ingest → outbox → executor → router → runner, then the next stats refresh.
  await expect(stat(page, "event-tracked-1", "in")).toHaveText("2", { timeout: 60_000 });
  await expect(stat(page, "wait-for-event-1", "wait")).toHaveText("2", { timeout: 60_000 });

  // Ann buys another cart first (no match), then hers: she converts, Bob keeps waiting.
  analytics.track({ userId: shoppers[0]!, event: "Order Completed", properties: { cartId: "someone-elses" } });
  analytics.track({ userId: shoppers[0]!, event: "Order Completed", properties: { cartId: `cart-${shoppers[0]}` } });
  await analytics.closeAndFlush({ timeout: 10_000 });
  await expect(stat(page, "goal-1", "conv")).toHaveText("1", { timeout: 60_000 });
  await expect(stat(page, "wait-for-event-1", "wait")).toHaveText("1");
  await expect(stat(page, "wait-for-event-1", "done")).toHaveText("1");
  await expect(stat(page, "event-tracked-1", "conv")).toHaveText("1");

  // "Why is Bob here?": the waiting list and his trace.
  await selectNode(page, "wait-for-event-1");
  await panel.getByRole("link", { name: "Who is waiting here?" }).click();
  await panel.getByTestId("waiting-list").getByRole("link", { name: new RegExp(shoppers[1]!) }).click();
  await expect(panel.getByTestId("trace")).toContainText(`cart-${shoppers[1]}`);
  await expect(panel.getByTestId("trace")).toContainText("Waiting up to 3 days for Order Completed");

  // A second version with Bob waiting: the publish dialog shows the migration map.
  await panel.getByLabel("Timeout").fill("2 days");
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "saved");
  await publish.click();
  const row = dialog.getByTestId("migrate-wait-for-event-1");
  await expect(row).toContainText("1");
  const choice = row.getByLabel("Where contacts waiting at wait-for-event-1 continue");
  await expect(choice).toHaveValue("wait-for-event-1");
  await dialog.getByLabel("Note").fill("Shorter wait");
  await dialog.getByRole("button", { name: "Publish now" }).click();
  await expect(page.getByTestId("editor-notice")).toContainText("as version 2");

  // The runtime honours the choice: Bob now waits in version 2, at the node chosen.
  const [bob] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.id), eq(contacts.externalId, shoppers[1]!)));
  const versions = await db.select().from(flowVersions).where(eq(flowVersions.flowId, flowId)).orderBy(asc(flowVersions.number));
  await expect
    .poll(
      async () =>
        (await db.select().from(enrollments).where(eq(enrollments.contactId, bob!.id)).orderBy(asc(enrollments.enteredAt))).map((e) => [
          e.flowVersionId === versions[0]!.id ? "v1" : "v2",
          e.status,
          e.exitReason,
          e.currentNodeId,
        ]),
      { timeout: 30_000 },
    )
    .toEqual([
      ["v1", "exited", "migrated", "wait-for-event-1"],
      ["v2", "active", null, "wait-for-event-1"],
    ]);
});

test("@smoke a viewer sees the editor read-only", async ({ db, workspace, memberPage }) => {
  test.setTimeout(90_000);
  const ws = workspace.workspace;
  const tpl = await createTemplate(db, ws.id, "Happy birthday");
  const { flowId } = await createLiveFlow(db, { workspaceId: ws.id, name: "Birthday", graph: starterGraph("birthday", { template: () => tpl }) });
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${ws.slug}/flows/${flowId}`);
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByTestId("palette")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Publish/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Undo" })).toHaveCount(0);
  await selectNode(page, "greeting");
  await expect(page.getByTestId("node-panel").getByLabel("Label")).toBeDisabled();
  await expect(page.getByTestId("node-panel").getByRole("button", { name: "Delete" })).toHaveCount(0);
  // Where the node sits on the flow (not on the screen: dragging a fixed node pans the canvas).
  const position = () => page.locator('.react-flow__node[data-id="greeting"]').evaluate((el) => (el as HTMLElement).style.transform);
  const before = await position();
  await page.keyboard.press("Delete");
  const handle = await box(page.getByTestId("node-greeting"));
  await page.mouse.move(handle.x, handle.y);
  await page.mouse.down();
  await page.mouse.move(handle.x + 150, handle.y + 80, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId("node-greeting")).toBeVisible();
  expect(await position()).toBe(before);
  const [row] = await db.select().from(flows).where(eq(flows.id, flowId));
  expect(row!.draftRevision).toBe(0);
});

test("two editors on one flow: the second save sees a conflict instead of overwriting", async ({ db, workspace, memberPage }) => {
  test.setTimeout(90_000);
  const ws = workspace.workspace;
  const [flow] = await db.insert(flows).values({ workspaceId: ws.id, name: "Welcome", draft: starterGraph("welcome-double-opt-in") }).returning({ id: flows.id });
  const first = (await memberPage("editor")).page;
  const second = (await memberPage("editor")).page;
  for (const p of [first, second]) await p.goto(`/w/${ws.slug}/flows/${flow!.id}`);
  await selectNode(first, "pause");
  await first.getByTestId("node-panel").getByLabel("Label").fill("Two days");
  await expect(first.getByTestId("save-state")).toHaveAttribute("data-state", "saved");
  await selectNode(second, "pause");
  await second.getByTestId("node-panel").getByLabel("Label").fill("A pause");
  await expect(second.getByTestId("save-conflict")).toBeVisible();
  const [row] = await db.select().from(flows).where(eq(flows.id, flow!.id));
  expect((row!.draft as { nodes: { id: string; label?: string }[] }).nodes.find((n) => n.id === "pause")!.label).toBe("Two days");
  // Keeping mine overwrites on purpose.
  await second.getByRole("button", { name: "Keep mine" }).click();
  await expect(second.getByTestId("save-state")).toHaveAttribute("data-state", "saved");
  const [after] = await db.select().from(flows).where(eq(flows.id, flow!.id));
  expect((after!.draft as { nodes: { id: string; label?: string }[] }).nodes.find((n) => n.id === "pause")!.label).toBe("A pause");
});
