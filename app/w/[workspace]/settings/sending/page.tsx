import { getDb } from "@/db/client";
import { getSendingSettings } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { parseSendingPolicy } from "@/lib/email/policy";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { SendingIdentityFields } from "../sending-identity";
import { updateSendingAction } from "./actions";

export const metadata = { title: "Sending" };

export default async function SendingSettingsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const ws = (await getSendingSettings(getDb(), { workspaceId: member.workspace.id }))!;
  const policy = parseSendingPolicy(ws.sendingPolicy);
  const editable = can(member.role, "settings.manage");
  return (
    <ActionForm action={updateSendingAction} workspace={workspace} className="max-w-2xl space-y-6" testId="sending-form">
      {!editable ? <p className="rounded-md bg-slate-100 p-3 text-sm text-slate-600">Only admins and owners can change sending settings.</p> : null}
      {!ws.postalAddress ? (
        <p className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          Add your postal address: marketing mail is not sent without one (CAN-SPAM).
        </p>
      ) : null}
      <fieldset disabled={!editable} className="space-y-6">
        <SendingIdentityFields identity={ws} />
        <section className="space-y-3">
          <h2 className="text-base font-semibold">Frequency cap</h2>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="capEnabled" defaultChecked={!!policy.frequencyCap} /> Limit marketing mail per contact
          </label>
          <div className="flex items-end gap-3 text-sm">
            <div>
              <label htmlFor="capMax" className={label}>At most</label>
              <input id="capMax" name="capMax" type="number" min={1} max={100} defaultValue={policy.frequencyCap?.max ?? 3} className={`${input} w-24`} />
            </div>
            <div>
              <label htmlFor="capWindowHours" className={label}>messages per (hours)</label>
              <input id="capWindowHours" name="capWindowHours" type="number" min={1} max={744} defaultValue={policy.frequencyCap?.windowHours ?? 168} className={`${input} w-28`} />
            </div>
          </div>
          <p className="text-xs text-slate-500">A message over the cap waits for the next allowed slot; it is never dropped. Transactional mail is not counted or held.</p>
        </section>
        <section className="space-y-3">
          <h2 className="text-base font-semibold">Sending pace</h2>
          <div className="text-sm">
            <label htmlFor="paceRequestsPerSecond" className={label}>Requests per second to Resend</label>
            <input id="paceRequestsPerSecond" name="paceRequestsPerSecond" type="number" min={1} max={1000} required defaultValue={policy.pace.requestsPerSecond} className={`${input} w-24`} />
          </div>
          <p className="text-xs text-slate-500">
            What your Resend plan allows (2 on the default plan). Flow mail goes in batches of up to 100 per request, so 2 requests a second is up to
            200 messages a second; a large fan-out queues at this pace instead of meeting Resend&rsquo;s rate limit.
          </p>
        </section>
        <section className="space-y-3">
          <h2 className="text-base font-semibold">Quiet hours</h2>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="quietEnabled" defaultChecked={!!policy.quietHours} /> Hold marketing mail during the night, in each contact’s time zone
          </label>
          <div className="flex items-end gap-3">
            <div>
              <label htmlFor="quietStart" className={label}>From</label>
              <input id="quietStart" name="quietStart" type="time" defaultValue={policy.quietHours?.start ?? "21:00"} className={`${input} w-32`} />
            </div>
            <div>
              <label htmlFor="quietEnd" className={label}>Until</label>
              <input id="quietEnd" name="quietEnd" type="time" defaultValue={policy.quietHours?.end ?? "08:00"} className={`${input} w-32`} />
            </div>
          </div>
        </section>
        <section className="space-y-3">
          <h2 className="text-base font-semibold">Tracking</h2>
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="trackClicks" defaultChecked={policy.tracking.clicks} /> Track link clicks (through our redirect)</label>
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="trackOpens" defaultChecked={policy.tracking.opens} /> Track opens (a 1-pixel image)</label>
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="utm" defaultChecked={policy.tracking.utm} /> Add UTM parameters (campaign = flow, content = step; a send node may set its own)</label>
          <div className="grid grid-cols-2 gap-4">
            <div>
              <label htmlFor="utmSource" className={label}>utm_source</label>
              <input id="utmSource" name="utmSource" defaultValue={policy.tracking.utmSource} className={input} />
            </div>
            <div>
              <label htmlFor="utmMedium" className={label}>utm_medium</label>
              <input id="utmMedium" name="utmMedium" defaultValue={policy.tracking.utmMedium} className={input} />
            </div>
          </div>
          <p className="text-xs text-slate-500">Clicks and opens by link scanners and privacy proxies are recorded but flagged, and do not count in conditions, goals or stats.</p>
        </section>
        {editable ? <button type="submit" className={button}>Save sending settings</button> : null}
      </fieldset>
    </ActionForm>
  );
}
