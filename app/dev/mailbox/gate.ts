import "server-only";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { listUserWorkspaces } from "@/db/queries/workspaces";
import { requireUser } from "@/lib/server/auth/member";
import { env } from "@/lib/env";

/** The dev-only pages exist only where TILLIT_DEV_MAILBOX is on (npm run dev, the test and bench runners). */
export async function requireDevRoutes(): Promise<void> {
  // Decided per request, never at build time: a production build must not bake in either answer.
  await connection();
  if (!env().TILLIT_DEV_MAILBOX) notFound();
}

/**
 * The dev mailbox holds every sign-in link. Under `npm run dev` it is open (it is how one signs in
 * there at all); anywhere else it is switched on (a production build, e.g. a test or staging
 * stack) only a signed-in member of a workspace may read it: signed-out visitors go to sign-in.
 */
export async function requireDevMailbox(): Promise<void> {
  await requireDevRoutes();
  if (env().NODE_ENV === "development") return;
  const user = await requireUser();
  if ((await listUserWorkspaces(getDb(), { userId: user.id })).length === 0) notFound();
}
