import "server-only";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { getFlowForEditor } from "@/db/queries/flows";
import { requireMember } from "@/lib/server/auth/member";

/**
 * What every page of one flow starts with: the signed-in member of the workspace, and the flow
 * (this workspace's only); a malformed or foreign flow id is a 404.
 */
export async function flowPage(params: Promise<{ workspace: string; flowId: string }>) {
  const { workspace, flowId } = await params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(flowId).success) notFound();
  const db = getDb();
  const workspaceId = member.workspace.id;
  const flow = await getFlowForEditor(db, { workspaceId, flowId });
  if (!flow) notFound();
  return { workspace, flowId, member, db, workspaceId, flow };
}
