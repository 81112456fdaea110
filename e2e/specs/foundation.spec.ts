import { insertDevMail } from "@/db/queries/dev-mailbox";
import { seedWorkspace } from "../fixtures/seed";
import { expect, test } from "../fixtures/test";

const sections = ["Flows", "Broadcasts", "Contacts", "Segments", "Forms", "Templates", "Reports", "Settings"];

test.describe("@smoke public pages", () => {
  test("the landing page says what Tillit does and links to sign-in", async ({ page }) => {
    const res = await page.goto("/");
    expect(res?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Marketing automation");
    await expect(page.getByText("permission-first marketing-automation")).toBeVisible();
    await page.getByRole("link", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  });

  test("the health endpoint reports the database up, then every part ok once the executor has synced the app", async ({ request }) => {
    const res = await request.get("/api/health");
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ status: expect.stringMatching(/^(ok|degraded)$/), parts: { database: { status: "ok" } } });
    // The executor syncs the app once it answers, on its own: strict turns 200 shortly after start.
    await expect.poll(async () => (await request.get("/api/health?strict=1")).status(), { timeout: 30_000 }).toBe(200);
    expect(await (await request.get("/api/health")).json()).toMatchObject({
      ok: true,
      status: "ok",
      parts: { database: { status: "ok" }, inngest: { status: "ok", mode: "bundled", synced: true }, ingest: { status: "ok", reachable: true } },
    });
  });
});

test.describe("@smoke workspace shell", () => {
  test("shows the workspace and an empty state on every section", async ({ memberPage, workspace }) => {
    const { page } = await memberPage("viewer");
    await page.goto(`/w/${workspace.workspace.slug}`);
    await expect(page).toHaveURL(new RegExp(`/w/${workspace.workspace.slug}/flows$`));
    await expect(page.getByTestId("workspace-name")).toHaveText(workspace.workspace.name);
    const nav = page.getByRole("navigation", { name: "Workspace" });
    for (const label of sections) {
      await nav.getByRole("link", { name: label, exact: true }).click();
      await expect(page.getByRole("heading", { level: 1, name: label })).toBeVisible();
      await expect(nav.getByRole("link", { name: label, exact: true })).toHaveAttribute("aria-current", "page");
      // Sections without data yet say what to do next; the seeded contacts are listed instead,
      // and they are the subscribers the dashboard already charts.
      if (label === "Contacts") await expect(page.getByTestId("contacts-table")).toBeVisible();
      else if (label === "Reports") await expect(page.getByRole("heading", { level: 2, name: "Subscriber growth" })).toBeVisible();
      else if (label !== "Settings") await expect(page.getByTestId("empty-state")).toBeVisible();
    }
  });

  test("answers 404 for a workspace that does not exist or is not yours", async ({ memberPage, db }) => {
    const { page } = await memberPage("owner");
    expect((await page.goto("/w/no-such-workspace/flows"))?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    const other = await seedWorkspace(db);
    expect((await page.goto(`/w/${other.workspace.slug}/flows`))?.status()).toBe(404);
  });

  test("sends a signed-out visitor to sign-in, remembering where they were going", async ({ page, workspace }) => {
    await page.goto(`/w/${workspace.workspace.slug}/contacts`);
    await expect(page).toHaveURL(/\/sign-in\?callbackUrl=/);
    expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(`/w/${workspace.workspace.slug}/contacts`);
  });
});

// The e2e server is a production build, where the mailbox is for signed-in members only.
test.describe("dev mailbox", () => {
  test("lists mail and shows its HTML, text and raw headers", async ({ memberPage, db }) => {
    const { page } = await memberPage("viewer");
    const to = `reader-${Date.now()}@example.com`;
    await insertDevMail(db, {
      from: "Acme Outdoor <news@acme.example>",
      to: [to],
      subject: "Welcome to the trail club",
      html: "<h1>Welcome, Kari</h1><p>Your first map is attached.</p>",
      text: "Welcome, Kari\nYour first map is attached.",
      headers: { "List-Unsubscribe": "<https://app.example/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      tags: [{ name: "flow", value: "welcome" }],
    });
    await page.goto("/dev/mailbox");
    const row = page.getByRole("row").filter({ hasText: to });
    await expect(row).toHaveCount(1);
    await row.getByRole("link", { name: "Welcome to the trail club" }).click();
    await expect(page.getByTestId("mail-subject")).toHaveText("Welcome to the trail club");
    await expect(page.frameLocator("iframe[title='HTML part']").getByRole("heading", { name: "Welcome, Kari" })).toBeVisible();
    await page.getByRole("link", { name: "Text" }).click();
    await expect(page.getByTestId("mail-text")).toContainText("Your first map is attached.");
    await page.getByRole("link", { name: "Raw headers" }).click();
    await expect(page.getByTestId("mail-headers")).toContainText("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    await expect(page.getByTestId("mail-headers")).toContainText(`To: ${to}`);
  });

  test("answers 404 for a malformed message id", async ({ memberPage }) => {
    const { page } = await memberPage("viewer");
    const res = await page.goto("/dev/mailbox/not-a-uuid");
    expect(res?.status()).toBe(404);
  });
});
