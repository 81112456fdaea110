import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { verificationTokens } from "../schema/index";

/**
 * How many sign-in links were issued to an address since `since`. Links live 24 h, so a link's
 * issue time is its expiry less that. Not workspace data: sign-in precedes any workspace.
 */
export async function countRecentSignInLinks(db: Db, { email, since, linkLifetimeMs }: { email: string; since: Date; linkLifetimeMs: number }) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(verificationTokens)
    .where(and(eq(verificationTokens.identifier, email), gt(verificationTokens.expires, new Date(since.getTime() + linkLifetimeMs))));
  return row!.n;
}
