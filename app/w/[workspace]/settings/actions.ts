"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { createApiKey, revokeApiKey } from "@/db/queries/api-keys";
import {
  changeMemberRole,
  createInvitation,
  MembershipError,
  removeMember,
  renewInvitation,
  revokeInvitation,
  transferOwnership,
} from "@/db/queries/members";
import { deleteWorkspace, updateWorkspaceSettings } from "@/db/queries/workspaces";
import { redirect } from "next/navigation";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { assignableRoles, roles, type Role } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { configuredTransport, sendEmail } from "@/lib/server/email/transport";
import { env } from "@/lib/env";
import type { Db } from "@/db/client";
import { invitationEmail } from "@/lib/email/invitation";

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Keep it under ${max} characters`)
    .transform((v) => (v === "" ? null : v));
const optionalEmail = z
  .string()
  .trim()
  .transform((v) => (v === "" ? null : v))
  .pipe(z.email("Enter a valid email address").nullable());

const settingsSchema = z.object({
  name: z.string().trim().min(2, "At least 2 characters").max(80, "Keep it under 80 characters"),
  fromName: optionalText(80),
  fromEmail: optionalEmail,
  replyTo: optionalEmail,
  postalAddress: optionalText(300),
  timeZone: z.string().refine((tz) => tz === "UTC" || Intl.supportedValuesOf("timeZone").includes(tz), "Unknown time zone"),
  doubleOptInDefault: z.boolean(),
});

export const updateSettings = workspaceAction("settings.manage", formFields(settingsSchema, { doubleOptInDefault: "boolean" }), async ({ db, member, input, audit }) => {
  await updateWorkspaceSettings(db, { workspaceId: member.workspace.id, ...input });
  await audit({ action: "settings.updated", targetType: "workspace", targetId: member.workspace.id, data: { ...input } });
  revalidatePath(`/w/${member.workspace.slug}`, "layout");
  return { ok: true, message: "Settings saved" };
});

const roleField = z.enum(roles);
const uuid = z.uuid("Not found");

function rethrow(err: unknown, field?: string): never {
  if (err instanceof MembershipError) throw new ActionError(err.message, field);
  throw err;
}

async function mailInvitation(db: Db, opts: { to: string; token: string; workspaceName: string; inviter: string; role: Role }) {
  const mail = invitationEmail({ inviter: opts.inviter, workspaceName: opts.workspaceName, role: opts.role, link: `${env().appUrl}/invite/${opts.token}` });
  await sendEmail(configuredTransport(db), { from: env().MAIL_FROM, to: [opts.to], ...mail, class: "transactional" });
}

export const inviteMember = workspaceAction(
  "members.manage",
  z.object({ email: z.email("Enter a valid email address").transform((e) => e.toLowerCase()), role: roleField }),
  async ({ db, member, input, audit }) => {
    if (!assignableRoles(member.role).includes(input.role)) throw new ActionError(`You cannot invite someone as ${input.role}`, "role");
    const inv = await createInvitation(db, { workspaceId: member.workspace.id, email: input.email, role: input.role, invitedBy: member.user.id, now: now() });
    await mailInvitation(db, { to: input.email, token: inv.token, workspaceName: member.workspace.name, inviter: member.user.name ?? member.user.email, role: input.role });
    await audit({ action: "member.invited", targetType: "invitation", targetId: inv.id, data: { email: input.email, role: input.role } });
    revalidatePath(`/w/${member.workspace.slug}/settings/members`);
    return { ok: true, message: `Invitation sent to ${input.email}` };
  },
);

export const revokeInvitationAction = workspaceAction("members.manage", z.object({ id: uuid }), async ({ db, member, input, audit }) => {
  const row = await revokeInvitation(db, { workspaceId: member.workspace.id, id: input.id, now: now() });
  if (!row) throw new ActionError("That invitation is no longer pending");
  await audit({ action: "member.invitation_revoked", targetType: "invitation", targetId: row.id, data: { email: row.email } });
  revalidatePath(`/w/${member.workspace.slug}/settings/members`);
  return { ok: true, message: `Invitation for ${row.email} revoked` };
});

export const resendInvitationAction = workspaceAction("members.manage", z.object({ id: uuid }), async ({ db, member, input, audit }) => {
  const row = await renewInvitation(db, { workspaceId: member.workspace.id, id: input.id, now: now() });
  if (!row) throw new ActionError("That invitation is no longer pending");
  await mailInvitation(db, { to: row.email, token: row.token, workspaceName: member.workspace.name, inviter: member.user.name ?? member.user.email, role: row.role });
  await audit({ action: "member.invitation_resent", targetType: "invitation", targetId: row.id, data: { email: row.email } });
  return { ok: true, message: `Invitation sent again to ${row.email}` };
});

export const changeRoleAction = workspaceAction("members.manage", z.object({ userId: uuid, role: roleField }), async ({ db, member, input, audit }) => {
  if (!assignableRoles(member.role).includes(input.role)) throw new ActionError(`You cannot make someone ${input.role}`, "role");
  if (input.userId === member.user.id) throw new ActionError("You cannot change your own role");
  const change = await changeMemberRole(db, { workspaceId: member.workspace.id, userId: input.userId, role: input.role }).catch(rethrow);
  await audit({ action: "member.role_changed", targetType: "user", targetId: input.userId, data: change });
  revalidatePath(`/w/${member.workspace.slug}/settings/members`);
  return { ok: true, message: "Role changed" };
});

export const removeMemberAction = workspaceAction("members.manage", z.object({ userId: uuid }), async ({ db, member, input, audit }) => {
  if (input.userId === member.user.id) throw new ActionError("Use “Leave workspace” to remove yourself");
  const removed = await removeMember(db, {
    workspaceId: member.workspace.id,
    userId: input.userId,
    mayRemoveOwner: member.role === "owner",
  }).catch(rethrow);
  await audit({ action: "member.removed", targetType: "user", targetId: input.userId, data: { role: removed.role } });
  revalidatePath(`/w/${member.workspace.slug}/settings/members`);
  return { ok: true, message: "Member removed" };
});

export const leaveWorkspaceAction = workspaceAction("workspace.read", z.object({}), async ({ db, member, audit }) => {
  await removeMember(db, { workspaceId: member.workspace.id, userId: member.user.id, mayRemoveOwner: true }).catch(rethrow);
  await audit({ action: "member.left", targetType: "user", targetId: member.user.id, data: { role: member.role } });
  return { ok: true, message: "You left the workspace" };
});

export const transferOwnershipAction = workspaceAction("ownership.transfer", z.object({ userId: uuid }), async ({ db, member, input, audit }) => {
  await transferOwnership(db, { workspaceId: member.workspace.id, fromUserId: member.user.id, toUserId: input.userId }).catch((err: unknown) => rethrow(err, "userId"));
  await audit({ action: "member.ownership_transferred", targetType: "user", targetId: input.userId });
  revalidatePath(`/w/${member.workspace.slug}/settings/members`);
  return { ok: true, message: "Ownership transferred; you are now an admin" };
});

export const createApiKeyAction = workspaceAction(
  "api_keys.manage",
  z.object({ name: z.string().trim().min(1, "Give the key a name").max(60, "Keep it under 60 characters"), kind: z.enum(["public", "secret"]) }),
  async ({ db, member, input, audit }) => {
    const key = await createApiKey(db, { workspaceId: member.workspace.id, name: input.name, kind: input.kind, createdBy: member.user.id });
    await audit({ action: "api_key.created", targetType: "api_key", targetId: key.id, data: { name: key.name, kind: key.kind, prefix: key.prefix } });
    revalidatePath(`/w/${member.workspace.slug}/settings/api-keys`);
    return { ok: true, message: `Key “${key.name}” created. Copy it now: it will not be shown again.`, data: { key: key.key } };
  },
);

export const revokeApiKeyAction = workspaceAction("api_keys.manage", z.object({ id: uuid }), async ({ db, member, input, audit }) => {
  const row = await revokeApiKey(db, { workspaceId: member.workspace.id, id: input.id, now: now() });
  if (!row) throw new ActionError("That key is already revoked or does not exist");
  await audit({ action: "api_key.revoked", targetType: "api_key", targetId: row.id, data: { name: row.name } });
  revalidatePath(`/w/${member.workspace.slug}/settings/api-keys`);
  return { ok: true, message: `Key “${row.name}” revoked` };
});

export const deleteWorkspaceAction = workspaceAction(
  "workspace.delete",
  z.object({ confirmName: z.string() }),
  async ({ db, member, input }) => {
    if (input.confirmName.trim() !== member.workspace.name)
      throw new ActionError("Type the workspace's name exactly to confirm", "confirmName");
    // The audit log goes with the workspace; nothing of it is left to record into.
    await deleteWorkspace(db, { workspaceId: member.workspace.id });
    redirect("/w");
  },
);
