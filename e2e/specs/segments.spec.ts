import { readFileSync } from "node:fs";
import { and, eq, sql } from "drizzle-orm";
import { suppressAddress } from "@/db/queries/suppressions";
import { consentEvents, contacts, events, imports, segments } from "@/db/schema/index";
import { expect, test } from "../fixtures/test";

test("@smoke an editor builds a segment with a live count, saves it and sees its members; an admin exports them", async ({ memberPage, workspace, db }) => {
  test.setTimeout(90_000);
  const w = workspace.workspace.id;
  const [a, b, c] = workspace.contacts;
  await db.update(contacts).set({ attributes: { plan: "pro", seats: 12 } }).where(eq(contacts.id, a!.id));
  await db.update(contacts).set({ attributes: { plan: "pro", seats: 2 } }).where(eq(contacts.id, b!.id));
  await db.update(contacts).set({ attributes: { plan: "free" } }).where(eq(contacts.id, c!.id));
  await db.insert(events).values({ workspaceId: w, contactId: b!.id, name: "Order Completed", properties: { total: 80 }, occurredAt: new Date(Date.now() - 3 * 86_400_000) });
  await db.insert(events).values({ workspaceId: w, contactId: a!.id, name: "Order Completed", properties: { total: 10 }, occurredAt: new Date(Date.now() - 90 * 86_400_000) });

  const { page } = await memberPage("editor");
  await page.goto(`/w/${workspace.workspace.slug}/segments`);
  await expect(page.getByTestId("empty-state")).toContainText("No segments yet");
  await page.getByRole("link", { name: "Build a segment" }).click();
  const count = page.getByTestId("segment-count");
  await expect(count).toHaveText("3");

  await page.getByLabel("Add condition").selectOption("attribute");
  await page.getByLabel("Attribute", { exact: true }).fill("plan");
  await page.getByLabel("Attribute value").fill("pro");
  await expect(count).toHaveText("2");
  await expect(page.getByTestId("segment-sample")).toContainText(a!.email);

  // Ordered in the last 30 days: only b (a's order is 90 days old).
  await page.getByLabel("Add condition").first().selectOption("event");
  await page.getByLabel("Event name").fill("Order Completed");
  await expect(count).toHaveText("1");
  // … at least twice: nobody.
  await page.getByLabel("Performed").selectOption("gte");
  await page.getByLabel("Times").fill("2");
  await expect(count).toHaveText("0");
  await page.getByLabel("Performed").selectOption("once");
  await expect(count).toHaveText("1");

  await page.getByLabel("Name", { exact: true }).fill("Recent pro buyers");
  await page.getByRole("button", { name: "Save segment" }).click();
  await page.waitForURL(/\/segments\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("segment-members").getByRole("row")).toHaveCount(2);
  await expect(page.getByTestId("segment-members")).toContainText(b!.email);
  const [saved] = await db.select().from(segments).where(and(eq(segments.workspaceId, w), eq(segments.name, "Recent pro buyers")));
  expect(saved).toBeDefined();
  // Editors may not export personal data; admins may.
  await expect(page.getByRole("link", { name: "Export CSV" })).toHaveCount(0);

  const admin = await memberPage("admin");
  await admin.page.goto(`/w/${workspace.workspace.slug}/segments`);
  await admin.page.getByRole("link", { name: "Recent pro buyers" }).click();
  const res = await admin.page.request.get(`/w/${workspace.workspace.slug}/segments/${saved!.id}/export`);
  expect(res.status()).toBe(200);
  const csv = (await res.text()).trim().split("\r\n");
  expect(csv[0]).toBe("id,email,first_name,last_name,status,created_at");
  expect(csv.slice(1).map((l) => l.split(",")[1])).toEqual([b!.email]);
});

