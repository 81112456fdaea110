import { and, eq } from "drizzle-orm";
import { messageEvents } from "@/db/queries/messages";
import { contacts, messages, templates, workspaces } from "@/db/schema/index";
import { signTrackingToken } from "@/lib/email/tracking";
import { waitForMail } from "../fixtures/mailbox";
import { expect, test } from "../fixtures/test";

test("@smoke an editor writes a template with merge tags, previews it for a real contact, sees warnings and sends a test", async ({ memberPage, workspace, db }) => {
  // A long walk through the editor (each keystroke re-renders the preview on the server).
  test.setTimeout(90_000);
  const { page, email } = await memberPage("editor");
  await db.update(contacts).set({ firstName: "<script>alert(1)</script>" }).where(eq(contacts.id, workspace.contacts[0]!.id));
  await page.goto(`/w/${workspace.workspace.slug}/templates`);
  await expect(page.getByTestId("empty-state")).toBeVisible();
  await page.getByRole("link", { name: "Create your first template" }).click();

  const form = page.getByTestId("template-form");
  await form.getByLabel("Name").fill("Spring sale");
  await form.getByLabel("Subject").fill("Spring is here, {{ contact.first_name }}");
  await form.getByLabel("Body").fill("# Hi {{ contact.first_name }}\n\nYour plan: {{ contact.plan }}\n\n");
  // The merge-tag menu inserts at the cursor.
  await page.getByTestId("merge-tag-menu").click();
  await page.getByRole("menuitem", { name: /Email address/ }).click();
  await expect(form.getByLabel("Body")).toHaveValue(/\{\{ contact\.email \}\}$/);

  // Live preview for the picked contact: the hostile name arrives as text.
  await page.getByLabel("Preview for").selectOption(workspace.contacts[0]!.id);
  await expect(page.getByTestId("preview-subject")).toHaveText("Spring is here, <script>alert(1)</script>");
  const frame = page.frameLocator("[data-testid=preview-frame]");
  await expect(frame.locator("h1")).toHaveText("Hi <script>alert(1)</script>");
  await expect(frame.getByText("Unsubscribe")).toBeVisible();
  await expect(frame.getByText("1 Fjord Road, 5003 Bergen, Norway")).toBeVisible();
  await expect(page.getByTestId("merge-tag-warnings")).toContainText('no contact has the attribute "plan"');
  await page.getByRole("tab", { name: "Plain text" }).click();
  await expect(page.getByTestId("preview-text")).toContainText("Hi <script>alert(1)</script>");

  // Liquid errors name the field and nothing is saved.
  await form.getByLabel("Body").fill("{% if %}");
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(form.getByRole("alert").filter({ hasText: /body/ }).first()).toBeVisible();
  expect(await db.select().from(templates).where(eq(templates.workspaceId, workspace.workspace.id))).toHaveLength(0);

  await form.getByLabel("Body").fill("# Hi {{ contact.first_name }}\n\n[button: Shop](https://shop.example/sale)");
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(page.getByText("Template created")).toBeVisible();
  const [saved] = await db.select().from(templates).where(eq(templates.workspaceId, workspace.workspace.id));
  expect(saved).toMatchObject({ name: "Spring sale", class: "marketing" });
  expect((saved!.body as { markup: string }).markup).toBe("# Hi {{ contact.first_name }}\n\n[button: Shop](https://shop.example/sale)");

  // Test send to yourself (the dev mailbox stands in for Resend here).
  await expect(page.getByTestId("preview-subject")).toBeVisible();
  await expect(page.getByLabel("Send a test to")).toHaveValue(email);
  await page.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByTestId("test-send").getByRole("status")).toContainText(`Test sent to ${email}`);
  const mail = await waitForMail(db, { to: email, subject: /^\[Test\] Spring is here/ });
  expect(mail.html).toContain("Hi &lt;script&gt;alert(1)&lt;/script&gt;");
  expect(mail.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");

  await page.goto(`/w/${workspace.workspace.slug}/templates`);
  await expect(page.getByTestId("template-Spring sale")).toBeVisible();
});

