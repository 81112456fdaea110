import { and, asc, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { randomToken, sha256 } from "./tokens";
import { invitations, memberships, users } from "../schema/index";
import type { Role } from "@/lib/auth/permissions";

export async function listMembers(db: Db, { workspaceId }: { workspaceId: string }) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, since: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(users.email));
}

export class MembershipError extends Error {
  constructor(
    message: string,
    readonly code: "last_owner" | "not_found" | "forbidden",
  ) {
    super(message);
  }
}

async function ownerCount(db: DbOrTx, workspaceId: string) {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, "owner")));
  return r!.n;
}

async function roleOf(db: DbOrTx, workspaceId: string, userId: string): Promise<Role | undefined> {
  const [r] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
    .for("update");
  return r?.role;
}

/** Changes a member's role; owners change only by transfer, and a workspace always keeps an owner. */
export async function changeMemberRole(db: Db, { workspaceId, userId, role }: { workspaceId: string; userId: string; role: Role }) {
  return db.transaction(async (tx) => {
    const current = await roleOf(tx, workspaceId, userId);
    if (!current) throw new MembershipError("That person is not a member of this workspace", "not_found");
    if (current === "owner") throw new MembershipError("An owner's role changes only by transferring ownership", "forbidden");
    await tx.update(memberships).set({ role }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    return { from: current, to: role };
  });
}

const LAST_OWNER = "The last owner cannot leave: transfer ownership first";

/**
 * The database's own guard (the `memberships_keep_owner` constraint trigger) refused the commit:
 * two owners left at the same moment and only one may go. Answered like the check above it.
 */
function lastOwnerAtCommit(err: unknown): never {
  const e = err as { code?: string; constraint_name?: string; cause?: { code?: string; constraint_name?: string } };
  const pg = e.cause?.code ? e.cause : e;
  if (pg.code === "23514" && pg.constraint_name === "memberships_keep_owner") throw new MembershipError(LAST_OWNER, "last_owner");
  throw err;
}

/** Removes a member (or lets them leave). The last owner cannot go. */
export async function removeMember(
  db: Db,
  { workspaceId, userId, mayRemoveOwner }: { workspaceId: string; userId: string; mayRemoveOwner: boolean },
) {
  try {
    return await db.transaction(async (tx) => {
      const current = await roleOf(tx, workspaceId, userId);
      if (!current) throw new MembershipError("That person is not a member of this workspace", "not_found");
      if (current === "owner" && !mayRemoveOwner) throw new MembershipError("Only an owner can remove an owner", "forbidden");
      if (current === "owner" && (await ownerCount(tx, workspaceId)) <= 1) throw new MembershipError(LAST_OWNER, "last_owner");
      await tx.delete(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
      return { role: current };
    });
  } catch (err) {
    return lastOwnerAtCommit(err);
  }
}

/** Makes another member the owner; the previous owner becomes an admin. */
export async function transferOwnership(db: Db, { workspaceId, fromUserId, toUserId }: { workspaceId: string; fromUserId: string; toUserId: string }) {
  // Promoting and then demoting the same row would leave the workspace without an owner.
  if (fromUserId === toUserId) throw new MembershipError("You already own this workspace: choose another member to transfer ownership to", "forbidden");
  try {
    await db.transaction(async (tx) => {
      const from = await roleOf(tx, workspaceId, fromUserId);
      const to = await roleOf(tx, workspaceId, toUserId);
      if (from !== "owner") throw new MembershipError("Only an owner can transfer ownership", "forbidden");
      if (!to) throw new MembershipError("The new owner must already be a member", "not_found");
      await tx.update(memberships).set({ role: "owner" }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, toUserId)));
      await tx.update(memberships).set({ role: "admin" }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, fromUserId)));
    });
  } catch (err) {
    lastOwnerAtCommit(err);
  }
}

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/** Creates (or renews) an invitation; returns the single-use token, which is stored only hashed. */
export async function createInvitation(
  db: Db,
  { workspaceId, email, role, invitedBy, now }: { workspaceId: string; email: string; role: Role; invitedBy: string; now: Date },
) {
  const token = randomToken();
  const [row] = await db
    .insert(invitations)
    .values({ workspaceId, email: email.toLowerCase(), role, invitedBy, tokenHash: sha256(token), expiresAt: new Date(now.getTime() + INVITATION_TTL_MS) })
    .returning({ id: invitations.id });
  return { id: row!.id, token };
}

export async function listPendingInvitations(db: Db, { workspaceId, now }: { workspaceId: string; now: Date }) {
  return db
    .select({ id: invitations.id, email: invitations.email, role: invitations.role, expiresAt: invitations.expiresAt, createdAt: invitations.createdAt })
    .from(invitations)
    .where(and(eq(invitations.workspaceId, workspaceId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .orderBy(desc(invitations.createdAt));
}

export async function revokeInvitation(db: Db, { workspaceId, id, now }: { workspaceId: string; id: string; now: Date }) {
  const [row] = await db
    .update(invitations)
    .set({ revokedAt: now })
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id, email: invitations.email });
  return row;
}

/** Replaces an invitation's token and expiry (for "resend"); the old link stops working. */
export async function renewInvitation(db: Db, { workspaceId, id, now }: { workspaceId: string; id: string; now: Date }) {
  const token = randomToken();
  const [row] = await db
    .update(invitations)
    .set({ tokenHash: sha256(token), expiresAt: new Date(now.getTime() + INVITATION_TTL_MS) })
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id, email: invitations.email, role: invitations.role });
  return row ? { ...row, token } : undefined;
}

export type InvitationState = "valid" | "expired" | "used" | "revoked" | "unknown";

/** Looks an invitation up by its token (public: the token is the credential). */
export async function findInvitationByToken(db: Db, { token, now }: { token: string; now: Date }) {
  const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, sha256(token)));
  if (!row) return { state: "unknown" as InvitationState };
  const state: InvitationState = row.acceptedAt ? "used" : row.revokedAt ? "revoked" : row.expiresAt <= now ? "expired" : "valid";
  return { state, invitation: row };
}

/** Accepts a valid invitation exactly once: marks it used and adds (or upgrades) the membership. */
export async function acceptInvitation(db: Db, { token, userId, now }: { token: string; userId: string; now: Date }) {
  return db.transaction(async (tx) => {
    const [inv] = await tx
      .update(invitations)
      .set({ acceptedAt: now })
      .where(and(eq(invitations.tokenHash, sha256(token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
      .returning();
    if (!inv) return undefined;
    await tx
      .insert(memberships)
      .values({ workspaceId: inv.workspaceId, userId, role: inv.role })
      .onConflictDoNothing();
    return inv;
  });
}
