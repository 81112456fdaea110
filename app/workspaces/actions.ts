"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { recordAudit } from "@/db/queries/audit";
import { createWorkspace } from "@/db/queries/workspaces";
import { readActionForm, type ActionState } from "@/lib/server/auth/action";
import { currentUser } from "@/lib/server/auth/member";
import { signOut } from "@/lib/server/auth/auth";

const schema = z.object({
  name: z.string().trim().min(2, "Give the workspace a name of at least 2 characters").max(80, "Keep the name under 80 characters"),
  timeZone: z.string().refine((tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC", "Unknown time zone"),
});

export async function createWorkspaceAction(_prev: ActionState | undefined, form: FormData): Promise<ActionState> {
  const read = readActionForm(form);
  if (!read.ok) return { ok: false, message: read.message, fieldErrors: { [read.field]: read.message } };
  const user = await currentUser();
  if (!user) return { ok: false, message: "Your session has ended: sign in again" };
  const parsed = schema.safeParse(Object.fromEntries(read.form.entries()));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return { ok: false, message: `${String(i.path[0])}: ${i.message}`, fieldErrors: { [String(i.path[0])]: i.message } };
  }
  const db = getDb();
  const ws = await createWorkspace(db, { name: parsed.data.name, ownerId: user.id, timeZone: parsed.data.timeZone });
  await recordAudit(db, { workspaceId: ws.id, actorUserId: user.id, action: "workspace.created", targetType: "workspace", targetId: ws.id, data: { name: ws.name } });
  redirect(`/w/${ws.slug}/flows`);
}

export async function signOutAction() {
  await signOut({ redirectTo: "/" });
}
