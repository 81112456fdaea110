import { createHmac } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { suppressions, workspaces } from "../schema/index";
import { normalizeAddress } from "@/lib/address";

export type SuppressionReason = (typeof suppressions.$inferSelect)["reason"];

// How an address is compared everywhere (trimmed, lower-cased): lib/address.ts.
export { normalizeAddress };

/**
 * Suppressions keep addresses only as an HMAC under the workspace's stable secret, so an erased
 * address can still be recognised (and not silently re-added) without being stored.
 */
export const addressHash = (secret: string, email: string) =>
  createHmac("sha256", secret).update(normalizeAddress(email)).digest("hex");

async function workspaceSecret(db: DbOrTx, workspaceId: string): Promise<string> {
  const [ws] = await db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!ws) throw new Error(`workspace ${workspaceId} not found`);
  return ws.secret;
}

/**
 * Adds (or keeps) a suppression. An erasure overrides an earlier reason, since it is the one that
 * must survive; otherwise the first reason recorded stays.
 */
export async function suppressAddress(
  db: Db,
  q: { workspaceId: string; email: string; reason: SuppressionReason; note?: string },
): Promise<void> {
  const secret = await workspaceSecret(db, q.workspaceId);
  await db
    .insert(suppressions)
    .values({ workspaceId: q.workspaceId, emailHash: addressHash(secret, q.email), reason: q.reason, note: q.note ?? null })
    .onConflictDoUpdate({
      target: [suppressions.workspaceId, suppressions.emailHash],
      set: { reason: sql`case when excluded.reason = 'erased' then excluded.reason else ${suppressions.reason} end` },
    });
}

/** Suppression reasons for many addresses at once (import, batch sends), keyed by normalised address. */
export async function suppressionsFor(
  db: DbOrTx,
  q: { workspaceId: string; emails: readonly string[] },
): Promise<Map<string, SuppressionReason>> {
  const out = new Map<string, SuppressionReason>();
  if (q.emails.length === 0) return out;
  const secret = await workspaceSecret(db, q.workspaceId);
  const byHash = new Map(q.emails.map((e) => [addressHash(secret, e), normalizeAddress(e)]));
  const rows = await db
    .select({ emailHash: suppressions.emailHash, reason: suppressions.reason })
    .from(suppressions)
    .where(and(eq(suppressions.workspaceId, q.workspaceId), inArray(suppressions.emailHash, [...byHash.keys()])));
  for (const r of rows) out.set(byHash.get(r.emailHash)!, r.reason);
  return out;
}

/** Lifts a suppression (e.g. a re-confirmed opt-in after an unsubscribe). Erasures are never lifted. */
export async function liftSuppression(db: Db, q: { workspaceId: string; email: string }): Promise<void> {
  const secret = await workspaceSecret(db, q.workspaceId);
  await db
    .delete(suppressions)
    .where(
      and(
        eq(suppressions.workspaceId, q.workspaceId),
        eq(suppressions.emailHash, addressHash(secret, q.email)),
        sql`${suppressions.reason} <> 'erased'`,
      ),
    );
}
