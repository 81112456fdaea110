"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { callAction } from "@/app/_components/call-action";
import { postAction } from "@/app/_components/post-form";
import { button, input, label, secondaryButton } from "@/app/_components/styles";
import { notify } from "@/app/_components/ui/toast";
import type { BroadcastPickers } from "@/db/queries/broadcasts";
import type { Audience } from "@/lib/broadcasts/audience";
import type { UtmOverride } from "@/lib/flows/catalog";
import { previewAudienceAction, saveBroadcastAction, scheduleBroadcastAction } from "../actions";
import { LEFT_OUT_LABELS } from "./left-out";

/** The draft as the editor holds it (the action's `draft` input). */
export type EditorDraft = {
  name: string;
  templateId: string | null;
  subject: string | null;
  preheader: string | null;
  fromName: string | null;
  fromEmail: string | null;
  replyTo: string | null;
  utm: UtmOverride | null;
  audience: Audience | null;
  bypassCaps: boolean;
};

type Summary = { inAudience: number; eligible: number; leftOut: Record<string, number>; noPostalAddress: number };

const emptyAudience: Audience = { everyone: false, segmentIds: [], topicIds: [], excludeSegmentIds: [] };

function toggle(list: string[], id: string, on: boolean): string[] {
  return on ? [...new Set([...list, id])] : list.filter((x) => x !== id);
}

