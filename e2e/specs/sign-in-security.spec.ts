import { randomBytes } from "node:crypto";
import { request as playwrightRequest } from "@playwright/test";
import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { insertDevMail } from "@/db/queries/dev-mailbox";
import { devMailbox, verificationTokens } from "@/db/schema/index";
import { waitForMail } from "../fixtures/mailbox";
import { expect, test } from "../fixtures/test";

const unique = () => randomBytes(4).toString("hex");

/**
 * A visitor address of the test's own (IPv6 documentation range). The e2e server trusts loopback as
 * a proxy, so X-Forwarded-For picks the bucket and one test's per-IP cap never touches another's.
 */
const visitorIp = () => `2001:db8::${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;

/** An HTTP client that is not a browser: it calls Auth.js's own endpoints, not the sign-in page. */
async function authJsClient(baseURL: string, ip: string) {
  const api = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": ip } });
  const csrf = await api.get("/api/auth/csrf");
  expect(csrf.status()).toBe(200);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  return {
    api,
    /** POST /api/auth/signin/email; answers where Auth.js sends the browser next. */
    async requestLink(email: string): Promise<string> {
      const res = await api.post("/api/auth/signin/email", { form: { email, csrfToken, callbackUrl: "/w" }, maxRedirects: 0 });
      expect(res.status(), `POST /api/auth/signin/email for ${email}`).toBe(302);
      return res.headers()["location"] ?? "";
    },
  };
}

const mailTo = async (db: Db, email: string) =>
  db.select({ id: devMailbox.id }).from(devMailbox).where(sql`${devMailbox.to} @> ${JSON.stringify([email])}::jsonb`);

const linksOf = async (db: Db, email: string) => db.select().from(verificationTokens).where(eq(verificationTokens.identifier, email));

/** The sign-in link inside a mail's text. */
const linkIn = (text: string | null) => {
  const link = text?.match(/https?:\/\/\S+\/sign-in\/confirm\?\S+/)?.[0];
  if (!link) throw new Error("no sign-in link in the mail");
  return link;
};

test.describe("magic-link caps hold on every path", () => {
  test("Auth.js's own endpoint mails one address three links in ten minutes, then refuses without mailing", async ({ db, baseURL, page }) => {
    const email = `target-${unique()}@example.com`;
    const client = await authJsClient(baseURL!, visitorIp());
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await client.requestLink(email));
    await client.api.dispose();
    expect(answers.slice(0, 3).every((a) => a.includes("/verify-request"))).toBe(true);
    for (const refused of answers.slice(3)) expect(new URL(refused).pathname).toBe("/sign-in/error");
    expect(new URL(answers[4]!).searchParams.get("error")).toBe("TooManySignInLinks");
    expect(await mailTo(db, email)).toHaveLength(3);
    expect(await linksOf(db, email)).toHaveLength(3);
    // Auth.js's error page says why.
    await page.goto(answers[4]!);
    await expect(page.getByRole("alert").filter({ hasText: "too many sign-in links" })).toBeVisible();
  });

  test("concurrent requests for one address still get three links at most", async ({ db, baseURL }) => {
    const email = `burst-${unique()}@example.com`;
    const client = await authJsClient(baseURL!, visitorIp());
    const answers = await Promise.all(Array.from({ length: 8 }, () => client.requestLink(email)));
    await client.api.dispose();
    expect(answers.filter((a) => a.includes("/verify-request"))).toHaveLength(3);
    expect(await mailTo(db, email)).toHaveLength(3);
    expect(await linksOf(db, email)).toHaveLength(3);
  });

  test("one network gets twenty links an hour, through Auth.js's endpoint and the sign-in page alike", async ({ db, baseURL, browser }) => {
    const ip = visitorIp();
    const client = await authJsClient(baseURL!, ip);
    const tag = unique();
    for (let i = 0; i < 20; i++) expect(await client.requestLink(`n${i}-${tag}@example.com`)).toContain("/verify-request");
    // The 21st, to an address never mailed before, is refused and mails nothing.
    const refused = await client.requestLink(`n20-${tag}@example.com`);
    await client.api.dispose();
    expect(new URL(refused).pathname).toBe("/sign-in/error");
    expect(new URL(refused).searchParams.get("error")).toBe("TooManySignInLinks");
    expect(await mailTo(db, `n20-${tag}@example.com`)).toHaveLength(0);

    // The sign-in page shares the cap: same network, a clear message, no mail.
    const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": ip } });
    const page = await context.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Work email").fill(`page-${tag}@example.com`);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "too many sign-in links from your network" })).toBeVisible();
    expect(await mailTo(db, `page-${tag}@example.com`)).toHaveLength(0);
    await context.close();

    // Another network is not held up.
    const other = await authJsClient(baseURL!, visitorIp());
    expect(await other.requestLink(`other-${tag}@example.com`)).toContain("/verify-request");
    await other.api.dispose();
    expect(await mailTo(db, `other-${tag}@example.com`)).toHaveLength(1);
  });
});

test.describe("the confirm page", () => {
  test("names the address a link signs in, and tells a signed-in member it would switch accounts", async ({ db, baseURL, browser, memberPage }) => {
    const attacker = `someone-else-${unique()}@example.com`;
    const client = await authJsClient(baseURL!, visitorIp());
    expect(await client.requestLink(attacker)).toContain("/verify-request");
    await client.api.dispose();
    const link = linkIn((await waitForMail(db, { to: attacker, subject: /sign-in link/ })).text);
    const confirmPath = `${new URL(link).pathname}${new URL(link).search}`;

    const context = await browser.newContext({ baseURL });
    const stranger = await context.newPage();
    await stranger.goto(confirmPath);
    await expect(stranger.getByTestId("sign-in-address")).toHaveText(attacker);
    await expect(stranger.getByRole("button", { name: `Sign in as ${attacker}` })).toBeVisible();
    await context.close();

    // A member who follows someone else's link is told this would sign them in as another person.
    const { page, email } = await memberPage("editor");
    await page.goto(confirmPath);
    await expect(page.getByTestId("sign-in-address")).toHaveText(attacker);
    await expect(page.getByRole("alert").filter({ hasText: `You are signed in as ${email}` })).toBeVisible();
  });

  test("accepts only links for this app's origin", async ({ db, baseURL, page }) => {
    const email = `origin-${unique()}@example.com`;
    const client = await authJsClient(baseURL!, visitorIp());
    expect(await client.requestLink(email)).toContain("/verify-request");
    await client.api.dispose();
    const link = new URL(linkIn((await waitForMail(db, { to: email, subject: /sign-in link/ })).text));
    const callback = new URL(link.searchParams.get("link")!);

    for (const origin of ["https://evil.example", "http://127.0.0.1:9"]) {
      const forged = new URL(`${callback.pathname}${callback.search}`, origin).toString();
      await page.goto(`/sign-in/confirm?${new URLSearchParams({ link: forged })}`);
      await expect(page.getByRole("alert").filter({ hasText: "not a sign-in link for this app" })).toBeVisible();
      await expect(page.getByRole("button", { name: /Sign in/ })).toHaveCount(0);
    }
    // The genuine link still works, and signs in as its address.
    await page.goto(link.toString());
    await page.getByRole("button", { name: `Sign in as ${email}` }).click();
    await expect(page).toHaveURL(/\/workspaces\/new$/);
  });
});

test.describe("the dev mailbox outside npm run dev", () => {
  test("shows nothing to a signed-out visitor and opens for a signed-in member", async ({ db, page, memberPage }) => {
    const to = `victim-${unique()}@example.com`;
    const id = await insertDevMail(db, {
      from: "Tillit <no-reply@tillit.localhost>",
      to: [to],
      subject: `Your Tillit sign-in link ${to}`,
      text: "http://localhost/sign-in/confirm?link=secret",
      headers: {},
      tags: [],
    });
    for (const path of ["/dev/mailbox", `/dev/mailbox/${id}`, `/dev/mailbox/${id}?view=text`]) {
      await page.goto(path);
      await expect(page).toHaveURL(/\/sign-in(\?|$)/);
      await expect(page.getByText(to)).toHaveCount(0);
      await expect(page.getByText("link=secret")).toHaveCount(0);
    }

    const member = (await memberPage("viewer")).page;
    await member.goto("/dev/mailbox");
    await expect(member.getByRole("row").filter({ hasText: to })).toHaveCount(1);
    await member.goto(`/dev/mailbox/${id}?view=text`);
    await expect(member.getByTestId("mail-text")).toContainText("link=secret");
  });
});
