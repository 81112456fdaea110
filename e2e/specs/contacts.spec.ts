import { and, eq } from "drizzle-orm";
import { contacts, events } from "@/db/schema/index";
import { expect, test } from "../fixtures/test";

test("@smoke an editor adds a contact by hand, finds it, edits typed attributes and reads its story", async ({ memberPage, workspace, db }) => {
  const { page } = await memberPage("editor");
  const base = `/w/${workspace.workspace.slug}/contacts`;
  await page.goto(base);
  await expect(page.getByTestId("contact-counts")).toContainText("3 in all");
  await page.getByRole("link", { name: "Add contact" }).click();
  const form = page.getByTestId("contact-form");
  await form.getByLabel("Email").fill("Solveig.Berg@Example.com");
  await form.getByLabel("First name").fill("Solveig");
  await form.getByLabel("Attribute 1 name").fill("lifetime_value");
  await form.getByLabel("Attribute 1 type").selectOption("number");
  await form.getByLabel("Attribute 1 value").fill("lots");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "lifetime_value must be a number" })).toBeVisible();
  await form.getByLabel("Attribute 1 value").fill("1299.5");
  await form.getByLabel("Attribute 2 name").fill("birthday");
  await form.getByLabel("Attribute 2 type").selectOption("date");
  await form.getByLabel("Attribute 2 value").fill("1990-05-17");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-email")).toHaveText("Solveig.Berg@Example.com");
  await expect(page.getByTestId("contact-status")).toHaveText("unconfirmed");
  await expect(page.getByTestId("consent-empty")).toBeVisible();
  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, "Solveig.Berg@Example.com")));
  expect(c!.attributes).toEqual({ lifetime_value: 1299.5, birthday: "1990-05-17" });

  // The same address again, in another case, is refused.
  await page.goto(`${base}/new`);
  await page.getByTestId("contact-form").getByLabel("Email").fill("solveig.berg@example.com");
  await page.getByTestId("contact-form").getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-form").getByRole("alert").filter({ hasText: "already a contact" })).toBeVisible();

  await db.insert(events).values({ workspaceId: workspace.workspace.id, contactId: c!.id, name: "Order Completed", properties: { revenue: 98 }, occurredAt: new Date() });
  await page.goto(base);
  await page.getByLabel("Search contacts").fill("solveig");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("contacts-table").getByRole("row")).toHaveCount(2);
  await page.getByRole("link", { name: "Solveig.Berg@Example.com" }).click();
  await expect(page.getByTestId("timeline")).toContainText("Order Completed");
  await page.getByTestId("contact-form").getByLabel("First name").fill("Solveig Marie");
  await page.getByTestId("contact-form").getByRole("button", { name: "Save contact" }).click();
  await expect(page.getByTestId("contact-form").getByRole("status")).toHaveText("Contact saved");
  const [saved] = await db.select().from(contacts).where(eq(contacts.id, c!.id));
  expect(saved!.firstName).toBe("Solveig Marie");
});

test("contacts page through the list, and viewers cannot edit", async ({ memberPage, workspace, db }) => {
  await db.insert(contacts).values(Array.from({ length: 60 }, (_, i) => ({ workspaceId: workspace.workspace.id, email: `bulk${String(i).padStart(2, "0")}@example.com`, createdAt: new Date(Date.now() - i * 1000) })));
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${workspace.workspace.slug}/contacts`);
  await expect(page.getByRole("link", { name: "Add contact" })).toHaveCount(0);
  await expect(page.getByTestId("contacts-table").getByRole("row")).toHaveCount(51);
  await page.getByRole("link", { name: "Next page →" }).click();
  await expect(page.getByTestId("contacts-table").getByRole("row")).toHaveCount(14);
  await expect(page.getByRole("link", { name: "Next page →" })).toHaveCount(0);
  await page.getByRole("link", { name: "bulk59@example.com" }).click();
  await expect(page.getByRole("button", { name: "Save contact" })).toHaveCount(0);
  expect((await page.goto(`/w/${workspace.workspace.slug}/contacts/new`))?.status()).toBe(404);
});
