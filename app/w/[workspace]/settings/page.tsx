import { getDb } from "@/db/client";
import { getWorkspaceSettings } from "@/db/queries/workspaces";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { ActionForm } from "@/app/_components/action-form";
import { button, dangerButton, input, label } from "@/app/_components/styles";
import { deleteWorkspaceAction, updateSettings } from "./actions";

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
        <h2 className="pt-2 text-base font-semibold">Sending identity</h2>
        <div className="grid grid-cols-2 gap-4">
          <div>
            <label htmlFor="fromName" className={label}>From name</label>
            <input id="fromName" name="fromName" defaultValue={ws.fromName ?? ""} className={input} placeholder="Acme Outdoor" />
          </div>
          <div>
            <label htmlFor="fromEmail" className={label}>From address</label>
            <input id="fromEmail" name="fromEmail" type="email" defaultValue={ws.fromEmail ?? ""} className={input} placeholder="news@acme.com" />
          </div>
        </div>
        <div>
          <label htmlFor="replyTo" className={label}>Reply-to address</label>
          <input id="replyTo" name="replyTo" type="email" defaultValue={ws.replyTo ?? ""} className={input} />
        </div>
        <div>
          <label htmlFor="postalAddress" className={label}>Postal address</label>
          <textarea id="postalAddress" name="postalAddress" rows={3} defaultValue={ws.postalAddress ?? ""} className={input} />
          <p className="mt-1 text-xs text-slate-500">Every marketing message must carry it (CAN-SPAM). Required before your first marketing send.</p>
        </div>
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
          <button type="submit" className={dangerButton}>Delete workspace</button>
        </ActionForm>
      </section>
    ) : null}
    </>
  );
}
