import { eq } from "drizzle-orm";
import { flows, flowVersions } from "@/db/schema/index";
import { recordTeamNotice } from "@/db/queries/notifications";
import { graph } from "../fixtures/flows";
import { seedWorkspace } from "../fixtures/seed";
import { expect, test } from "../fixtures/test";

/**
 * The notify-team node in the app: publishing refuses a member of another workspace, naming the
 * node, and the notices page lists a team notice with the note, who was told and the contact's link.
 * (What the runner does with the node: inngest/functions/notify-team.int.test.ts.)
 */

const notifyDraft = (memberIds: string[]) =>
  graph(
    [
      ["t", "manual-enrol"],
      ["tell", "notify-team", { memberIds, message: "Hot lead: call today" }],
      ["x", "exit"],
    ],
    [
      ["t", "next", "tell"],
      ["tell", "next", "x"],
    ],
  );

test("publishing refuses a notify-team node naming a member of another workspace", async ({ db, workspace, memberPage }) => {
  const other = await seedWorkspace(db, { contacts: 0 });
  const [leak] = await db.insert(flows).values({ workspaceId: workspace.workspace.id, name: "Leaky tip-off", draft: notifyDraft([workspace.owner.id, other.owner.id]) }).returning();
  await db.insert(flows).values({ workspaceId: workspace.workspace.id, name: "Tip-off", draft: notifyDraft([workspace.owner.id]) }).returning();
  const { page } = await memberPage("editor");
  await page.goto(`/w/${workspace.workspace.slug}/flows`);
  const leakRow = page.getByTestId("flow-Leaky tip-off");
  await leakRow.getByRole("button", { name: "Publish draft" }).click();
  await expect(leakRow.getByRole("alert")).toContainText(`cannot be published: tell: ${other.owner.id} is not a member of this workspace`);
  expect(await db.select().from(flowVersions).where(eq(flowVersions.flowId, leak!.id))).toEqual([]);
  const fineRow = page.getByTestId("flow-Tip-off");
  await fineRow.getByRole("button", { name: "Publish draft" }).click();
  await expect(fineRow.getByRole("status")).toHaveText("Published “Tip-off” as version 1");
});

test("the notices page lists a team notice with the note, who was told and the contact's link", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const contactId = workspace.contacts[0]!.id;
  const [flow] = await db.insert(flows).values({ workspaceId: ws.id, name: "Big carts", draft: notifyDraft([workspace.owner.id]) }).returning();
  const notice = await recordTeamNotice(db, {
    workspaceId: ws.id,
    flowId: flow!.id,
    contactId,
    nodeId: "tell",
    dedupeKey: `${crypto.randomUUID()}:tell#1:notify-team`,
    message: "Hot lead: call today",
    recipientUserIds: [workspace.owner.id],
    at: new Date(),
  });
  const { page } = await memberPage("admin");
  await page.goto(`/w/${ws.slug}/notices`);
  const row = page.getByTestId(`notice-${notice!.id}`);
  await expect(row).toContainText(`Big carts: ${notice!.contact.display}`);
  await expect(row).toContainText("Hot lead: call today");
  await expect(row.getByTestId("notice-told")).toContainText("Told ");
  await row.getByRole("link", { name: "Open the contact" }).click();
  await page.waitForURL(new RegExp(`/contacts/${contactId}$`));
});
