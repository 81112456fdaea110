import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { apiKeys, auditLog, devMailbox, flows, flowVersions, invitations, memberships, workspaces } from "@/db/schema/index";
import { sha256 } from "@/db/queries/tokens";
import { graph } from "../fixtures/flows";
import { waitForMail } from "../fixtures/mailbox";
import { signInWithMagicLink } from "../fixtures/sign-in";
import { expect, test } from "../fixtures/test";

const unique = () => randomBytes(3).toString("hex");

test("@smoke sign in by magic link, create a workspace, invite a viewer who joins and can only read", async ({ browser, db, baseURL }) => {
  // Two people each sign in through a magic link and its confirm page, then a dozen pages: the
  // longest journey of the suite.
  test.setTimeout(120_000);
  const ownerEmail = `owner-${unique()}@example.com`;
  const viewerEmail = `viewer-${unique()}@example.com`;

  const ownerCtx = await browser.newContext({ baseURL });
  const owner = await ownerCtx.newPage();
  await signInWithMagicLink(owner, db, ownerEmail);
  await expect(owner).toHaveURL(/\/workspaces\/new$/);
  await owner.getByLabel("Workspace name").fill("Fjord Outfitters");
  await owner.getByRole("button", { name: "Create workspace" }).click();
  await expect(owner).toHaveURL(/\/w\/fjord-outfitters(-\d+)?\/flows$/);
  const slug = new URL(owner.url()).pathname.split("/")[2]!;
  await expect(owner.getByTestId("signed-in-as")).toContainText("Owner");

  await owner.goto(`/w/${slug}/settings/members`);
  const invite = owner.getByTestId("invite-form");
  await invite.getByLabel("Email").fill(viewerEmail);
  await invite.getByLabel("Role").selectOption("viewer");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(invite.getByRole("status")).toHaveText(`Invitation sent to ${viewerEmail}`);
  await expect(owner.getByTestId(`invitation-${viewerEmail}`)).toContainText("Viewer");

  const mail = await waitForMail(db, { to: viewerEmail, subject: /invited you/ });
  const inviteLink = mail.text!.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)![0];

  const viewerCtx = await browser.newContext({ baseURL });
  const viewer = await viewerCtx.newPage();
  await viewer.goto(new URL(inviteLink).pathname);
  await expect(viewer.getByRole("heading", { name: "Join Fjord Outfitters" })).toBeVisible();
  await viewer.getByRole("link", { name: `Sign in as ${viewerEmail} to accept` }).click();
  await expect(viewer).toHaveURL(/\/sign-in\?callbackUrl=%2Finvite%2F/);
  await signInWithMagicLink(viewer, db, viewerEmail);
  await expect(viewer).toHaveURL(/\/invite\//);
  await viewer.getByRole("button", { name: "Accept invitation" }).click();
  await expect(viewer).toHaveURL(new RegExp(`/w/${slug}/flows$`));
  await expect(viewer.getByTestId("signed-in-as")).toContainText("Viewer");

  // The UI offers a viewer no way to change anything …
  await viewer.goto(`/w/${slug}/settings`);
  await expect(viewer.getByRole("button", { name: "Save settings" })).toHaveCount(0);
  await expect(viewer.getByText("Only admins and owners can change these settings.")).toBeVisible();
  await viewer.goto(`/w/${slug}/settings/members`);
  await expect(viewer.getByTestId("invite-form")).toHaveCount(0);
  expect((await viewer.goto(`/w/${slug}/settings/api-keys`))?.status()).toBe(404);

  // … and the server refuses when the form is forced open.
  await viewer.goto(`/w/${slug}/settings`);
  await viewer.evaluate(() => {
    document.querySelectorAll("fieldset").forEach((f) => f.removeAttribute("disabled"));
    const btn = document.createElement("button");
    btn.type = "submit";
    btn.textContent = "Forced save";
    document.querySelector("[data-testid=settings-form]")!.appendChild(btn);
  });
  await viewer.getByLabel("Workspace name").fill("Hijacked");
  await viewer.getByRole("button", { name: "Forced save" }).click();
  await expect(viewer.getByRole("alert").filter({ hasText: "Your role (viewer) cannot do this" })).toBeVisible();
  const [ws] = await db.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.slug, slug));
  expect(ws!.name).toBe("Fjord Outfitters");

  // The invitation was single-use.
  await viewer.goto(new URL(inviteLink).pathname);
  await expect(viewer.getByRole("alert").filter({ hasText: "already been used" })).toBeVisible();

  await ownerCtx.close();
  await viewerCtx.close();
});

