"use client";

import { memo, startTransition, useActionState, useEffect, useRef, useState } from "react";
import type { ActionData, ActionState, FormAction } from "@/lib/server/auth/action";
import { button, input, label, secondaryButton } from "@/app/_components/styles";
import { useBrowserValue } from "@/app/_components/browser-value";
import { postAction } from "@/app/_components/post-form";
import { DropdownMenu } from "@/app/_components/ui/dropdown-menu";
import { Tabs } from "@/app/_components/ui/tabs";
import type { previewTemplateAction } from "./actions";

// Memoised so the editor's re-render on every keystroke never rewrites these inputs: what the
// form posts is what is in the DOM, and the server checks it (workspace membership, ownership).
const HiddenFields = memo(function HiddenFields(props: { workspace: string; templateId: string }) {
  return (
    <>
      <input type="hidden" name="workspace" defaultValue={props.workspace} />
      <input type="hidden" name="templateId" defaultValue={props.templateId} />
    </>
  );
});

export type EditorTemplate = {
  id: string | null;
  name: string;
  class: "marketing" | "transactional";
  topic: string;
  subject: string;
  preheader: string;
  markup: string;
};

export type MergeTag = { tag: string; label: string };

/**
 * The template editor: subject, preheader and body (a small Markdown-like markup) with a merge-tag
 * menu, a live preview rendered on the server for a contact you pick, unknown-tag warnings, save
 * and a test send to yourself.
 */
