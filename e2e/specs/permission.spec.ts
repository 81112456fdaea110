import { createServer, type Server } from "node:http";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { suppressionsFor } from "@/db/queries/suppressions";
import { consentEvents, contacts, enrollments, forms, messages, topics } from "@/db/schema/index";
import { createLiveFlow, createTemplate, graph } from "../fixtures/flows";
import { waitForMail } from "../fixtures/mailbox";
import { freePort } from "../fixtures/ports";
import { seedWorkspace } from "../fixtures/seed";
import { expect, test } from "../fixtures/test";
import { until } from "../fixtures/until";

/**
 * Permission end to end: a plain HTML form on another origin, double opt-in that link scanners
 * cannot trigger, the welcome flow only after confirmation, RFC 8058 one-click unsubscribe from
 * raw HTTP, the consent history, flood and garbage resistance, and GDPR export and erase.
 */

async function liveForm(db: Db, workspaceId: string, slug: string, o: { topics?: string[] } = {}) {
  const [f] = await db
    .insert(forms)
    .values({
      workspaceId,
      name: "Spring newsletter",
      slug,
      status: "live",
      doubleOptIn: true,
      consentWording: "Yes, send me Acme's spring newsletter. I can unsubscribe at any time.",
      // Posted to as the plain HTML embed posts, without a render stamp: the form accepts that embed.
      config: { heading: "Join us", fields: [{ key: "first_name", label: "First name" }], topics: o.topics ?? [], plainHtmlEmbed: true },
    })
    .returning();
  return f!;
}

async function contactByEmail(db: Db, workspaceId: string, email: string) {
  const [c] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.email, email)));
  return c;
}

