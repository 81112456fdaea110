import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { verificationTokens } from "../schema/index";
import { dropSignInLink, reserveSignInLink } from "./sign-in";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.destroy();
});

const DAY = 24 * 3600_000;
const WINDOW = 10 * 60_000;
const linksOf = (email: string) => t.db.select().from(verificationTokens).where(eq(verificationTokens.identifier, email));
const reserve = (email: string, n: number, expires: Date) =>
  reserveSignInLink(t.db, { email, tokenHash: `hash-${email}-${n}`, expires, windowMs: WINDOW, max: 3 });

describe("sign-in links per address", () => {
  it("stores three links in ten minutes and refuses the fourth, however many ask at once", async () => {
    const email = "burst@example.com";
    const expires = new Date(Date.now() + DAY);
    // Separate connections of the pool, all at once: only the lock keeps the count honest.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => reserve(email, n, expires)));
    expect(answers.filter(Boolean)).toHaveLength(3);
    expect(await linksOf(email)).toHaveLength(3);
  });

  it("counts only the window before the new link, and a dropped link frees its place", async () => {
    const email = "window@example.com";
    const start = Date.now() + DAY;
    for (let n = 0; n < 3; n++) expect(await reserve(email, n, new Date(start + n * 60_000))).toBe(true);
    expect(await reserve(email, 3, new Date(start + 3 * 60_000))).toBe(false);
    // Ten and a half minutes after the first link, only that one has left the window.
    expect(await reserve(email, 4, new Date(start + 630_000))).toBe(true);
    expect(await reserve(email, 5, new Date(start + 630_000))).toBe(false);
    await dropSignInLink(t.db, { email, tokenHash: `hash-${email}-4` });
    expect(await reserve(email, 6, new Date(start + 630_000))).toBe(true);
    expect((await linksOf(email)).map((l) => l.token).sort()).toEqual([0, 1, 2, 6].map((n) => `hash-${email}-${n}`).sort());
    // Another address has its own count.
    expect(await reserve("other@example.com", 0, new Date(start))).toBe(true);
  });
});
