import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { auditLog, users } from "../schema/index";

export type AuditEntry = {
  workspaceId: string;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
};

export async function recordAudit(db: DbOrTx, entry: AuditEntry) {
  await db.insert(auditLog).values({
    workspaceId: entry.workspaceId,
    actorUserId: entry.actorUserId ?? null,
    actorApiKeyId: entry.actorApiKeyId ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    data: entry.data ?? {},
  });
}

export async function listAudit(
  db: Db,
  { workspaceId, action, before, since, limit = 50 }: { workspaceId: string; action?: string; before?: Date; since?: Date; limit?: number },
) {
  return db
    .select({
      id: auditLog.id,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      data: auditLog.data,
      createdAt: auditLog.createdAt,
      actorEmail: users.email,
      actorName: users.name,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(
      and(
        eq(auditLog.workspaceId, workspaceId),
        action ? sql`${auditLog.action} like ${`${action}%`}` : undefined,
        before ? lt(auditLog.createdAt, before) : undefined,
        since ? gte(auditLog.createdAt, since) : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit);
}
