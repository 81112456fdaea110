import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { listTopics } from "@/db/queries/consent";
import { formDailySignups, getForm } from "@/db/queries/forms";
import { now } from "@/lib/clock";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { readFormConfig } from "@/lib/forms/config";
import { plainHtmlEmbed } from "@/lib/forms/render";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { updateFormAction } from "../actions";
import { SignupsChart } from "./signups-chart";

export const metadata = { title: "Form" };

export default async function FormPage(props: { params: Promise<{ workspace: string; formId: string }> }) {
  const { workspace, formId } = await props.params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(formId).success) notFound();
  const db = getDb();
  const form = await getForm(db, { workspaceId: member.workspace.id, formId });
  if (!form) notFound();
  const [topics, daily] = await Promise.all([
    listTopics(db, { workspaceId: member.workspace.id }),
    formDailySignups(db, { workspaceId: member.workspace.id, formId: form.id, days: 30, now: now() }),
  ]);
  const totals = daily.reduce((a, d) => ({ signups: a.signups + d.signups, confirmed: a.confirmed + d.confirmed }), { signups: 0, confirmed: 0 });
  const config = readFormConfig(form.config);
  const url = `${env().appUrl}/f/${form.slug}`;
  const rows = [...config.fields, ...Array.from({ length: 3 }, () => ({ key: "", label: "", type: "text" as const, required: false }))];
  const offered = topics.filter((t) => config.topics.includes(t.key));
  const embeds = [
    ...(config.plainHtmlEmbed
      ? [{ title: "Plain HTML form (works on any page, no script)", code: plainHtmlEmbed({ url, config, consentWording: form.consentWording, topics: offered }) }]
      : []),
    { title: "Script", code: `<script src="${url}/embed.js" async></script>` },
    { title: "Iframe", code: `<iframe src="${url}?embed=1" title="Signup form" style="width:100%;max-width:480px;min-height:420px;border:0"></iframe>` },
  ];
  return (
    <>
      <Link href={`/w/${workspace}/forms`} className="text-sm text-brand-600 hover:underline">← Forms</Link>
      <div className="mt-2 flex items-baseline gap-3">
        <h1 className="text-2xl font-semibold">{form.name}</h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-sm" data-testid="form-status">{form.status}</span>
        {form.status === "live" ? (
          <a href={`/f/${form.slug}`} target="_blank" rel="noreferrer" className="text-sm text-brand-600 hover:underline">Open hosted page ↗</a>
        ) : null}
      </div>
      <div className="mt-6 grid gap-10 lg:grid-cols-2">
        <ActionForm action={updateFormAction} workspace={workspace} className="space-y-4" testId="form-builder">
          <fieldset disabled={!can(member.role, "forms.edit")} className="space-y-4">
            <input type="hidden" name="formId" value={form.id} />
            <div className="grid grid-cols-2 gap-4">
              <div>
                <label htmlFor="name" className={label}>Name</label>
                <input id="name" name="name" defaultValue={form.name} required className={input} />
              </div>
              <div>
                <label htmlFor="slug" className={label}>Address (/f/…)</label>
                <input id="slug" name="slug" defaultValue={form.slug} required className={input} />
              </div>
            </div>
            <div className="grid grid-cols-2 gap-4">
              <div>
                <label htmlFor="status" className={label}>Status</label>
                <select id="status" name="status" defaultValue={form.status} className={input}>
                  <option value="draft">Draft (not reachable)</option>
                  <option value="live">Live</option>
                  <option value="archived">Archived (closed)</option>
                </select>
              </div>
              <label className="mt-6 flex items-center gap-2 text-sm">
                <input type="checkbox" name="doubleOptIn" defaultChecked={form.doubleOptIn} /> Double opt-in (confirm by email)
              </label>
            </div>
            <div>
              <label htmlFor="consentWording" className={label}>Consent wording (version {form.wordingVersion})</label>
              <textarea id="consentWording" name="consentWording" rows={3} defaultValue={form.consentWording} className={input} />
              <p className="mt-1 text-xs text-slate-500">Shown above the button and stored with every signup. Changing it starts a new version.</p>
            </div>
            <div>
              <label htmlFor="privacyNoticeUrl" className={label}>Privacy notice URL</label>
              <input id="privacyNoticeUrl" name="privacyNoticeUrl" defaultValue={config.privacyNoticeUrl ?? ""} className={input} />
            </div>
            <div className="grid grid-cols-2 gap-4">
              <div>
                <label htmlFor="heading" className={label}>Heading</label>
                <input id="heading" name="heading" defaultValue={config.heading} className={input} />
              </div>
              <div>
                <label htmlFor="submitLabel" className={label}>Button label</label>
                <input id="submitLabel" name="submitLabel" defaultValue={config.submitLabel} className={input} />
              </div>
            </div>
            <div>
              <label htmlFor="intro" className={label}>Introduction</label>
              <textarea id="intro" name="intro" rows={2} defaultValue={config.intro} className={input} />
            </div>
            <fieldset>
              <legend className={label}>Fields (email is always first and required)</legend>
              <div className="mt-1 space-y-2">
                {rows.map((f, i) => (
                  <div key={i} className="grid grid-cols-[1fr_1fr_7rem_auto] items-center gap-2">
                    <input name={`field_key_${i}`} defaultValue={f.key} placeholder="key, e.g. first_name" aria-label={`Field ${i + 1} key`} className={`${input} mt-0`} />
                    <input name={`field_label_${i}`} defaultValue={f.label} placeholder="Label" aria-label={`Field ${i + 1} label`} className={`${input} mt-0`} />
                    <select name={`field_type_${i}`} defaultValue={f.type} aria-label={`Field ${i + 1} type`} className={`${input} mt-0`}>
                      <option value="text">text</option>
                      <option value="number">number</option>
                      <option value="date">date</option>
                      <option value="checkbox">checkbox</option>
                    </select>
                    <label className="flex items-center gap-1 text-xs">
                      <input type="checkbox" name={`field_required_${i}`} defaultChecked={f.required} /> required
                    </label>
                  </div>
                ))}
              </div>
            </fieldset>
            <fieldset>
              <legend className={label}>Topics offered (shown unticked)</legend>
              {topics.length === 0 ? (
                <p className="mt-1 text-sm text-slate-500">
                  No topics yet. <Link href={`/w/${workspace}/settings/topics`} className="text-brand-600 hover:underline">Create topics</Link> to let people choose what they hear about.
                </p>
              ) : (
                <div className="mt-1 flex flex-wrap gap-4">
                  {topics.map((t) => (
                    <label key={t.id} className="flex items-center gap-1 text-sm">
                      <input type="checkbox" name={`topic_${t.key}`} defaultChecked={config.topics.includes(t.key)} /> {t.name}
                    </label>
                  ))}
                </div>
              )}
            </fieldset>
            <div>
              <label htmlFor="successMessage" className={label}>Success message</label>
              <textarea id="successMessage" name="successMessage" rows={2} defaultValue={config.successMessage} className={input} />
            </div>
            <div>
              <label htmlFor="redirectUrl" className={label}>Or redirect to (optional)</label>
              <input id="redirectUrl" name="redirectUrl" defaultValue={config.redirectUrl ?? ""} placeholder="https://example.com/thanks" className={input} />
            </div>
            <div className="grid grid-cols-3 gap-4">
              <div>
                <label htmlFor="colour" className={label}>Colour</label>
                <input id="colour" name="colour" type="color" defaultValue={config.style.colour} className="mt-1 h-9 w-full" />
              </div>
              <div>
                <label htmlFor="logoUrl" className={label}>Logo URL</label>
                <input id="logoUrl" name="logoUrl" defaultValue={config.style.logoUrl ?? ""} className={input} />
              </div>
              <div>
                <label htmlFor="minFillSeconds" className={label}>Min. fill time (s)</label>
                <input id="minFillSeconds" name="minFillSeconds" type="number" min={0} max={60} defaultValue={config.minFillSeconds} className={input} />
              </div>
            </div>
            <div>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="plainHtmlEmbed" defaultChecked={config.plainHtmlEmbed} /> Accept the plain HTML embed (no script)
              </label>
              <p className="mt-1 text-xs text-slate-500" data-testid="plain-embed-note">
                The hosted page, the script and the iframe stamp each form with the time it was shown, which is how the minimum fill time
                is enforced. A static HTML form on your own page cannot carry that stamp, so with this on, signups without one are accepted
                and the minimum fill time does not apply to them: they are checked only by the hidden honeypot field, the limits per
                visitor and per address and, with double opt-in, the confirmation mail. Leave it off unless you paste the plain HTML form.
              </p>
            </div>
            <button type="submit" className={button}>Save form</button>
          </fieldset>
        </ActionForm>
        <section>
          <h2 className="text-base font-semibold">Last 30 days</h2>
          {totals.signups === 0 ? (
            <p className="mt-1 text-sm text-slate-500" data-testid="signups-empty">No signups yet. Make the form live and share its page or embed it below.</p>
          ) : (
            <>
              <p className="mt-1 text-sm text-slate-600">
                {totals.signups} signups · {totals.confirmed} confirmed
                {form.doubleOptIn && totals.signups > 0 ? ` (${Math.round((100 * totals.confirmed) / totals.signups)} % confirmation rate)` : ""}
              </p>
              <SignupsChart data={daily} />
            </>
          )}
          <h2 className="mt-8 text-base font-semibold">Embed</h2>
          {form.status !== "live" ? <p className="mt-1 text-sm text-amber-700">Set the status to Live before embedding: drafts do not accept signups.</p> : null}
          <p className="mt-1 text-sm text-slate-600">
            Hosted page: <a href={url} className="font-mono text-brand-600">{url}</a>
          </p>
          {config.plainHtmlEmbed ? (
            form.doubleOptIn ? null : (
              <p className="mt-2 text-sm text-amber-700" data-testid="plain-embed-warning">
                This form accepts the plain HTML embed without double opt-in: a script can sign up anyone&apos;s address through it with
                no minimum fill time. Turn double opt-in on, or stop accepting the plain HTML embed.
              </p>
            )
          ) : (
            <p className="mt-4 text-sm text-slate-600" data-testid="plain-embed-off">
              Plain HTML form: not offered, since a static form cannot carry the render stamp the minimum fill time relies on. Tick
              “Accept the plain HTML embed” above to use one anyway.
            </p>
          )}
          {embeds.map((e) => (
            <div key={e.title} className="mt-4">
              <h3 className="text-sm font-medium">{e.title}</h3>
              <pre className="mt-1 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid={`embed-${e.title.split(" ")[0]!.toLowerCase()}`}>{e.code}</pre>
            </div>
          ))}
        </section>
      </div>
    </>
  );
}
