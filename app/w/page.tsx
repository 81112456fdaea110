import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { listUserWorkspaces } from "@/db/queries/workspaces";
import { requireUser } from "@/lib/server/auth/member";

/** Where sign-in lands: the member's workspace, or creating the first one. */
export default async function WorkspaceIndex() {
  const user = await requireUser();
  const list = await listUserWorkspaces(getDb(), { userId: user.id });
  if (list.length === 0) redirect("/workspaces/new");
  if (list.length === 1) redirect(`/w/${list[0]!.slug}/flows`);
  redirect("/workspaces");
}
