import "server-only";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { auth } from "./auth";
import { can, type Permission, type Role } from "@/lib/auth/permissions";

export type SignedInUser = { id: string; email: string; name: string | null };
export type Member = {
  user: SignedInUser;
  role: Role;
  workspace: { id: string; slug: string; name: string; timeZone: string };
};

/** The header proxy.ts sets with the requested path, so a sign-in redirect can come back to it. */
export const PATH_HEADER = "x-tillit-path";

export function safeCallbackPath(path: string | null | undefined): string | undefined {
  // Only same-site paths: never "//evil.example" or "https://…".
  return path && path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") ? path : undefined;
}

/** The signed-in user, or undefined. A tampered or expired session cookie reads as signed out. */
export const currentUser = cache(async (): Promise<SignedInUser | undefined> => {
  const session = await auth().catch(() => null);
  const u = session?.user;
  if (!u?.id || !u.email) return undefined;
  return { id: u.id, email: u.email, name: u.name ?? null };
});

export async function requireUser(): Promise<SignedInUser> {
  const user = await currentUser();
  if (user) return user;
  const path = safeCallbackPath((await headers()).get(PATH_HEADER));
  redirect(path ? `/sign-in?${new URLSearchParams({ callbackUrl: path })}` : "/sign-in");
}

/**
 * The signed-in member of the workspace named by `slug`. Non-members get a 404, so a workspace's
 * existence is not revealed; members without `permission` get a 404 too for pages (use
 * `authorize` in actions to answer with a message instead).
 */
export const requireMember = cache(async (slug: string, permission: Permission = "workspace.read"): Promise<Member> => {
  const user = await requireUser();
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) notFound();
  const m = await getMembershipBySlug(getDb(), { userId: user.id, slug });
  if (!m || !can(m.role, permission)) notFound();
  return { user, role: m.role, workspace: m.workspace };
});
