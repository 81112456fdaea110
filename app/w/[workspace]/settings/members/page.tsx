import { getDb } from "@/db/client";
import { listMembers, listPendingInvitations } from "@/db/queries/members";
import { requireMember } from "@/lib/server/auth/member";
import { assignableRoles, can, roleLabels } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label, secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { Table } from "@/app/_components/ui/table";
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
        <Table
          caption="Members"
          className="mt-3"
          rows={members}
          rowKey={(m) => m.userId}
          rowTestId={(m) => `member-${m.email}`}
          columns={[
            {
              header: "Person",
              cell: (m) => (
                <>
                  {m.name ? <span className="font-medium">{m.name} </span> : null}
                  <span className="text-slate-600">{m.email}</span>
                  {m.userId === member.user.id ? <span className="ml-2 text-xs text-slate-500">(you)</span> : null}
                </>
              ),
            },
            {
              header: "Role",
              cell: (m) =>
                manage && m.userId !== member.user.id && m.role !== "owner" ? (
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
                ),
            },
            {
              header: "Actions",
              hideHeader: true,
              align: "end",
              className: "space-x-2",
              cell: (m) => {
                const self = m.userId === member.user.id;
                const who = m.name ?? m.email;
                return (
                  <>
                    {can(member.role, "ownership.transfer") && !self ? (
                      <ActionForm action={transferOwnershipAction} workspace={workspace} className="inline">
                        <input type="hidden" name="userId" value={m.userId} />
                        <ConfirmSubmit
                          className={secondaryButton}
                          title={`Make ${who} the owner?`}
                          description={`${who} (${m.email}) becomes the owner of ${member.workspace.name}, with every right over it, and you become an admin. Only the new owner can give ownership back.`}
                          confirm="Transfer ownership"
                        >
                          Make owner
                        </ConfirmSubmit>
                      </ActionForm>
                    ) : null}
                    {manage && !self && (m.role !== "owner" || member.role === "owner") ? (
                      <ActionForm action={removeMemberAction} workspace={workspace} className="inline">
                        <input type="hidden" name="userId" value={m.userId} />
                        <ConfirmSubmit
                          title={`Remove ${who} from ${member.workspace.name}?`}
                          description={`${m.email} loses access to this workspace at once. What they made stays. Invite them again to give access back.`}
                          confirm="Remove member"
                        >
                          Remove
                        </ConfirmSubmit>
                      </ActionForm>
                    ) : null}
                  </>
                );
              },
            },
          ]}
        />
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
                    <span className="ml-2 text-xs text-slate-500">expires {i.expiresAt.toISOString().slice(0, 10)}</span>
                  </span>
                  <ActionForm action={resendInvitationAction} workspace={workspace} className="inline">
                    <input type="hidden" name="id" value={i.id} />
                    <button type="submit" className={secondaryButton}>Resend</button>
                  </ActionForm>
                  <ActionForm action={revokeInvitationAction} workspace={workspace} className="inline">
                    <input type="hidden" name="id" value={i.id} />
                    <ConfirmSubmit
                      title={`Revoke the invitation for ${i.email}?`}
                      description="The link in their invitation mail stops working. You can invite them again later."
                      confirm="Revoke invitation"
                    >
                      Revoke
                    </ConfirmSubmit>
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
          <ConfirmSubmit
            title={`Leave ${member.workspace.name}?`}
            description="You lose access to this workspace at once; an admin must invite you again to come back."
            confirm="Leave workspace"
          >
            Leave workspace
          </ConfirmSubmit>
        </ActionForm>
      </section>
    </div>
  );
}
