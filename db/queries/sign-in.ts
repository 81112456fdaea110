import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { verificationTokens } from "../schema/index";

// Sign-in links are not workspace data: sign-in precedes any workspace.

type NewLink = {
  email: string;
  /** The token as stored (hashed), the form Auth.js looks it up in. */
  tokenHash: string;
  expires: Date;
};

/**
 * Stores a new sign-in link for an address unless `max` links were issued to it in the `windowMs`
 * before this one; answers whether it did. An advisory lock per address makes the count and the
 * insert one step, so concurrent requests, in any server process, cannot all fit under the cap.
 * A link that was used is deleted by Auth.js, so the cap counts links still waiting in an inbox.
 */
export async function reserveSignInLink(db: Db, link: NewLink & { windowMs: number; max: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tillit:sign-in-link:${link.email}`}, 0))`);
    // Links all live equally long, so "issued in the window before this one" is "expires in the window before it".
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(verificationTokens)
      .where(and(eq(verificationTokens.identifier, link.email), gt(verificationTokens.expires, new Date(link.expires.getTime() - link.windowMs))));
    if (row!.n >= link.max) return false;
    await tx.insert(verificationTokens).values({ identifier: link.email, token: link.tokenHash, expires: link.expires });
    return true;
  });
}

/** Withdraws a stored link whose mail could not be sent, so it does not count against the address. */
export async function dropSignInLink(db: Db, { email, tokenHash }: { email: string; tokenHash: string }) {
  await db.delete(verificationTokens).where(and(eq(verificationTokens.identifier, email), eq(verificationTokens.token, tokenHash)));
}
