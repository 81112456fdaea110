import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { memberships, workspaces } from "../schema/index";

/** Lower-case, ASCII, dashes: "Acme Outdoor AS" → "acme-outdoor-as". */
export function slugify(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[æ]/g, "ae")
    .replace(/[ø]/g, "o")
    .replace(/[å]/g, "a")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return base.length >= 2 ? base : `workspace${base ? `-${base}` : ""}`;
}

// Paths under /w/ that a slug must not shadow.
const reserved = new Set(["new", "api", "settings", "admin", "www", "app"]);

/** Creates a workspace with a unique slug derived from its name, and makes `ownerId` its owner. */
export async function createWorkspace(db: Db, input: { name: string; ownerId: string; timeZone?: string }) {
  const base = slugify(input.name);
  return db.transaction(async (tx) => {
    const taken = await tx
      .select({ slug: workspaces.slug })
      .from(workspaces)
      .where(sql`${workspaces.slug} = ${base} or ${workspaces.slug} like ${`${base}-%`}`);
    const used = new Set(taken.map((t) => t.slug));
    let slug = base;
    for (let n = 2; used.has(slug) || reserved.has(slug); n++) slug = `${base}-${n}`;
    const [ws] = await tx
      .insert(workspaces)
      .values({ name: input.name, slug, timeZone: input.timeZone ?? "UTC" })
      .returning({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name });
    await tx.insert(memberships).values({ workspaceId: ws!.id, userId: input.ownerId, role: "owner" });
    return ws!;
  });
}

export async function getWorkspaceSettings(db: Db, { workspaceId }: { workspaceId: string }) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  return row;
}

export type WorkspaceSettingsInput = {
  name: string;
  fromName: string | null;
  fromEmail: string | null;
  replyTo: string | null;
  postalAddress: string | null;
  timeZone: string;
  doubleOptInDefault: boolean;
};

export async function updateWorkspaceSettings(db: Db, { workspaceId, ...input }: { workspaceId: string } & WorkspaceSettingsInput) {
  const [row] = await db
    .update(workspaces)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(workspaces.id, workspaceId))
    .returning({ id: workspaces.id });
  return row;
}

/** The workspaces a user belongs to, with their role in each. */
export async function listUserWorkspaces(db: Db, { userId }: { userId: string }) {
  return db
    .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name, role: memberships.role })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(workspaces.name));
}

/** The member's view of a workspace by slug, or undefined when they are not a member. */
export async function getMembershipBySlug(db: Db, { userId, slug }: { userId: string; slug: string }) {
  const [row] = await db
    .select({
      workspace: { id: workspaces.id, slug: workspaces.slug, name: workspaces.name, timeZone: workspaces.timeZone },
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(workspaces.slug, slug)));
  return row;
}

/** Deletes a workspace and everything in it (every table cascades from workspaces). */
export async function deleteWorkspace(db: Db, { workspaceId }: { workspaceId: string }) {
  const [row] = await db.delete(workspaces).where(eq(workspaces.id, workspaceId)).returning({ id: workspaces.id });
  return row;
}