test("importing a 100,000-row file shows progress and ends with a report: every row is a contact or a report line", async ({ memberPage, workspace, db }) => {
  test.setTimeout(300_000);
  const w = workspace.workspace.id;
  await suppressAddress(db, { workspaceId: w, email: "erased-person@example.com", reason: "erased" });
  const N = 100_000;
  const lines = ["Email,First Name,Plan,Seats,Joined"];
  const bad = new Set<number>();
  for (let i = 1; i <= N; i++) {
    if (i % 5000 === 0) {
      lines.push(`not-an-address-${i},X,pro,1,2024-01-01`);
      bad.add(i);
    } else if (i % 7919 === 0) {
      lines.push(`row${i}@example.com,Y,pro,many,2024-01-01`);
      bad.add(i);
    } else if (i === 4242) {
      lines.push("erased-person@example.com,Z,pro,1,2024-01-01");
      bad.add(i);
    } else if (i === 60_001) {
      lines.push(`ROW1@example.com,Dup,pro,1,2024-01-01`);
      bad.add(i);
    } else lines.push(`row${i}@example.com,"Person, ${i}",${i % 3 ? "free" : "pro"},${i % 50},2024-${String((i % 12) + 1).padStart(2, "0")}-15`);
  }
  const file = Buffer.from(`${lines.join("\n")}\n`);

  const { page } = await memberPage("editor");
  await page.goto(`/w/${workspace.workspace.slug}/contacts`);
  await page.getByRole("link", { name: "Import" }).click();
  await page.getByLabel("CSV file").setInputFiles({ name: "fair-2025.csv", mimeType: "text/csv", buffer: file });
  await expect(page.getByTestId("import-rows")).toContainText("100,000 rows");
  await expect(page.getByLabel("Import Seats as")).toHaveValue("attribute");
  await expect(page.getByLabel("Type of Seats")).toHaveValue("number");
  await expect(page.getByTestId("import-preview")).toContainText("row1@example.com");
  const go = page.getByRole("button", { name: "Import 100,000 rows" });
  await expect(go).toBeDisabled(); // no consent statement yet
  await page.getByLabel(/Where and how did these people consent/).fill("Signed up at our stand at the Bergen trade fair, 2 May 2025; paper forms on file");
  await page.getByLabel("Tags to add").fill("Trade fair 2025");
  await go.click();

  const bar = page.getByRole("progressbar", { name: "Import progress" });
  await expect(page.getByTestId("import-progress")).toContainText("of 100,000 rows sent");
  // Progress moves through the file before it ends.
  await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 120_000 }).toBeGreaterThan(0);
  const result = page.getByTestId("import-result");
  await expect(result).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId("import-totals")).toHaveText(`${(N - bad.size).toLocaleString("en")} created · 0 updated · 0 skipped · ${bad.size.toLocaleString("en")} rejected`);

  const download = page.waitForEvent("download");
  await result.getByRole("link", { name: /Download the report/ }).click();
  const text = readFileSync(await (await download).path(), "utf8").trim().split("\r\n");
  expect(text[0]).toBe("row,outcome,reason,Email,First Name,Plan,Seats,Joined");
  expect(text.slice(1).map((l) => Number(l.split(",")[0]))).toEqual([...bad].sort((x, y) => x - y));
  expect(text.find((l) => l.startsWith("4242,"))).toMatch(/erased at the person's request/);
  expect(text.find((l) => l.startsWith("60001,"))).toMatch(/same address as row 1/);

  // Every row: a contact (with its opt-in record) or a report line.
  const [{ n }] = (await db.select({ n: sql<number>`count(*)::int` }).from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.source, "import")))) as [{ n: number }];
  expect(n + (text.length - 1)).toBe(N);
  const [{ k }] = (await db.select({ k: sql<number>`count(*)::int` }).from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.source, "import")))) as [{ k: number }];
  expect(k).toBe(n);
  const [sample] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, "row3@example.com")));
  // The workspace asks for double opt-in: imported people wait for their confirmation.
  expect(sample).toMatchObject({ status: "unconfirmed", firstName: "Person, 3", attributes: { plan: "pro", seats: 3, joined: "2024-04-15" } });
  const [imp] = await db.select().from(imports).where(eq(imports.workspaceId, w));
  expect(imp).toMatchObject({ status: "completed", totalRows: N, received: N });
});