test("admins manage API keys: shown once, stored hashed, revocable", async ({ memberPage, workspace, db }) => {
  const { page } = await memberPage("admin");
  await page.goto(`/w/${workspace.workspace.slug}/settings/api-keys`);
  await expect(page.getByText("No keys yet")).toBeVisible();
  const form = page.getByTestId("api-key-form");
  await form.getByLabel("Name").fill("Website tracking");
  await form.getByLabel("Kind").selectOption("public");
  await form.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("revealed-secret").textContent())!;
  expect(key).toMatch(/^tk_pub_[A-Za-z0-9_-]{32}$/);
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, workspace.workspace.id));
  expect(row!.keyHash).not.toContain(key);
  expect(row!.prefix).toBe(key.slice(0, 12));
  await page.reload();
  await expect(page.getByTestId("revealed-secret")).toHaveCount(0);
  const listed = page.getByTestId("api-key-Website tracking");
  await expect(listed).toContainText(key.slice(0, 12));
  await listed.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByTestId("api-key-Website tracking")).toContainText("Revoked");
  const [after] = await db.select().from(apiKeys).where(eq(apiKeys.id, row!.id));
  expect(after!.revokedAt).not.toBeNull();

  await page.goto(`/w/${workspace.workspace.slug}/settings/audit`);
  await expect(page.getByTestId("audit-table")).toContainText("api_key.revoked");
  await expect(page.getByTestId("audit-table")).toContainText("api_key.created");
});

test("the last owner cannot leave; an editor cannot manage members", async ({ memberPage, workspace, db }) => {
  // The seeded owner is the only owner; sign in as a second member to see the rules from both sides.
  const { page: editor } = await memberPage("editor");
  await editor.goto(`/w/${workspace.workspace.slug}/settings/members`);
  await expect(editor.getByTestId("invite-form")).toHaveCount(0);
  await expect(editor.getByRole("button", { name: "Remove" })).toHaveCount(0);

  const { page: owner, userId } = await memberPage("owner");
  await db.delete(memberships).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.userId, workspace.owner.id)));
  await owner.goto(`/w/${workspace.workspace.slug}/settings/members`);
  await owner.getByRole("button", { name: "Leave workspace" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Leave workspace" }).click();
  await expect(owner.getByRole("alert").filter({ hasText: "The last owner cannot leave" })).toBeVisible();
  const still = await db.select().from(memberships).where(eq(memberships.userId, userId));
  expect(still).toHaveLength(1);
});

test("an owner cannot transfer ownership to themselves, so the last owner still cannot leave", async ({ memberPage, workspace, db }) => {
  const { email: editorEmail } = await memberPage("editor");
  const { page: owner, userId } = await memberPage("owner");
  // The signed-in owner becomes the only owner.
  await db.delete(memberships).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.userId, workspace.owner.id)));
  await owner.goto(`/w/${workspace.workspace.slug}/settings/members`);
  // The page offers "Make owner" only beside others; aim the editor's row at oneself, as a forged request would.
  const row = owner.getByTestId(`member-${editorEmail}`);
  await row.locator('form:has(button:text("Make owner")) input[name="userId"]').evaluate((el, v) => ((el as HTMLInputElement).value = v), userId);
  await row.getByRole("button", { name: "Make owner" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Transfer ownership" }).click();
  await expect(row.getByRole("alert").filter({ hasText: "You already own this workspace: choose another member to transfer ownership to" })).toBeVisible();
  await expect(owner.getByTestId("signed-in-as")).toContainText("Owner");
  const [mine] = await db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.userId, userId)));
  expect(mine!.role).toBe("owner");

  await owner.getByRole("button", { name: "Leave workspace" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Leave workspace" }).click();
  await expect(owner.getByRole("alert").filter({ hasText: "The last owner cannot leave" })).toBeVisible();
  const owners = await db.select().from(memberships).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.role, "owner")));
  expect(owners.map((o) => o.userId)).toEqual([userId]);
});

test("an expired invitation, a revoked one and a tampered session each get a clear answer", async ({ page, db, workspace, context, baseURL }) => {
  const expiredToken = `expired${unique()}${unique()}`;
  await db.insert(invitations).values({
    workspaceId: workspace.workspace.id,
    email: "late@example.com",
    role: "editor",
    tokenHash: sha256(expiredToken),
    expiresAt: new Date(Date.now() - 1000),
  });
  const res = await page.goto(`/invite/${expiredToken}`);
  expect(res?.status()).toBe(200);
  await expect(page.getByRole("alert").filter({ hasText: "This invitation has expired" })).toBeVisible();

  await page.goto(`/invite/${"x".repeat(30)}`);
  await expect(page.getByRole("alert").filter({ hasText: "not valid" })).toBeVisible();

  await context.addCookies([{ name: "authjs.session-token", value: "tampered-not-a-session", url: baseURL! }]);
  const shell = await page.goto(`/w/${workspace.workspace.slug}/flows`);
  expect(shell?.status()).toBeLessThan(500);
  await expect(page).toHaveURL(/\/sign-in/);
});

