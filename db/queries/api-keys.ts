import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { randomToken, sha256 } from "./tokens";
import { apiKeys } from "../schema/index";

export type ApiKeyKind = "public" | "secret";

/** Creates a key and returns it in full once; only its hash and a short prefix are stored. */
export async function createApiKey(db: Db, { workspaceId, name, kind, createdBy }: { workspaceId: string; name: string; kind: ApiKeyKind; createdBy: string }) {
  const key = `${kind === "public" ? "tk_pub" : "tk_sec"}_${randomToken()}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ workspaceId, name, kind, prefix: key.slice(0, 12), keyHash: sha256(key), createdBy })
    .returning({ id: apiKeys.id, name: apiKeys.name, kind: apiKeys.kind, prefix: apiKeys.prefix });
  return { ...row!, key };
}

export async function listApiKeys(db: Db, { workspaceId }: { workspaceId: string }) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      kind: apiKeys.kind,
      prefix: apiKeys.prefix,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
      createdAt: apiKeys.createdAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, workspaceId))
    .orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(db: Db, { workspaceId, id, now }: { workspaceId: string; id: string; now: Date }) {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, name: apiKeys.name });
  return row;
}

/**
 * Resolves a presented key to its workspace (the key is the credential, so this is the one lookup
 * not scoped by a workspace id). Revoked or unknown keys resolve to nothing.
 */
export async function authenticateApiKey(db: Db, { key, kind, now }: { key: string; kind: ApiKeyKind; now: Date }) {
  const [row] = await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.keyHash, sha256(key)), eq(apiKeys.kind, kind), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, workspaceId: apiKeys.workspaceId });
  return row;
}