/** A list of checkboxes choosing ids (segments, topics, exclusions). */
function CheckList(props: { legend: string; none: string; items: { id: string; name: string }[]; chosen: string[]; onChange: (ids: string[]) => void; labelOf?: (name: string) => string }) {
  return (
    <fieldset className="text-sm">
      <legend className="font-medium text-slate-700">{props.legend}</legend>
      {props.items.length === 0 ? <p className="text-slate-500">{props.none}</p> : null}
      {props.items.map((x) => (
        <label key={x.id} className="flex items-center gap-2">
          <input
            type="checkbox"
            aria-label={props.labelOf?.(x.name)}
            checked={props.chosen.includes(x.id)}
            onChange={(e) => props.onChange(toggle(props.chosen, x.id, e.target.checked))}
          />
          {x.name}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * A draft broadcast's editor: content, sender, UTM, audience with its live recipient count and
 * who is left out and why, and when to send. Saving and scheduling go through the server actions
 * (which check the role and every field again); the count through the audience route.
 */
export function BroadcastEditor(props: {
  workspace: string;
  broadcastId: string;
  draft: EditorDraft;
  pickers: BroadcastPickers;
  identity: { fromName: string | null; fromEmail: string | null; replyTo: string | null };
  canSend: boolean;
  timeZone: string;
}) {
  const router = useRouter();
  const [d, setD] = useState<EditorDraft>(props.draft);
  const [when, setWhen] = useState<"now" | "at">("now");
  const [at, setAt] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string; warnings?: string[] } | null>(null);
  const [summary, setSummary] = useState<{ of?: string; value?: Summary; error?: string }>({});
  const set = <K extends keyof EditorDraft>(k: K, v: EditorDraft[K]) => setD((x) => ({ ...x, [k]: v }));
  const audience = d.audience ?? emptyAudience;
  const setAudience = (a: Partial<Audience>) => set("audience", { ...audience, ...a });
  const template = props.pickers.templates.find((t) => t.id === d.templateId);
  const key = JSON.stringify({ audience: d.audience, templateId: d.templateId });

  // The live count: a plain request (lib/server/auth/action `actionRoute`); a newer audience aborts the one in flight.
  useEffect(() => {
    const abort = new AbortController();
    const run = async () => {
      const r = await postAction<typeof previewAudienceAction>(
        `/w/${props.workspace}/broadcasts/preview`,
        { workspace: props.workspace, audience: d.audience ?? emptyAudience, templateId: d.templateId ?? "" },
        abort.signal,
      );
      if (!r) return;
      if (r.ok && r.data) setSummary({ of: key, value: r.data });
      else setSummary({ of: key, error: r.message ?? "Could not count" });
    };
    const t = setTimeout(() => void run(), 350);
    return () => {
      clearTimeout(t);
      abort.abort();
    };
  }, [key, d.audience, d.templateId, props.workspace]);

  const save = async () => {
    const r = await callAction(saveBroadcastAction, { workspace: props.workspace, broadcastId: props.broadcastId, draft: d });
    setOutcome({ ok: r.ok, message: r.message ?? (r.ok ? "Draft saved" : "Not saved"), warnings: r.ok ? r.data?.warnings : undefined });
    notify(r.ok ? "success" : "error", r.message ?? (r.ok ? "Draft saved" : "Not saved"));
    return r.ok;
  };

  const onSave = async () => {
    setBusy(true);
    await save();
    setBusy(false);
  };

  const onSchedule = async () => {
    setBusy(true);
    if (await save()) {
      const sendAt = when === "at" && at ? new Date(at).toISOString() : when === "at" ? "invalid" : "";
      const r = await callAction(scheduleBroadcastAction, { workspace: props.workspace, broadcastId: props.broadcastId, sendAt });
      setOutcome({ ok: r.ok, message: r.message ?? (r.ok ? "Scheduled" : "Not scheduled") });
      notify(r.ok ? "success" : "error", r.message ?? (r.ok ? "Scheduled" : "Not scheduled"));
      if (r.ok) router.refresh();
    }
    setBusy(false);
  };

  const utm = d.utm;
  const pending = summary.of !== key;
  return (
    <div className="mt-4 grid gap-6 lg:grid-cols-[1fr_20rem]" data-testid="broadcast-editor">
      <fieldset disabled={busy} className="space-y-6">
        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold">Content</h2>
          <label className={label}>
            Name
            <input value={d.name} onChange={(e) => set("name", e.target.value)} maxLength={200} className={input} />
          </label>
          <label className={label}>
            Template
            <select value={d.templateId ?? ""} onChange={(e) => set("templateId", e.target.value || null)} className={input}>
              <option value="">Choose a template</option>
              {props.pickers.templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.class}{t.topic ? `, topic ${t.topic}` : ""})
                </option>
              ))}
            </select>
          </label>
          <label className={label}>
            Subject
            <input value={d.subject ?? ""} onChange={(e) => set("subject", e.target.value || null)} maxLength={500} className={input} placeholder={template?.subject ?? "the template's subject"} />
          </label>
          <label className={label}>
            Preheader
            <input value={d.preheader ?? ""} onChange={(e) => set("preheader", e.target.value || null)} maxLength={300} className={input} placeholder={template?.preheader || "the template's preheader"} />
          </label>
          <p className="text-xs text-slate-500">Leave the subject or preheader empty to use the template&apos;s. Merge tags work here as in templates: {"{{ contact.first_name | default: \"there\" }}"}.</p>
        </section>

        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold">Sender</h2>
          <div className="grid grid-cols-2 gap-4">
            <label className={label}>
              From name
              <input value={d.fromName ?? ""} onChange={(e) => set("fromName", e.target.value || null)} className={input} placeholder={props.identity.fromName ?? ""} />
            </label>
            <label className={label}>
              From address
              <input type="email" value={d.fromEmail ?? ""} onChange={(e) => set("fromEmail", e.target.value || null)} className={input} placeholder={props.identity.fromEmail ?? ""} />
            </label>
          </div>
          <label className={label}>
            Reply-to address
            <input type="email" value={d.replyTo ?? ""} onChange={(e) => set("replyTo", e.target.value || null)} className={input} placeholder={props.identity.replyTo ?? ""} />
          </label>
          <p className="text-xs text-slate-500">Empty fields use the workspace&apos;s sending identity (Settings → Sending).</p>
        </section>

        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold">UTM parameters</h2>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={utm !== null} onChange={(e) => set("utm", e.target.checked ? { off: false } : null)} />
            Own UTM parameters (otherwise the workspace&apos;s tracking settings, campaign = the broadcast&apos;s name)
          </label>
          {utm ? (
            <>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={utm.off} onChange={(e) => set("utm", { ...utm, off: e.target.checked })} />
                No UTM parameters
              </label>
              {!utm.off ? (
                <div className="grid grid-cols-2 gap-3">
                  {(["campaign", "source", "medium", "content"] as const).map((k) => (
                    <label key={k} className={label}>
                      utm_{k}
                      <input value={utm[k] ?? ""} onChange={(e) => set("utm", { ...utm, [k]: e.target.value || null })} className={input} />
                    </label>
                  ))}
                </div>
              ) : null}
            </>
          ) : null}
        </section>

        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="audience-heading">
          <h2 id="audience-heading" className="text-base font-semibold">Audience</h2>
          <fieldset className="space-y-1 text-sm">
            <legend className="sr-only">Who it goes to</legend>
            <label className="flex items-center gap-2">
              <input type="radio" name="audience-mode" checked={audience.everyone} onChange={() => setAudience({ everyone: true, segmentIds: [], topicIds: [] })} />
              Everyone subscribed to marketing
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="audience-mode" checked={!audience.everyone} onChange={() => setAudience({ everyone: false })} />
              Members of segments and/or subscribers of topics
            </label>
          </fieldset>
          {!audience.everyone ? (
            <div className="grid gap-4 sm:grid-cols-2">
              <CheckList legend="Segments" none="No segments yet." items={props.pickers.segments} chosen={audience.segmentIds} onChange={(segmentIds) => setAudience({ segmentIds })} />
              <CheckList legend="Topics" none="No topics yet." items={props.pickers.topics} chosen={audience.topicIds} onChange={(topicIds) => setAudience({ topicIds })} />
            </div>
          ) : null}
          <CheckList
            legend="Leave out members of"
            none="No segments yet."
            items={props.pickers.segments}
            chosen={audience.excludeSegmentIds}
            onChange={(excludeSegmentIds) => setAudience({ excludeSegmentIds })}
            labelOf={(name) => `Exclude ${name}`}
          />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={d.bypassCaps} onChange={(e) => set("bypassCaps", e.target.checked)} />
            Bypass frequency caps and quiet hours (consent and suppression still apply)
          </label>
        </section>

        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold">When</h2>
          <fieldset className="space-y-1 text-sm">
            <legend className="sr-only">When to send</legend>
            <label className="flex items-center gap-2">
              <input type="radio" name="when" checked={when === "now"} onChange={() => setWhen("now")} />
              Send now
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="when" checked={when === "at"} onChange={() => setWhen("at")} />
              At a time
            </label>
          </fieldset>
          {when === "at" ? (
            <label className={label}>
              Send at (your browser&apos;s time; the workspace is on {props.timeZone})
              <input type="datetime-local" step={1} value={at} onChange={(e) => setAt(e.target.value)} className={`${input} max-w-xs`} />
            </label>
          ) : null}
          <div className="flex gap-3">
            <button type="button" className={secondaryButton} onClick={() => void onSave()}>
              Save draft
            </button>
            {props.canSend ? (
              <button type="button" className={button} onClick={() => void onSchedule()}>
                {when === "now" ? "Send now" : "Schedule"}
              </button>
            ) : null}
          </div>
          {outcome ? (
            <div data-testid="broadcast-outcome">
              <p role={outcome.ok ? "status" : "alert"} className={`text-sm ${outcome.ok ? "text-emerald-700" : "text-red-700"}`}>
                {outcome.message}
              </p>
              {outcome.warnings?.length ? (
                <ul className="mt-1 list-disc pl-5 text-xs text-amber-800" data-testid="tag-warnings">
                  {outcome.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          ) : null}
        </section>
      </fieldset>

      <aside className="h-fit rounded-lg border border-slate-200 bg-white p-4 text-sm" aria-live="polite">
        <h2 className="text-base font-semibold">Recipients</h2>
        {summary.error && !pending ? <p role="alert" className="mt-2 text-red-700">{summary.error}</p> : null}
        <p className="mt-2">
          <span data-testid="audience-count" className="text-2xl font-semibold">
            {pending || !summary.value ? "…" : summary.value.eligible.toLocaleString("en")}
          </span>{" "}
          get it now, after consent, suppression and topic rules
        </p>
        {summary.value && !pending ? (
          <>
            <p className="mt-1 text-slate-600">{summary.value.inAudience.toLocaleString("en")} in the chosen audience</p>
            <h3 className="mt-3 font-medium">Left out</h3>
            <ul data-testid="left-out" className="mt-1 space-y-0.5">
              {Object.entries(summary.value.leftOut)
                .filter(([, n]) => n > 0)
                .map(([reason, n]) => (
                  <li key={reason} data-testid={`left-out-${reason}`}>
                    {n.toLocaleString("en")} — {LEFT_OUT_LABELS[reason as keyof typeof LEFT_OUT_LABELS] ?? reason}
                  </li>
                ))}
              {Object.values(summary.value.leftOut).every((n) => n === 0) ? <li className="text-slate-500">Nobody</li> : null}
            </ul>
            {summary.value.noPostalAddress > 0 ? (
              <p role="alert" className="mt-2 text-amber-800">
                {summary.value.noPostalAddress.toLocaleString("en")} more would get it once the workspace has a postal address (Settings → Sending): marketing mail is not sent without one.
              </p>
            ) : null}
            <p className="mt-3 text-xs text-slate-500">Counted again, one by one, when each message is handed off.</p>
          </>
        ) : null}
      </aside>
    </div>
  );
}