test("an owner deletes the workspace after typing its name; an admin is not offered it", async ({ memberPage, workspace, db }) => {
  const { page: admin } = await memberPage("admin");
  await admin.goto(`/w/${workspace.workspace.slug}/settings`);
  await expect(admin.getByTestId("delete-workspace-form")).toHaveCount(0);

  const { page: owner } = await memberPage("owner");
  await owner.goto(`/w/${workspace.workspace.slug}/settings`);
  const form = owner.getByTestId("delete-workspace-form");
  await form.getByLabel(/to confirm/).fill("not the name");
  await form.getByRole("button", { name: "Delete workspace" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Delete workspace" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "Type the workspace's name exactly" })).toBeVisible();
  expect(await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id))).toHaveLength(1);

  await form.getByLabel(/to confirm/).fill(workspace.workspace.name);
  await form.getByRole("button", { name: "Delete workspace" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Delete workspace" }).click();
  await expect(owner).toHaveURL(/\/workspaces(\/new)?$/);
  expect(await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id))).toHaveLength(0);
});

test("a member with several workspaces switches between them", async ({ browser, signedIn, baseURL }) => {
  // Reuses the browser state of the worker's magic-link sign-in.
  const context = await browser.newContext({ baseURL, storageState: signedIn.storageState });
  const page = await context.newPage();
  await page.goto("/workspaces/new");
  const name = `Second Shop ${unique()}`;
  await page.getByLabel("Workspace name").fill(name);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByTestId("workspace-name")).toHaveText(name);
  await page.getByTestId("workspace-name").click();
  await expect(page).toHaveURL(/\/workspaces$/);
  await page.getByRole("link", { name: /Outfitters$/ }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${signedIn.slug}/flows$`));
  await expect(page.getByTestId("signed-in-as")).toContainText(signedIn.email);
  await context.close();
});

test("@smoke the sign-in form stops mailing one address after three links in ten minutes", async ({ page, db }) => {
  const email = `flood-${unique()}@example.com`;
  for (let i = 0; i < 3; i++) {
    await page.goto("/sign-in");
    await page.getByLabel("Work email").fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  }
  await page.goto("/sign-in");
  await page.getByLabel("Work email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "several links to this address" })).toBeVisible();
  const sent = await db.select().from(devMailbox).where(sql`${devMailbox.to} @> ${JSON.stringify([email])}::jsonb`);
  expect(sent).toHaveLength(3);
});

test("an admin saves workspace settings; the audit log records it and filters by kind", async ({ memberPage, workspace, db }) => {
  const { page } = await memberPage("admin");
  await page.goto(`/w/${workspace.workspace.slug}/settings`);
  const form = page.getByTestId("settings-form");
  await form.getByLabel("From name").fill("Fjord Trail Club");
  await form.getByLabel("From address").fill("not-an-address");
  // The browser would stop this itself; switch its check off to reach the server's.
  await form.evaluate((f) => ((f as HTMLFormElement).noValidate = true));
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "fromEmail: Enter a valid email address" })).toBeVisible();
  const [unchanged] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id));
  expect(unchanged!.fromName).toBe("Acme Outdoor");

  await form.getByLabel("From address").fill("club@fjord.example");
  await form.getByLabel("Postal address").fill("2 Harbour Street, 9008 Tromsø, Norway");
  await form.getByLabel("Default time zone").selectOption("America/New_York");
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByRole("status")).toHaveText("Settings saved");
  const [saved] = await db.select().from(workspaces).where(eq(workspaces.id, workspace.workspace.id));
  expect(saved).toMatchObject({ fromName: "Fjord Trail Club", fromEmail: "club@fjord.example", timeZone: "America/New_York" });

  await page.goto(`/w/${workspace.workspace.slug}/settings/audit?action=settings`);
  await expect(page.getByTestId("audit-table")).toContainText("settings.updated");
  await page.goto(`/w/${workspace.workspace.slug}/settings/audit?action=api_key`);
  await expect(page.getByText("Nothing recorded for this filter yet")).toBeVisible();
});

test("a revoked invitation stops working; an owner transfers ownership and signs out", async ({ memberPage, workspace, db, browser, baseURL }) => {
  const { page: owner } = await memberPage("owner");
  await owner.goto(`/w/${workspace.workspace.slug}/settings/members`);
  const invitee = `late-${unique()}@example.com`;
  await owner.getByTestId("invite-form").getByLabel("Email").fill(invitee);
  await owner.getByTestId("invite-form").getByRole("button", { name: "Send invitation" }).click();
  const mail = await waitForMail(db, { to: invitee, subject: /invited you/ });
  const path = new URL(mail.text!.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)![0]).pathname;
  await owner.getByTestId(`invitation-${invitee}`).getByRole("button", { name: "Revoke" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Revoke invitation" }).click();
  await expect(owner.getByTestId(`invitation-${invitee}`)).toHaveCount(0);
  const visitor = await (await browser.newContext({ baseURL })).newPage();
  await visitor.goto(path);
  await expect(visitor.getByRole("alert").filter({ hasText: "This invitation was withdrawn" })).toBeVisible();

  // Ownership goes to the seeded owner's colleague; the previous owner becomes an admin.
  const [colleague] = await db.select().from(memberships).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.userId, workspace.owner.id)));
  expect(colleague!.role).toBe("owner");
  await db.update(memberships).set({ role: "editor" }).where(and(eq(memberships.workspaceId, workspace.workspace.id), eq(memberships.userId, workspace.owner.id)));
  await owner.reload();
  await owner.getByTestId(`member-${workspace.owner.email}`).getByRole("button", { name: "Make owner" }).click();
  await owner.getByRole("alertdialog").getByRole("button", { name: "Transfer ownership" }).click();
  // The page re-renders for the new role: the former owner is now an admin.
  await expect(owner.getByTestId("signed-in-as")).toContainText("Admin");
  const roles = await db.select({ userId: memberships.userId, role: memberships.role }).from(memberships).where(eq(memberships.workspaceId, workspace.workspace.id));
  expect(roles.find((r) => r.userId === workspace.owner.id)!.role).toBe("owner");
  expect(roles.filter((r) => r.role === "owner")).toHaveLength(1);

  await owner.getByRole("button", { name: "Sign out" }).click();
  await expect(owner).toHaveURL(/\/$/);
  await owner.goto(`/w/${workspace.workspace.slug}/flows`);
  await expect(owner).toHaveURL(/\/sign-in\?callbackUrl=/);
});

test("@smoke an editor publishes a flow; a viewer is not offered it and the server refuses the viewer", async ({ memberPage, workspace, db }) => {
  const draft = graph(
    [
      ["t", "manual-enrol"],
      ["x", "exit"],
    ],
    [["t", "next", "x"]],
  );
  const [flow] = await db.insert(flows).values({ workspaceId: workspace.workspace.id, name: "Welcome series", draft }).returning();
  const [broken] = await db.insert(flows).values({ workspaceId: workspace.workspace.id, name: "Half drawn", draft: graph([["x", "exit"]], []) }).returning();
  const versions = async (flowId: string) => (await db.select().from(flowVersions).where(eq(flowVersions.flowId, flowId))).length;

  const { page: editor } = await memberPage("editor");
  await editor.goto(`/w/${workspace.workspace.slug}/flows`);
  const row = editor.getByTestId("flow-Welcome series");
  await row.getByRole("button", { name: "Publish draft" }).click();
  await expect(row.getByRole("status")).toHaveText("Published “Welcome series” as version 1");
  expect(await versions(flow!.id)).toBe(1);
  const brokenRow = editor.getByTestId("flow-Half drawn");
  await brokenRow.getByRole("button", { name: "Publish draft" }).click();
  await expect(brokenRow.getByRole("alert").filter({ hasText: "cannot be published" })).toBeVisible();
  expect(await versions(broken!.id)).toBe(0);
  // The editor's form, as the server rendered it, for the viewer to try.
  const form = await row.locator("form").evaluate((f) => f.outerHTML);

  const { page: viewer } = await memberPage("viewer");
  await viewer.goto(`/w/${workspace.workspace.slug}/flows`);
  await expect(viewer.getByTestId("flow-Welcome series")).toContainText("v1");
  await expect(viewer.getByRole("button", { name: "Publish draft" })).toHaveCount(0);
  await viewer.evaluate((html) => {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    document.body.appendChild(holder);
  }, form);
  // The submission must reach the server (a POST to the page carrying the action), and change nothing.
  const [posted] = await Promise.all([
    viewer.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/flows")),
    viewer.locator("body > div:last-child").getByRole("button", { name: "Publish draft" }).click(),
  ]);
  expect(posted.status()).toBeLessThan(500);
  expect(await versions(flow!.id)).toBe(1);
  const published = await db.select().from(auditLog).where(and(eq(auditLog.workspaceId, workspace.workspace.id), eq(auditLog.action, "flow.published")));
  expect(published).toHaveLength(1);
});
