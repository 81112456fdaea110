import { getDb } from "@/db/client";
import { getWorkspaceSettings } from "@/db/queries/workspaces";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { deleteWorkspaceAction, updateSettings } from "./actions";
import { SendingIdentityFields } from "./sending-identity";

export const metadata = { title: "Settings" };

export default async function GeneralSettingsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const ws = (await getWorkspaceSettings(getDb(), { workspaceId: member.workspace.id }))!;
  const editable = can(member.role, "settings.manage");
  const zones = ["UTC", ...Intl.supportedValuesOf("timeZone")];
  return (
    <>
    <ActionForm action={updateSettings} workspace={workspace} className="max-w-xl space-y-5" testId="settings-form">
      {!editable ? <p className="rounded-md bg-slate-100 p-3 text-sm text-slate-600">Only admins and owners can change these settings.</p> : null}
      <fieldset disabled={!editable} className="space-y-5">
        <div>
          <label htmlFor="name" className={label}>Workspace name</label>
          <input id="name" name="name" defaultValue={ws.name} required className={input} />
        </div>
        <SendingIdentityFields identity={ws} className="space-y-4 pt-2" />
        <div>
          <label htmlFor="timeZone" className={label}>Default time zone</label>
          <select id="timeZone" name="timeZone" defaultValue={ws.timeZone} className={input}>
            {zones.map((z) => (
              <option key={z} value={z}>{z}</option>
            ))}
          </select>
        </div>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" name="doubleOptInDefault" defaultChecked={ws.doubleOptInDefault} className="mt-1" />
          <span>
            Double opt-in for contacts added through the API and CSV import
            <span className="block text-xs text-slate-500">They get a confirmation email and receive no marketing until they confirm.</span>
          </span>
        </label>
        {editable ? <button type="submit" className={button}>Save settings</button> : null}
      </fieldset>
    </ActionForm>
    {can(member.role, "workspace.delete") ? (
      <section className="mt-12 max-w-xl rounded-lg border border-red-200 bg-white p-5">
        <h2 className="text-base font-semibold text-red-800">Delete this workspace</h2>
        <p className="mt-1 text-sm text-slate-600">
          Deletes every contact, consent record, flow, form, template and report in it, for everyone, at once. This cannot be undone.
        </p>
        <ActionForm action={deleteWorkspaceAction} workspace={workspace} className="mt-3 space-y-3" testId="delete-workspace-form">
          <div>
            <label htmlFor="confirmName" className={label}>Type <strong>{ws.name}</strong> to confirm</label>
            <input id="confirmName" name="confirmName" autoComplete="off" className={input} />
          </div>
          <ConfirmSubmit
            title={`Delete the workspace “${ws.name}”?`}
            description="Every contact, consent record, flow, form, template and report in it goes, for everyone, at once. This cannot be undone."
            confirm="Delete workspace"
          >
            Delete workspace
          </ConfirmSubmit>
        </ActionForm>
      </section>
    ) : null}
    </>
  );
}
