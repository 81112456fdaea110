import { getDb } from "@/db/client";
import { listMembers, listPendingInvitations } from "@/db/queries/members";
import { requireMember } from "@/lib/server/auth/member";
import { assignableRoles, can, roleLabels } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { ActionForm } from "@/app/_components/action-form";
import { button, dangerButton, input, label, secondaryButton } from "@/app/_components/styles";
import {
  changeRoleAction,
  inviteMember,
  leaveWorkspaceAction,
  removeMemberAction,
  resendInvitationAction,
  revokeInvitationAction,
  transferOwnershipAction,
} from "../actions";

export const metadata = { title: "Members" };

export default async function MembersPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const db = getDb();
  const manage = can(member.role, "members.manage");
  const [members, invitations] = await Promise.all([
    listMembers(db, { workspaceId: member.workspace.id }),
    manage ? listPendingInvitations(db, { workspaceId: member.workspace.id, now: now() }) : Promise.resolve([]),
  ]);
  const grantable = assignableRoles(member.role);

  return (
    <div className="space-y-10">
      <section>
        <h2 className="text-base font-semibold">Members</h2>
        <table className="mt-3 w-full rounded-lg border border-slate-200 bg-white text-left text-sm">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Person</th>
              <th className="px-4 py-2 font-medium">Role</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const self = m.userId === member.user.id;
              return (
                <tr key={m.userId} className="border-t border-slate-100" data-testid={`member-${m.email}`}>
                  <td className="px-4 py-2">
                    {m.name ? <span className="font-medium">{m.name} </span> : null}
                    <span className="text-slate-600">{m.email}</span>
                    {self ? <span className="ml-2 text-xs text-slate-400">(you)</span> : null}
                  </td>
                  <td className="px-4 py-2">
                    {manage && !self && m.role !== "owner" ? (
                      <ActionForm action={changeRoleAction} workspace={workspace} className="flex items-center gap-2">
                        <input type="hidden" name="userId" value={m.userId} />
                        <select name="role" defaultValue={m.role} aria-label={`Role of ${m.email}`} className="rounded border border-slate-300 px-2 py-1">
                          {grantable.map((r) => (
                            <option key={r} value={r}>{roleLabels[r]}</option>
                          ))}
                        </select>
                        <button type="submit" className={secondaryButton}>Change</button>
                      </ActionForm>
                    ) : (
                      roleLabels[m.role]
                    )}
                  </td>
                  <td className="space-x-2 px-4 py-2 text-right">
                    {can(member.role, "ownership.transfer") && !self ? (
                      <ActionForm action={transferOwnershipAction} workspace={workspace} className="inline">
                        <input type="hidden" name="userId" value={m.userId} />
                        <button type="submit" className={secondaryButton}>Make owner</button>
                      </ActionForm>
                    ) : null}
                    {manage && !self && (m.role !== "owner" || member.role === "owner") ? (
                      <ActionForm action={removeMemberAction} workspace={workspace} className="inline">
                        <input type="hidden" name="userId" value={m.userId} />
                        <button type="submit" className={dangerButton}>Remove</button>
                      </ActionForm>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      {manage ? (
        <section>
          <h2 className="text-base font-semibold">Invite someone</h2>
          <ActionForm action={inviteMember} workspace={workspace} className="mt-3 flex max-w-xl items-end gap-3" testId="invite-form">
            <div className="flex-1">
              <label htmlFor="invite-email" className={label}>Email</label>
              <input id="invite-email" name="email" type="email" required className={input} placeholder="colleague@company.com" />
            </div>
            <div>
              <label htmlFor="invite-role" className={label}>Role</label>
              <select id="invite-role" name="role" defaultValue="editor" className={input}>
                {grantable.map((r) => (
                  <option key={r} value={r}>{roleLabels[r]}</option>
                ))}
              </select>
            </div>
            <button type="submit" className={button}>Send invitation</button>
          </ActionForm>
          <h3 className="mt-6 text-sm font-semibold text-slate-700">Pending invitations</h3>
          {invitations.length === 0 ? (
            <p className="mt-2 text-sm text-slate-500">No pending invitations. Invite a colleague above; the link is valid for 7 days.</p>
          ) : (
            <ul className="mt-2 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
              {invitations.map((i) => (
                <li key={i.id} className="flex items-center gap-3 px-4 py-2" data-testid={`invitation-${i.email}`}>
                  <span className="flex-1">
                    {i.email} · {roleLabels[i.role]}
                    <span className="ml-2 text-xs text-slate-400">expires {i.expiresAt.toISOString().slice(0, 10)}</span>
                  </span>
                  <ActionForm action={resendInvitationAction} workspace={workspace} className="inline">
                    <input type="hidden" name="id" value={i.id} />
                    <button type="submit" className={secondaryButton}>Resend</button>
                  </ActionForm>
                  <ActionForm action={revokeInvitationAction} workspace={workspace} className="inline">
                    <input type="hidden" name="id" value={i.id} />
                    <button type="submit" className={dangerButton}>Revoke</button>
                  </ActionForm>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}

      <section>
        <h2 className="text-base font-semibold">Leave this workspace</h2>
        <p className="mt-1 text-sm text-slate-600">You lose access at once. The last owner must transfer ownership first.</p>
        <ActionForm action={leaveWorkspaceAction} workspace={workspace} className="mt-3">
          <button type="submit" className={dangerButton}>Leave workspace</button>
        </ActionForm>
      </section>
    </div>
  );
}
