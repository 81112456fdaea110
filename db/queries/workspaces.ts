import { eq } from "drizzle-orm";
import type { Db } from "../client";
import { workspaces } from "../schema/index";

export async function getWorkspaceBySlug(db: Db, slug: string) {
  const [row] = await db
    .select({ id: workspaces.id, name: workspaces.name, slug: workspaces.slug, timeZone: workspaces.timeZone })
    .from(workspaces)
    .where(eq(workspaces.slug, slug));
  return row;
}
