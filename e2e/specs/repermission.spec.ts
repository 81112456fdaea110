import type { Page } from "@playwright/test";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createSegment, refreshMembership } from "@/db/queries/segments";
import { consentEvents, contacts, repermissionRequests } from "@/db/schema/index";
import { waitForMail } from "../fixtures/mailbox";
import { expect, test } from "../fixtures/test";

/**
 * Re-permission in the app (docs/forms-and-consent.md#re-permission): an import's and a segment's
 * "Ask N unconfirmed contacts to confirm", its confirm dialog, progress and counts, a confirmation
 * link followed from the mailbox, and who may ask.
 */

/** Reloads until the latest request reads done (the request runs in the background). */
async function untilDone(page: Page) {
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("repermission-counts")).toContainText(/: done/, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
}

/** Follows the confirmation mail's link and presses Confirm, as the contact would. */
async function confirmFromMailbox(page: Page, db: Db, to: string) {
  const mail = await waitForMail(db, { to, subject: /^Confirm/, timeoutMs: 30_000 });
  const link = /https?:\/\/[^\s"<]+\/f\/confirm\/[A-Za-z0-9._-]+/.exec(mail.text ?? "")?.[0];
  expect(link).toBeTruthy();
  await page.goto(new URL(link!).pathname);
  await expect(page.getByTestId("confirm-wording")).toBeVisible();
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByText(/confirmed|subscribed/i).first()).toBeVisible();
}

test("an editor imports a list, asks its unconfirmed contacts to confirm, and a confirmation from the mailbox is counted", async ({ memberPage, workspace, db }) => {
  const s = workspace.workspace.slug;
  const emails = [`ida-${s}@example.com`, `jon-${s}@example.com`];
  const { page } = await memberPage("editor");
  await page.goto(`/w/${s}/contacts/import`);
  await page.getByLabel("CSV file").setInputFiles({ name: "fair.csv", mimeType: "text/csv", buffer: Buffer.from(`email,first_name\n${emails[0]},Ida\n${emails[1]},Jon\n`) });
  await page.getByLabel(/Where and how did these people consent/).fill("Signed up at our stand at the Bergen trade fair; paper forms on file");
  await page.getByRole("button", { name: "Import 2 rows" }).click();
  await expect(page.getByTestId("import-result")).toBeVisible({ timeout: 60_000 });
  await page.getByTestId("import-page-link").click();

  const panel = page.getByTestId("repermission");
  await expect(panel.getByTestId("repermission-unconfirmed")).toContainText("2 contacts are unconfirmed");
  await panel.getByRole("button", { name: "Ask 2 unconfirmed contacts to confirm" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Ask 2 unconfirmed contacts to confirm?");
  await dialog.getByRole("button", { name: "Send confirmation mails" }).click();
  await expect(panel.getByRole("status")).toContainText("Asking 2 unconfirmed contacts to confirm");
  await expect(panel.getByTestId("repermission-counts")).toContainText(/Latest request/);
  await untilDone(page);
  await expect(panel.getByTestId("repermission-asked")).toHaveText("2 asked");
  await expect(panel.getByTestId("repermission-confirmed")).toHaveText("0 confirmed");
  await expect(panel.getByTestId("repermission-pending")).toHaveText("2 pending");

  const contact = await page.context().newPage();
  await confirmFromMailbox(contact, db, emails[0]!);
  await page.reload();
  await expect(panel.getByTestId("repermission-confirmed")).toHaveText("1 confirmed");
  await expect(panel.getByTestId("repermission-pending")).toHaveText("1 pending");
  await expect(panel.getByTestId("repermission-unconfirmed")).toContainText("1 contact is unconfirmed");
  const [ida] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, emails[0]!)));
  expect(ida!.status).toBe("subscribed");
  const [ev] = await db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, workspace.workspace.id), eq(consentEvents.contactId, ida!.id), eq(consentEvents.kind, "confirmed")));
  expect(ev!.source).toBe("repermission_import");

});

test("an editor asks a segment's unconfirmed members to confirm from the segment's page; a viewer sees the counts and no button", async ({ memberPage, workspace, db }) => {
  const w = workspace.workspace.id;
  const s = workspace.workspace.slug;
  const email = `kai-${s}@example.com`;
  // An unconfirmed member with an opt-in on record (as an API signup under double opt-in leaves it).
  const [kai] = await db.insert(contacts).values({ workspaceId: w, email, status: "unconfirmed", source: "api", attributes: { plan: "trial" } }).returning({ id: contacts.id });
  await db.insert(consentEvents).values({ workspaceId: w, contactId: kai!.id, kind: "opt_in", email, source: "api" });
  const definition = { type: "group" as const, match: "all" as const, children: [{ type: "attribute" as const, field: "plan", comparison: { op: "eq" as const, value: "trial" } }] };
  const seg = await createSegment(db, { workspaceId: w, name: "Trials", definition, createdBy: workspace.owner.id });
  await refreshMembership(db, { workspaceId: w, segmentId: seg.id, definition, now: new Date(), afterId: null, limit: 1000 });

  const { page } = await memberPage("editor");
  await page.goto(`/w/${s}/segments/${seg.id}`);
  const panel = page.getByTestId("repermission");
  await panel.getByRole("button", { name: "Ask 1 unconfirmed contacts to confirm" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Send confirmation mails" }).click();
  await untilDone(page);
  await expect(panel.getByTestId("repermission-asked")).toHaveText("1 asked");
  const [req] = await db.select().from(repermissionRequests).where(and(eq(repermissionRequests.workspaceId, w), eq(repermissionRequests.segmentId, seg.id)));
  expect(req!.source).toBe("segment");

  await confirmFromMailbox(await page.context().newPage(), db, email);
  await page.reload();
  await expect(panel.getByTestId("repermission-confirmed")).toHaveText("1 confirmed");
  const [ev] = await db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.contactId, kai!.id), eq(consentEvents.kind, "confirmed")));
  expect(ev).toMatchObject({ source: "repermission_segment", data: expect.objectContaining({ segment_id: seg.id }) });

  // A viewer (who cannot open imports at all) sees the segment's counts, not the button.
  const viewer = (await memberPage("viewer")).page;
  await viewer.goto(`/w/${s}/segments/${seg.id}`);
  await expect(viewer.getByTestId("repermission-confirmed")).toHaveText("1 confirmed");
  await expect(viewer.getByTestId("repermission")).toBeVisible();
  await expect(viewer.getByRole("button", { name: /unconfirmed contacts to confirm/ })).toHaveCount(0);
});