test.describe("permission", () => {
  let landing: Server | undefined;
  test.afterEach(async () => {
    await new Promise<void>((r) => (landing ? landing.close(() => r()) : r()));
    landing = undefined;
  });

  test("cross-origin plain HTML signup → scanner-proof double opt-in → welcome mail with one-click unsubscribe @smoke", async ({ browser, db, workspace, memberPage }) => {
    test.setTimeout(120_000);
    const ws = workspace.workspace;
    await db.insert(topics).values({ workspaceId: ws.id, key: "offers", name: "Offers" });
    const form = await liveForm(db, ws.id, `spring-${ws.slug}`, { topics: ["offers"] });
    const welcome = await createTemplate(db, ws.id, "Welcome to Acme, {{ contact.first_name }}", '<p>Hi {{ contact.first_name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');
    const { flowId } = await createLiveFlow(db, {
      workspaceId: ws.id,
      name: "Welcome",
      graph: graph(
        [["t", "form-submitted", { formId: form.id }], ["s", "send-email", { templateId: welcome }], ["x", "exit"]],
        [["t", "next", "s"], ["s", "next", "x"]],
      ),
    });

    // The marketer copies the plain HTML embed from the form builder …
    const { page: editor } = await memberPage("editor");
    await editor.goto(`/w/${ws.slug}/forms/${form.id}`);
    const embed = (await editor.getByTestId("embed-plain").textContent())!;
    expect(embed).toMatch(new RegExp(`<form method="post" action="http://[^"]+/f/${form.slug}">`));
    // … onto a landing page on another origin.
    const port = await freePort();
    landing = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><body><h1>Spring sale at Acme</h1>${embed}</body></html>`);
    });
    await new Promise<void>((r) => landing!.listen(port, "127.0.0.1", () => r()));

    const email = `spring-${ws.slug}@example.com`;
    const visitor = await browser.newContext();
    const page = await visitor.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("First name").fill("Signe");
    await page.getByLabel("Offers").check();
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByTestId("signup-success")).toContainText("Almost there");

    const contact = (await contactByEmail(db, ws.id, email))!;
    expect(contact.status).toBe("unconfirmed");
    expect(contact.source).toBe("embedded_form");

    const mail = await waitForMail(db, { to: email, subject: /Confirm your subscription/ });
    const link = /(http:\/\/\S+\/f\/confirm\/[A-Za-z0-9._-]+)/.exec(mail.text ?? "")![1]!;

    // A mail scanner fetching the link (GET, HEAD, no cookies) confirms nothing.
    const scanned = await fetch(link, { redirect: "manual" });
    expect(scanned.status).toBe(200);
    expect(await scanned.text()).toContain("Confirm");
    expect((await fetch(link, { method: "HEAD" })).status).toBeLessThan(500);
    expect((await contactByEmail(db, ws.id, email))!.status).toBe("unconfirmed");
    expect(await db.select().from(consentEvents).where(and(eq(consentEvents.contactId, contact.id), eq(consentEvents.kind, "confirmed")))).toHaveLength(0);
    // Nor does any flow start before confirmation.
    expect(await db.select().from(enrollments).where(eq(enrollments.contactId, contact.id))).toHaveLength(0);

    // The person presses Confirm.
    await page.goto(link);
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByTestId("confirmed")).toBeVisible();
    expect((await contactByEmail(db, ws.id, email))!.status).toBe("subscribed");

    // The welcome flow starts only now, and its mail carries both unsubscribe headers.
    const welcomeMail = await waitForMail(db, { to: email, subject: /Welcome to Acme, Signe/, timeoutMs: 30_000 });
    const listUnsubscribe = welcomeMail.headers["List-Unsubscribe"] ?? "";
    expect(welcomeMail.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const unsubscribeUrl = /^<(http[^>]+\/u\/[A-Za-z0-9_-]+)>/.exec(listUnsubscribe)![1]!;
    expect(welcomeMail.html).toContain(unsubscribeUrl);

    // RFC 8058 one-click: a raw POST without cookies, urlencoded — 200, no redirect.
    const oneClick = await fetch(unsubscribeUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
      redirect: "manual",
    });
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get("location")).toBeNull();
    expect(oneClick.headers.get("set-cookie")).toBeNull();
    expect((await contactByEmail(db, ws.id, email))!.status).toBe("unsubscribed");
    // The same as multipart, and a replay: harmless.
    const multipart = new FormData();
    multipart.append("List-Unsubscribe", "One-Click");
    for (const body of [multipart, "List-Unsubscribe=One-Click"]) {
      const again = await fetch(unsubscribeUrl, {
        method: "POST",
        ...(typeof body === "string" ? { headers: { "content-type": "application/x-www-form-urlencoded" } } : {}),
        body,
        redirect: "manual",
      });
      expect(again.status).toBe(200);
      expect(again.headers.get("location")).toBeNull();
    }
    const withdrawals = await db.select().from(consentEvents).where(and(eq(consentEvents.contactId, contact.id), eq(consentEvents.kind, "withdrawn")));
    expect(withdrawals.filter((w) => w.topic === null)).toHaveLength(1);
    expect(withdrawals[0]!.source).toBe("list_unsubscribe");
    // Nothing more goes out: the address is suppressed, and no run of theirs is still active.
    expect((await suppressionsFor(db, { workspaceId: ws.id, emails: [email] })).get(email)).toBe("unsubscribed");
    await until("the welcome run to finish", async () => {
      const rows = await db.select().from(enrollments).where(eq(enrollments.contactId, contact.id));
      return rows.length > 0 && rows.every((r) => r.status !== "active");
    });
    // A scanner GET of the preference centre changes nothing and shows the state.
    const centre = await fetch(unsubscribeUrl);
    expect(centre.status).toBe(200);
    expect(await centre.text()).toContain("You are unsubscribed");

    // The consent history shows signup, confirmation and withdrawal with their details.
    const { page: viewer } = await memberPage("viewer");
    await viewer.goto(`/w/${ws.slug}/contacts/${contact.id}`);
    const history = viewer.getByTestId("consent-history");
    await expect(history.getByTestId("consent-opt_in").filter({ hasText: "whole list" })).toContainText("embedded form");
    await expect(history.getByTestId("consent-opt_in").filter({ hasText: "whole list" })).toContainText("Yes, send me Acme's spring newsletter");
    await expect(history.getByTestId("consent-opt_in").filter({ hasText: "whole list" })).toContainText("Spring newsletter, wording version 1");
    await expect(history.getByTestId("consent-opt_in").filter({ hasText: "topic: offers" })).toBeVisible();
    await expect(history.getByTestId("consent-confirmed")).toContainText("double opt in");
    await expect(history.getByTestId("consent-confirmed")).toContainText("Confirms");
    await expect(history.getByTestId("consent-withdrawn")).toContainText("list unsubscribe");
    await expect(history.getByTestId("consent-withdrawn")).toContainText("From message");

    // Each message in the timeline carries its consent receipt and the subject as it was sent.
    const timeline = viewer.getByTestId("timeline");
    const welcomeEntry = timeline.getByTestId("timeline-message").filter({ hasText: "Welcome to Acme, Signe" });
    await expect(welcomeEntry.getByTestId("timeline-receipt")).toHaveText(
      /^Sent under consent given on \d{4}-\d\d-\d\d \d\d:\d\d UTC via the form “Spring newsletter” \(double opt-in confirmation, wording v1, IP \S+\)$/,
    );
    await expect(timeline.getByTestId("timeline-message").filter({ hasText: "Confirm your subscription" }).getByTestId("timeline-receipt")).toHaveText(
      "Transactional: needs no consent (confirmation of a sign-up request)",
    );
    await expect(timeline).not.toContainText("{{");
    // The message's own page says the same, with its status and events.
    await welcomeEntry.getByRole("link", { name: "Welcome to Acme, Signe" }).click();
    await expect(viewer.getByTestId("message-subject")).toHaveText("Welcome to Acme, Signe");
    await expect(viewer.getByTestId("message-status")).toHaveText(/^(sent|delivered)$/);
    await expect(viewer.getByTestId("message-receipt")).toHaveText(/^Sent under consent given on .+ via the form “Spring newsletter” \(double opt-in confirmation, wording v1, IP \S+\)$/);
    const welcomeRow = (await db.select().from(messages).where(and(eq(messages.contactId, contact.id), eq(messages.class, "marketing"))))[0]!;
    const confirmation = (await db.select().from(consentEvents).where(and(eq(consentEvents.contactId, contact.id), eq(consentEvents.kind, "confirmed"))))[0]!;
    expect(welcomeRow).toMatchObject({ subject: "Welcome to Acme, Signe", consentEventId: confirmation.id, permissionBasis: "consent" });
    expect(viewer.url()).toContain(`/w/${ws.slug}/messages/${welcomeRow.id}`);
    // It links to the very ledger entry on the contact's consent history.
    await viewer.getByRole("link", { name: "See the entry in the contact’s consent history" }).click();
    await expect(viewer.locator(`#consent-${confirmation.id}`)).toContainText("Confirmation");

    // So does the flow report's list of the send node's messages, which links to the same page.
    await viewer.goto(`/w/${ws.slug}/reports/flows/${flowId}/messages/s`);
    const listed = viewer.getByTestId("message-list").getByTestId("node-message").filter({ hasText: email });
    await expect(listed).toContainText("Sent under consent given on");
    await expect(listed).toContainText("“Spring newsletter” (double opt-in confirmation, wording v1");
    await listed.getByRole("link", { name: "Welcome to Acme, Signe" }).click();
    await expect(viewer.getByTestId("message-subject")).toHaveText("Welcome to Acme, Signe");

    // Another workspace's message is not found here, nor is a malformed id.
    const other = await seedWorkspace(db, { contacts: 1 });
    const [foreign] = await db
      .insert(messages)
      .values({ workspaceId: other.workspace.id, contactId: other.contacts[0]!.id, class: "marketing", toEmail: other.contacts[0]!.email, subject: "Not yours", permissionBasis: "consent" })
      .returning({ id: messages.id });
    for (const id of [foreign!.id, "not-a-uuid"]) {
      const res = await viewer.goto(`/w/${ws.slug}/messages/${id}`);
      expect(res!.status()).toBe(404);
      await expect(viewer.getByText("Not yours")).toHaveCount(0);
    }
    await visitor.close();
  });

  test("the preference centre: leave one topic, then everything; garbage and unknown tokens get 4xx", async ({ page, db, workspace }) => {
    test.setTimeout(60_000);
    const ws = workspace.workspace;
    const c = workspace.contacts[0]!;
    await db.insert(topics).values([
      { workspaceId: ws.id, key: "offers", name: "Offers" },
      { workspaceId: ws.id, key: "news", name: "News" },
    ]);
    const token = `tok${Math.random().toString(36).slice(2)}${Date.now().toString(36)}xyz`;
    await db.insert(messages).values({ workspaceId: ws.id, contactId: c.id, class: "marketing", toEmail: c.email, subject: "Spring", unsubscribeToken: token });
    await page.goto(`/u/${token}`);
    await expect(page.getByRole("heading", { name: "Email preferences" })).toBeVisible();
    await page.getByLabel("Offers").uncheck();
    await page.getByRole("button", { name: "Save preferences" }).click();
    await expect(page.getByTestId("preferences-saved")).toBeVisible();
    const ledger = await db.select().from(consentEvents).where(eq(consentEvents.contactId, c.id));
    expect(ledger.map((e) => [e.kind, e.topic, e.source]).sort()).toEqual([
      ["opt_in", "news", "preference_centre"],
      ["withdrawn", "offers", "preference_centre"],
    ]);
    await page.goto(`/u/${token}`);
    await expect(page.getByLabel("Offers")).not.toBeChecked();
    await page.getByRole("button", { name: "Unsubscribe from all email" }).click();
    await expect(page.getByTestId("unsubscribed")).toBeVisible();
    expect((await contactByEmail(db, ws.id, c.email))!.status).toBe("unsubscribed");

    const garbage = await fetch(new URL(`/u/${token}`, page.url()), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "hello=world" });
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toContain("List-Unsubscribe=One-Click");
    const unknown = await fetch(new URL(`/u/unknown-token-that-does-not-exist`, page.url()), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click", redirect: "manual" });
    expect(unknown.status).toBe(404);
  });

  test("the hosted page and both embeds carry a render stamp the minimum fill time is held to; a stampless post is taken only by a form that accepts the plain HTML embed", async ({ browser, db, workspace, memberPage, baseURL }) => {
    test.setTimeout(90_000);
    const ws = workspace.workspace;
    const form = async (slug: string, minFillSeconds: number) =>
      (await db
        .insert(forms)
        .values({ workspaceId: ws.id, name: slug, slug, status: "live", doubleOptIn: true, consentWording: "Yes, send me news.", config: { heading: "Join us", fields: [], minFillSeconds } })
        .returning())[0]!;
    // No minimum fill time, so a quick test can sign up; the stamp is required all the same.
    const quick = await form(`quick-${ws.slug}`, 0);
    const slow = await form(`slow-${ws.slug}`, 30);
    const stampless = (email: string) =>
      fetch(`${baseURL}/f/${quick.slug}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "x-forwarded-for": "192.0.2.90" },
        body: `email=${encodeURIComponent(email)}`,
      });
    const refusal = "this form takes signups only from its own page and embeds: reload the page and try again";

    // A post without `_t`, as a bot (or a pasted plain HTML form) sends it: refused by name, nothing stored.
    const bot = `bot-${ws.slug}@example.com`;
    const raw = await stampless(bot);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: { message: refusal, field: "_t" } });
    expect(await contactByEmail(db, ws.id, bot)).toBeUndefined();

    const visitor = await browser.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": "192.0.2.91" } });
    const page = await visitor.newPage();
    // The hosted page: its stamp dropped, the browser gets the refusal; kept, the signup goes through.
    const hosted = `hosted-${ws.slug}@example.com`;
    await page.goto(`/f/${quick.slug}`);
    await page.getByLabel("Email").fill(hosted);
    await page.locator('input[name="_t"]').evaluate((el) => el.remove());
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByRole("alert")).toHaveText(refusal);
    expect(await contactByEmail(db, ws.id, hosted)).toBeUndefined();
    await page.goto(`/f/${quick.slug}`);
    await page.getByLabel("Email").fill(hosted);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByTestId("signup-success")).toContainText("Almost there");
    expect((await contactByEmail(db, ws.id, hosted))!.source).toBe("hosted_form");
    // Filled faster than the form's minimum: refused.
    await page.goto(`/f/${slow.slug}`);
    await page.getByLabel("Email").fill(`fast-${ws.slug}@example.com`);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByRole("alert")).toHaveText("submitted too quickly: please take a moment and try again");

    // The script embed on another site frames the form with its own fresh stamp.
    const port = await freePort();
    landing = createServer((req, res) => {
      const slug = req.url === "/slow" ? slow.slug : quick.slug;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><body><h1>Acme</h1><script src="${baseURL}/f/${slug}/embed.js" async></script></body></html>`);
    });
    await new Promise<void>((r) => landing!.listen(port, "127.0.0.1", () => r()));
    const framed = `framed-${ws.slug}@example.com`;
    await page.goto(`http://127.0.0.1:${port}/`);
    const frame = page.frameLocator('iframe[title="Signup form"]');
    await expect(frame.locator('input[name="_t"]')).toHaveCount(1);
    await frame.getByLabel("Email").fill(framed);
    await frame.getByRole("button", { name: "Subscribe" }).click();
    await expect(frame.getByTestId("signup-success")).toBeVisible();
    expect((await contactByEmail(db, ws.id, framed))!.source).toBe("embedded_form");
    await page.goto(`http://127.0.0.1:${port}/slow`);
    await frame.getByLabel("Email").fill(`fast-framed-${ws.slug}@example.com`);
    await frame.getByRole("button", { name: "Subscribe" }).click();
    await expect(frame.getByRole("alert")).toHaveText("submitted too quickly: please take a moment and try again");
    await visitor.close();

    // The builder offers the plain HTML embed only once the form accepts it, and says what that costs.
    const { page: editor } = await memberPage("editor");
    await editor.goto(`/w/${ws.slug}/forms/${quick.id}`);
    await expect(editor.getByTestId("embed-plain")).toHaveCount(0);
    await expect(editor.getByTestId("plain-embed-off")).toBeVisible();
    await expect(editor.getByTestId("plain-embed-note")).toContainText("the minimum fill time does not apply to them");
    await editor.getByLabel("Accept the plain HTML embed (no script)").check();
    await editor.getByRole("button", { name: "Save form" }).click();
    await expect(editor.getByTestId("form-builder").getByRole("status")).toContainText("Form saved");
    await editor.reload();
    await expect(editor.getByTestId("embed-plain")).toContainText(`action="${baseURL}/f/${quick.slug}"`);
    await expect(editor.getByTestId("plain-embed-off")).toHaveCount(0);
    const plain = `plain-${ws.slug}@example.com`;
    expect((await stampless(plain)).status).toBe(200);
    expect(await contactByEmail(db, ws.id, plain)).toBeDefined();
  });

  test("a burst of 2,000 submissions from one IP is rate-limited with no 5xx while another IP gets through; garbage gets 4xx with a reason", async ({ db, workspace, baseURL }) => {
    test.setTimeout(180_000);
    const ws = workspace.workspace;
    const form = await liveForm(db, ws.id, `burst-${ws.slug}`);
    const url = `${baseURL}/f/${form.slug}`;
    const post = (ip: string, body: string, type = "application/x-www-form-urlencoded") =>
      fetch(url, { method: "POST", headers: { "content-type": type, accept: "application/json", "x-forwarded-for": ip }, body, redirect: "manual" });

    const statuses: number[] = [];
    let other: Response | undefined;
    let next = 0;
    const N = 2000;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        if (i === N / 2) other = await post("198.51.100.23", `email=${encodeURIComponent(`other-${ws.slug}@example.com`)}&first_name=Olu`);
        const r = await post("203.0.113.66", `email=${encodeURIComponent(`flood-${i}-${ws.slug}@example.com`)}`);
        statuses.push(r.status);
        await r.arrayBuffer();
      }
    };
    // A few connections keep the burst a burst without starving the other tests sharing the server.
    await Promise.all(Array.from({ length: 10 }, worker));
    const count = (pred: (s: number) => boolean) => statuses.filter(pred).length;
    expect(statuses).toHaveLength(N);
    expect(count((s) => s >= 500)).toBe(0);
    expect(count((s) => s === 429)).toBeGreaterThan(N - 60);
    expect(count((s) => s === 200)).toBeGreaterThan(0);
    expect(count((s) => s !== 200 && s !== 429)).toBe(0);
    expect(other!.status).toBe(200);
    expect(((await other!.json()) as { confirmation_required: boolean }).confirmation_required).toBe(true);
    expect((await contactByEmail(db, ws.id, `other-${ws.slug}@example.com`))!.firstName).toBe("Olu");

    // Garbage: each answer is a 4xx that says why, and nothing is stored.
    const cases: [string, string, number, RegExp][] = [
      ["{not json", "application/json", 400, /not valid JSON/],
      ["[1,2,3]", "application/json", 400, /JSON object/],
      ["<xml/>", "application/xml", 415, /urlencoded/],
      ["first_name=NoEmail", "application/x-www-form-urlencoded", 400, /email is required/],
      ["email=not-an-address", "application/x-www-form-urlencoded", 400, /email/],
      ["email=a%40b.co&topics=secret", "application/x-www-form-urlencoded", 400, /topics/],
      [`email=a%40b.co&x=${"y".repeat(70_000)}`, "application/x-www-form-urlencoded", 413, /too large/],
      ["--nope\r\n\r\n", "multipart/form-data; boundary=zzz", 400, /multipart/],
    ];
    for (const [body, type, status, reason] of cases) {
      const r = await post("192.0.2.77", body, type);
      expect(r.status, `${type} ${body.slice(0, 30)}`).toBe(status);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(reason);
    }
    const missing = await fetch(`${baseURL}/f/no-such-form-${ws.slug}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": "192.0.2.78" }, body: "email=a%40b.co" });
    expect(missing.status).toBe(404);
    expect(await contactByEmail(db, ws.id, "a@b.co")).toBeUndefined();
    // CORS: any landing page may post.
    const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: "https://landing.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("GDPR: export holds everything, erase leaves nothing personal, and the address is flagged when it comes back", async ({ db, workspace, memberPage, request }) => {
    test.setTimeout(90_000);
    const ws = workspace.workspace;
    const { key } = await createApiKey(db, { workspaceId: ws.id, name: "CRM", kind: "secret", createdBy: workspace.owner.id });
    const headers = { authorization: `Bearer ${key}` };
    const email = `gdpr-${ws.slug}@example.com`;
    const created = await request.post("/api/v1/contacts", {
      headers,
      data: { email, first_name: "Greta", attributes: { shoe: "EU-38-wide" }, consent: { wording: "Tick to get our newsletter", ip: "203.0.113.200", source_description: "checkout page" } },
    });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { data: { id: string; status: string } }).data.id;
    // The workspace default is double opt-in: the API contact waits for confirmation.
    expect(((await (await request.get(`/api/v1/contacts/${id}`, { headers })).json()) as { data: { status: string } }).data.status).toBe("unconfirmed");
    await waitForMail(db, { to: email, subject: /Confirm your subscription/ });

    const exported = await request.get(`/api/v1/contacts/${id}/export`, { headers });
    expect(exported.status()).toBe(200);
    const data = ((await exported.json()) as { data: Record<string, unknown> }).data;
    const text = JSON.stringify(data);
    for (const held of [email, "Greta", "EU-38-wide", "203.0.113.200", "Tick to get our newsletter", "checkout page", "Confirm your subscription"]) expect(text).toContain(held);
    expect(Object.keys(data)).toEqual(expect.arrayContaining(["contact", "consent", "events", "messages", "topics", "tags", "enrollments", "emailEvents"]));

    const erased = await request.post(`/api/v1/contacts/${id}/erase`, { headers });
    expect(erased.status()).toBe(200);
    const after = JSON.stringify(((await (await request.get(`/api/v1/contacts/${id}/export`, { headers })).json()) as { data: unknown }).data);
    for (const personal of [email, "Greta", "203.0.113.200", "checkout page", "EU-38-wide"]) expect(after).not.toContain(personal);
    const ledger = await db.select().from(consentEvents).where(eq(consentEvents.contactId, id));
    expect(ledger.map((e) => e.kind).sort()).toEqual(["erased", "opt_in"]);
    for (const e of ledger) expect(e).toMatchObject({ email: null, ip: null, userAgent: null });
    // Re-import through the API is flagged (refused with the reason), and import sees the suppression.
    const again = await request.post("/api/v1/contacts", { headers, data: { email } });
    expect(again.status()).toBe(409);
    expect(((await again.json()) as { error: { message: string; field: string } }).error).toMatchObject({ field: "email", message: expect.stringMatching(/erased/) });
    expect((await suppressionsFor(db, { workspaceId: ws.id, emails: [email] })).get(email)).toBe("erased");

    // The same from the contact page: an admin downloads the export, then erases.
    const target = workspace.contacts[1]!;
    const { page } = await memberPage("admin");
    await page.goto(`/w/${ws.slug}/contacts/${target.id}`);
    const download = await page.request.get(`/w/${ws.slug}/contacts/${target.id}/export`);
    expect(((await download.json()) as { contact: { email: string } }).contact.email).toBe(target.email);
    await page.getByLabel("Type the email address to confirm").fill("wrong@example.com");
    await page.getByRole("button", { name: "Erase personal data" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Erase personal data" }).click();
    await expect(page.getByTestId("erase-form").getByRole("alert")).toContainText("type the contact's email address");
    await page.getByLabel("Type the email address to confirm").fill(target.email);
    await page.getByRole("button", { name: "Erase personal data" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Erase personal data" }).click();
    await expect(page.getByTestId("contact-status")).toHaveText("erased");
    await page.reload();
    await expect(page.getByTestId("contact-email")).not.toContainText(target.email);
    expect((await suppressionsFor(db, { workspaceId: ws.id, emails: [target.email] })).get(target.email)).toBe("erased");
  });
});
