"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { recordAudit } from "@/db/queries/audit";
import { acceptInvitation, findInvitationByToken } from "@/db/queries/members";
import { getWorkspaceSettings } from "@/db/queries/workspaces";
import { readActionForm, type ActionState } from "@/lib/server/auth/action";
import { currentUser } from "@/lib/server/auth/member";
import { now } from "@/lib/clock";

export async function acceptInvitationAction(_prev: ActionState | undefined, form: FormData): Promise<ActionState> {
  const read = readActionForm(form);
  if (!read.ok) return { ok: false, message: read.message, fieldErrors: { [read.field]: read.message } };
  const user = await currentUser();
  if (!user) return { ok: false, message: "Sign in to accept this invitation" };
  const token = z.string().min(10).max(100).safeParse(read.form.get("token"));
  if (!token.success) return { ok: false, message: "This invitation link is not valid" };
  const db = getDb();
  const found = await findInvitationByToken(db, { token: token.data, now: now() });
  if (found.state !== "valid") return { ok: false, message: `This invitation is ${found.state === "unknown" ? "not valid" : found.state}` };
  if (found.invitation!.email !== user.email.toLowerCase())
    return { ok: false, message: `This invitation is for ${found.invitation!.email}; you are signed in as ${user.email}` };
  const inv = await acceptInvitation(db, { token: token.data, userId: user.id, now: now() });
  if (!inv) return { ok: false, message: "This invitation has just been used or revoked" };
  await recordAudit(db, { workspaceId: inv.workspaceId, actorUserId: user.id, action: "member.joined", targetType: "user", targetId: user.id, data: { role: inv.role } });
  const ws = await getWorkspaceSettings(db, { workspaceId: inv.workspaceId });
  redirect(`/w/${ws!.slug}/flows`);
}
