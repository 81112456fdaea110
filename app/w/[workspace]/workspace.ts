import "server-only";
import { notFound } from "next/navigation";
import { cache } from "react";
import { getDb } from "../../../db/client";
import { getWorkspaceBySlug } from "../../../db/queries/workspaces";

/** The workspace named in the URL, loaded once per request for the layout and its pages. */
export const loadWorkspace = cache(async (slug: string) => {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) notFound();
  const workspace = await getWorkspaceBySlug(getDb(), slug);
  if (!workspace) notFound();
  return workspace;
});