export function TemplateEditor(props: {
  workspace: string;
  template: EditorTemplate;
  contacts: { id: string; label: string }[];
  mergeTags: MergeTag[];
  editable: boolean;
  selfEmail: string;
  save: FormAction;
  testSend: FormAction;
  /** Archived: no test sends until it is unarchived. */
  archived?: boolean;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const [focus, setFocus] = useState<"subject" | "preheader" | "markup">("markup");
  const [saveState, saveAction, saving] = useActionState(props.save, undefined);
  const [testState, testAction, testing] = useActionState(props.testSend, undefined);
  // "Send test" is a script button: enabled once the page has hydrated, so an early click is never lost.
  const hydrated = useBrowserValue(() => true, false);
  const [previewState, setPreview] = useState<ActionState<ActionData<typeof previewTemplateAction>> | undefined>(undefined);
  const [view, setView] = useState<"html" | "text">("html");
  const [tick, setTick] = useState(0);

  // Live preview: re-render on the server shortly after typing stops. A plain request, not a
  // server action (see lib/auth/action `actionRoute`); a newer edit aborts the one in flight.
  useEffect(() => {
    const abort = new AbortController();
    const render = async () => {
      if (!formRef.current) return;
      const answer = await postAction<typeof previewTemplateAction>(`/w/${props.workspace}/templates/preview`, new FormData(formRef.current), abort.signal);
      if (answer) setPreview(answer);
    };
    const t = setTimeout(() => void render(), 350);
    return () => {
      clearTimeout(t);
      abort.abort();
    };
  }, [tick, props.workspace]);

  const insertTag = (tag: string) => {
    const form = formRef.current;
    if (!form) return;
    const el = form.elements.namedItem(focus) as HTMLInputElement | HTMLTextAreaElement | null;
    if (!el) return;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    el.value = `${el.value.slice(0, start)}${tag}${el.value.slice(end)}`;
    el.focus();
    el.setSelectionRange(start + tag.length, start + tag.length);
    setTick((n) => n + 1);
  };

  const submitWith = (action: (fd: FormData) => void, e: React.MouseEvent) => {
    e.preventDefault();
    if (!formRef.current) return;
    const data = new FormData(formRef.current);
    startTransition(() => action(data));
  };

  const warnings = (previewState?.ok && previewState.data?.warnings) || [];
  const fieldError = (f: string) => saveState?.fieldErrors?.[f] ?? (previewState && !previewState.ok ? previewState.fieldErrors?.[f] : undefined);
  const t = props.template;
  // What each preview tab shows: unknown-tag warnings, a render error, then the subject and `body`.
  const preview = (body: React.ReactNode) => (
    <div className="space-y-3">
      {warnings.length > 0 ? (
        <ul data-testid="merge-tag-warnings" className="space-y-1 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {warnings.map((w) => (
            <li key={w}>⚠ {w}</li>
          ))}
        </ul>
      ) : null}
      {previewState && !previewState.ok ? <p role="alert" className="text-sm text-red-700">{previewState.message}</p> : null}
      {previewState?.ok && previewState.data ? (
        <div className="rounded-lg border border-slate-200 bg-white">
          <div className="border-b border-slate-200 px-4 py-2 text-sm">
            <span className="text-slate-500">Subject: </span>
            <strong data-testid="preview-subject">{previewState.data.subject}</strong>
          </div>
          {body}
        </div>
      ) : (
        <p className="text-sm text-slate-500">Rendering the preview…</p>
      )}
    </div>
  );

  return (
    <form ref={formRef} data-testid="template-form" onChange={() => setTick((n) => n + 1)} onSubmit={(e) => e.preventDefault()} className="grid gap-6 lg:grid-cols-2">
      <HiddenFields workspace={props.workspace} templateId={t.id ?? ""} />
      <fieldset disabled={!props.editable || saving} className="space-y-4">
        <div className="grid grid-cols-2 gap-4">
          <div>
            <label htmlFor="name" className={label}>Name</label>
            <input id="name" name="name" defaultValue={t.name} required className={input} placeholder="Welcome email" />
          </div>
          <div>
            <label htmlFor="class" className={label}>Kind</label>
            <select id="class" name="class" defaultValue={t.class} className={input}>
              <option value="marketing">Marketing (needs consent, carries unsubscribe)</option>
              <option value="transactional">Transactional (receipts, account mail)</option>
            </select>
          </div>
        </div>
        <div>
          <label htmlFor="topic" className={label}>Topic key (optional)</label>
          <input id="topic" name="topic" defaultValue={t.topic} className={input} placeholder="newsletter" />
        </div>
        <div>
          <label htmlFor="subject" className={label}>Subject</label>
          <input id="subject" name="subject" defaultValue={t.subject} required className={input} onFocus={() => setFocus("subject")} />
          {fieldError("subject") ? <p className="mt-1 text-xs text-red-700">{fieldError("subject")}</p> : null}
        </div>
        <div>
          <label htmlFor="preheader" className={label}>Preheader</label>
          <input id="preheader" name="preheader" defaultValue={t.preheader} className={input} onFocus={() => setFocus("preheader")} placeholder="The line inboxes show after the subject" />
        </div>
        <div>
          <div className="flex items-end justify-between">
            <label htmlFor="markup" className={label}>Body</label>
            <DropdownMenu
              label="Insert merge tag"
              testId="merge-tag-menu"
              keepFocus
              items={props.mergeTags.map((m) => ({
                key: m.tag,
                onSelect: () => insertTag(m.tag),
                content: (
                  <>
                    <span className="block">{m.label}</span>
                    <code className="text-xs text-slate-500">{m.tag}</code>
                  </>
                ),
              }))}
            />
          </div>
          <textarea
            ref={bodyRef}
            id="markup"
            name="markup"
            rows={16}
            defaultValue={t.markup}
            onFocus={() => setFocus("markup")}
            className={`${input} font-mono`}
          />
          <p className="mt-1 text-xs text-slate-500">
            <code># Heading</code>, blank line between paragraphs, <code>**bold**</code>, <code>[link](https://…)</code>, <code>[button: Shop now](https://…)</code>, <code>---</code>.
            Marketing mail always ends with your postal address and an unsubscribe link.
          </p>
          {fieldError("markup") ? <p className="mt-1 text-xs text-red-700">{fieldError("markup")}</p> : null}
        </div>
        {props.editable ? (
          <div className="flex items-center gap-3">
            <button type="button" className={button} onClick={(e) => submitWith(saveAction, e)}>
              {t.id ? "Save template" : "Create template"}
            </button>
          </div>
        ) : (
          <p className="rounded-md bg-slate-100 p-3 text-sm text-slate-600">Viewers can preview templates but not change them.</p>
        )}
        {saveState && !saveState.ok ? <p role="alert" className="text-sm text-red-700">{saveState.message}</p> : null}
        {saveState?.ok ? <p role="status" className="text-sm text-emerald-700">{saveState.message}</p> : null}
      </fieldset>

      <section className="space-y-3" aria-label="Preview">
        <Tabs
          label="Format shown"
          value={view}
          onValueChange={setView}
          aside={
            <div className="min-w-56 flex-1">
              <label htmlFor="contactId" className={label}>Preview for</label>
              <select id="contactId" name="contactId" className={input} defaultValue={props.contacts[0]?.id ?? ""}>
                <option value="">A sample person (Sam Sample)</option>
                {props.contacts.map((c) => (
                  <option key={c.id} value={c.id}>{c.label}</option>
                ))}
              </select>
            </div>
          }
          tabs={[
            { value: "html", label: "HTML", panel: preview(previewState?.ok && previewState.data ? <iframe title="Email preview" data-testid="preview-frame" sandbox="" srcDoc={previewState.data.html} className="h-[560px] w-full" /> : null) },
            { value: "text", label: "Plain text", panel: preview(previewState?.ok && previewState.data ? <pre data-testid="preview-text" className="max-h-[560px] overflow-auto whitespace-pre-wrap p-4 text-sm">{previewState.data.text}</pre> : null) },
          ]}
        />
        {props.editable && props.archived ? (
          <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600" data-testid="test-send">
            This template is archived: unarchive it to send tests.
          </p>
        ) : props.editable ? (
          <div className="rounded-lg border border-slate-200 bg-white p-4" data-testid="test-send">
            <label htmlFor="testTo" className={label}>Send a test to</label>
            <div className="mt-1 flex gap-2">
              <input id="testTo" name="testTo" defaultValue={props.selfEmail} className={input} />
              <button type="button" className={secondaryButton} disabled={!hydrated || testing} onClick={(e) => submitWith(testAction, e)}>
                Send test
              </button>
            </div>
            {testState && !testState.ok ? <p role="alert" className="mt-2 text-sm text-red-700">{testState.message}</p> : null}
            {testState?.ok ? <p role="status" className="mt-2 text-sm text-emerald-700">{testState.message}</p> : null}
          </div>
        ) : null}
      </section>
    </form>
  );
}