test("the live preview route renders for members, names bad fields and refuses other sites", async ({ memberPage, workspace }) => {
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${workspace.workspace.slug}/templates`);
  const url = `/w/${workspace.workspace.slug}/templates/preview`;
  const draft = { workspace: workspace.workspace.slug, name: "Hello", class: "marketing", topic: "", preheader: "", subject: "Hi {{ contact.email }}", markup: "Hello", contactId: workspace.contacts[0]!.id };
  const ok = await page.request.post(url, { multipart: draft });
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toMatchObject({ ok: true, data: { subject: `Hi ${workspace.contacts[0]!.email}` } });
  const bad = await page.request.post(url, { multipart: { ...draft, markup: "{% if %}" } });
  expect(await bad.json()).toMatchObject({ ok: false, fieldErrors: { markup: expect.any(String) } });
  const crossSite = await page.request.post(url, { multipart: draft, headers: { origin: "https://elsewhere.example" } });
  expect(crossSite.status()).toBe(403);
  expect(await crossSite.json()).toMatchObject({ ok: false, message: expect.stringMatching(/^origin:/) });
});

test("an admin sets the sending policy; bad input names the field and keeps what was stored", async ({ memberPage, workspace, db }) => {
  test.setTimeout(60_000);
  const { page } = await memberPage("admin");
  await page.goto(`/w/${workspace.workspace.slug}/settings`);
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Sending" }).click();
  const form = page.getByTestId("sending-form");
  await form.getByLabel("Limit marketing mail per contact").check();
  await form.getByLabel("At most").fill("2");
  await form.getByLabel("messages per (hours)").fill("24");
  await form.getByLabel(/Hold marketing mail during the night/).check();
  await form.getByLabel("From", { exact: true }).fill("21:30");
  await form.getByLabel("Until").fill("07:45");
  await expect(form.getByLabel("Requests per second to Resend")).toHaveValue("2");
  await form.getByLabel("Requests per second to Resend").fill("10");
  await form.getByRole("button", { name: "Save sending settings" }).click();
  await expect(form.getByRole("status")).toHaveText("Sending settings saved");
  const [ws] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id));
  expect(ws!.sendingPolicy).toMatchObject({ frequencyCap: { max: 2, windowHours: 24 }, quietHours: { start: "21:30", end: "07:45" }, pace: { requestsPerSecond: 10 } });

  // Past what any plan allows: refused by field (the browser's own check is bypassed), nothing changes.
  const url = page.url();
  await page.evaluate(() => document.querySelector("#paceRequestsPerSecond")?.removeAttribute("max"));
  await form.getByLabel("Requests per second to Resend").fill("5000");
  await form.getByRole("button", { name: "Save sending settings" }).click();
  await expect(form.getByRole("alert")).toContainText("paceRequestsPerSecond: at most 1000");
  expect(page.url()).toBe(url);
  await form.getByLabel("Requests per second to Resend").fill("10");

  await form.getByLabel("Until").fill("21:30");
  await form.getByRole("button", { name: "Save sending settings" }).click();
  await expect(form.getByRole("alert")).toContainText("quietEnd: start and end must differ");
  const [after] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id));
  expect(after!.sendingPolicy).toEqual(ws!.sendingPolicy);
});

test("tracked links redirect and record clicks, flagging scanners; the pixel answers an image; forged tokens go nowhere", async ({ request, workspace, db }) => {
  const [ws] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id));
  const [msg] = await db
    .insert(messages)
    .values({ workspaceId: ws!.id, contactId: workspace.contacts[0]!.id, class: "marketing", toEmail: workspace.contacts[0]!.email, subject: "S", status: "sent", sentAt: new Date(Date.now() - 3_600_000) })
    .returning({ id: messages.id });
  const url = "https://shop.example/sale?utm_source=tillit";
  const token = signTrackingToken(ws!.secret, { workspaceId: ws!.id, messageId: msg!.id, url });

  const head = await request.head(`/r/${token}`, { maxRedirects: 0 });
  expect(head.status()).toBe(302);
  const click = await request.get(`/r/${token}`, { maxRedirects: 0, headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/125.0 Safari/537.36" } });
  expect(click.status()).toBe(302);
  expect(click.headers().location).toBe(url);
  // The signature's first character changed: the last one carries padding bits, so changing it may change nothing.
  const [body, sig] = token.split(".");
  const forged = await request.get(`/r/${body}.${sig![0] === "A" ? "B" : "A"}${sig!.slice(1)}`, { maxRedirects: 0 });
  expect(forged.status()).toBe(404);
  expect((await request.get("/r/garbage", { maxRedirects: 0 })).status()).toBe(404);

  const pixel = await request.get(`/o/${signTrackingToken(ws!.secret, { workspaceId: ws!.id, messageId: msg!.id })}`, { headers: { "user-agent": "Mozilla/5.0" } });
  expect(pixel.status()).toBe(200);
  expect(pixel.headers()["content-type"]).toBe("image/gif");
  expect((await request.get("/o/garbage")).headers()["content-type"]).toBe("image/gif");

  const events = await messageEvents(db, { workspaceId: ws!.id, messageId: msg!.id });
  const clicks = events.filter((e) => e.type === "clicked");
  expect(clicks.map((c) => [c.machine, c.url])).toEqual([
    [true, url],
    [false, url],
  ]);
  expect(events.filter((e) => e.type === "opened").map((e) => e.machine)).toEqual([true]);
  expect(await db.select().from(messages).where(and(eq(messages.workspaceId, ws!.id), eq(messages.id, msg!.id)))).toHaveLength(1);
});
