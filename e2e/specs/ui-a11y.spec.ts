import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { createInvitation } from "@/db/queries/members";
import { createSegment } from "@/db/queries/segments";
import { flows, forms, messages, templates, topics } from "@/db/schema/index";
import type { SeededWorkspace } from "../fixtures/seed";
import { expect, test } from "../fixtures/test";

/**
 * Accessibility: axe runs on the pages built from the shared UI primitives (docs/ui.md) — lists
 * with tables, the settings pages, a confirm dialog while open and a toast while shown — and finds
 * no serious or critical violation.
 */

async function populate(db: Db, ws: SeededWorkspace) {
  const id = ws.workspace.id;
  await createInvitation(db, { workspaceId: id, email: `invitee-${ws.workspace.slug}@example.com`, role: "viewer", invitedBy: ws.owner.id, now: new Date() });
  await createApiKey(db, { workspaceId: id, name: "Site", kind: "public", createdBy: ws.owner.id });
  await db.insert(flows).values({ workspaceId: id, name: "Onboarding" });
  const [template] = await db
    .insert(templates)
    .values({ workspaceId: id, name: "Welcome", class: "marketing", subject: "Welcome {{ contact.first_name }}", body: { markup: "Hello" } })
    .returning({ id: templates.id });
  const segment = await createSegment(db, { workspaceId: id, name: "Everyone", definition: { type: "group", match: "all", children: [] }, createdBy: null });
  await db.insert(forms).values({ workspaceId: id, name: "Newsletter", slug: `news-${ws.workspace.slug}` });
  await db.insert(topics).values({ workspaceId: id, key: "offers", name: "Offers" });
  const contact = ws.contacts[0]!;
  const [message] = await db
    .insert(messages)
    .values({ workspaceId: id, contactId: contact.id, templateId: template!.id, class: "marketing", toEmail: contact.email, subject: "Welcome Ada", status: "sent", permissionBasis: "consent", sentAt: new Date() })
    .returning({ id: messages.id });
  return { templateId: template!.id, segmentId: segment.id, messageId: message!.id };
}

/** The serious and critical violations on the page as it is now, one line each (rule: selectors). */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("lists, detail and settings pages have no serious or critical axe violation", async ({ db, workspace, memberPage }) => {
  test.setTimeout(180_000);
  const { templateId, segmentId, messageId } = await populate(db, workspace);
  const { page } = await memberPage("owner");
  const base = `/w/${workspace.workspace.slug}`;
  const paths = [
    "/contacts",
    `/contacts/${workspace.contacts[0]!.id}`,
    `/messages/${messageId}`,
    "/segments",
    `/segments/${segmentId}`,
    "/templates",
    `/templates/${templateId}`,
    "/forms",
    "/flows",
    "/reports",
    "/settings",
    "/settings/sending",
    "/settings/members",
    "/settings/api-keys",
    "/settings/topics",
    "/settings/audit",
  ];
  const found: Record<string, string[]> = {};
  for (const p of paths) {
    await page.goto(base + p);
    await page.getByRole("main").waitFor();
    const v = await seriousViolations(page);
    if (v.length) found[p] = v;
  }
  expect(found).toEqual({});
});

test("a destructive action asks first in a dialog naming what goes; the dialog passes axe", async ({ db, workspace, memberPage }) => {
  const { templateId } = await populate(db, workspace);
  const { page } = await memberPage("owner");
  await page.goto(`/w/${workspace.workspace.slug}/templates/${templateId}`);
  await page.getByTestId("delete-template-form").getByRole("button", { name: "Delete template" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete template “Welcome”?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("It goes for good; messages already sent stay in reports");
  expect(await seriousViolations(page)).toEqual([]);

  // Cancel keeps it, and focus returns to the button that asked.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("delete-template-form").getByRole("button", { name: "Delete template" })).toBeFocused();
  expect(await db.select().from(templates).where(eq(templates.id, templateId))).toHaveLength(1);

  // Confirming submits the same form as before: the template goes and the list opens.
  await page.getByTestId("delete-template-form").getByRole("button", { name: "Delete template" }).click();
  await dialog.getByRole("button", { name: "Delete template" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspace.workspace.slug}/templates$`));
  expect(await db.select().from(templates).where(eq(templates.id, templateId))).toHaveLength(0);
});

test("a form's outcome shows in place and as a toast, for success and refusal; the toast passes axe", async ({ db, workspace, memberPage }) => {
  await populate(db, workspace);
  const { page } = await memberPage("owner");
  await page.goto(`/w/${workspace.workspace.slug}/settings/topics`);
  const form = page.getByTestId("topic-form");
  await form.getByLabel("Name").fill("Newsletter");
  await form.getByLabel("Key").fill("newsletter");
  await form.getByRole("button", { name: "Add topic" }).click();
  await expect(form.getByRole("status")).toHaveText("Topic “Newsletter” created");
  await expect(page.locator('[data-sonner-toast][data-type="success"]')).toContainText("Topic “Newsletter” created");
  expect(await seriousViolations(page)).toEqual([]);

  // The key "offers" is taken: the refusal stays beside the form and is raised as a toast too.
  await form.getByLabel("Key").fill("offers");
  await form.getByRole("button", { name: "Add topic" }).click();
  const refusal = form.getByRole("alert");
  await expect(refusal).toBeVisible();
  await expect(page.locator('[data-sonner-toast][data-type="error"]')).toContainText((await refusal.textContent())!);
});
