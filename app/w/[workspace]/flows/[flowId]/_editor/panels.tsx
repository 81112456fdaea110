"use client";

import { useMemo, useState } from "react";
import { isTriggerKind } from "@/lib/flows/catalog";
import type { CompileError, CompileResult } from "@/lib/flows/compile";
import { parseDuration } from "@/lib/flows/duration";
import type { EditorGraph, GraphDiff } from "@/lib/flows/editor/graph-ops";
import { suggestMigration, type MigrationMap } from "@/lib/flows/editor/migration";
import type { FlowGraph } from "@/lib/flows/graph";
import { simulate, type SimResult } from "@/lib/flows/simulate";
import { dryRunFactsSchema, planNeeds, simInputs } from "@/lib/dry-run/facts";
import { publishFlowAction, restoreVersionAction } from "@/app/w/[workspace]/flows/actions";
import { callAction } from "@/app/_components/call-action";
import type { EditorProps } from "./types";

const small = "rounded border border-slate-300 px-2 py-1 text-xs";

export function PublishDialog(p: { props: EditorProps; draft: EditorGraph; revision: () => number; onClose: (message?: string) => void }) {
  const current = p.props.versions.find((v) => v.id === p.props.flow.currentVersionId) ?? null;
  const waiting = p.props.waitingInCurrent.filter((w) => w.count > 0);
  const [map, setMap] = useState<MigrationMap>(() => (current?.graph ? suggestMigration(waiting, current.graph, p.draft) : {}));
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const targets = p.draft.nodes.filter((n) => !isTriggerKind(n.kind));
  const oldNode = (id: string) => current?.graph?.nodes.find((n) => n.id === id);
  const publish = async () => {
    setBusy(true);
    const r = await callAction(publishFlowAction, { workspace: p.props.workspace, flowId: p.props.flow.id, revision: p.revision(), note, migration: map });
    setBusy(false);
    if (r.ok) p.onClose(r.message);
    else setError(r.message ?? "Publishing failed");
  };
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/30" role="dialog" aria-modal="true" aria-label="Publish" data-testid="publish-dialog">
      <div className="max-h-[85vh] w-[560px] overflow-y-auto rounded-lg bg-white p-4 shadow-xl">
        <h2 className="text-lg font-semibold">Publish version {(p.props.versions[0]?.number ?? 0) + 1}</h2>
        <p className="text-sm text-slate-600">
          New contacts enter the new version. Published versions never change: each sends its templates as they are when it is published, and
          later edits to a template reach the flow when it is published again. You can restore a version to the draft later.
        </p>
        <label className="mt-3 block text-sm font-medium">
          Note
          <textarea className="mt-1 block w-full rounded border border-slate-300 p-2 text-sm" rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} placeholder="What changed and why" />
        </label>
        {waiting.length > 0 ? (
          <section className="mt-3" data-testid="migration-map">
            <h3 className="text-sm font-semibold">Contacts waiting in version {current?.number}</h3>
            <p className="text-xs text-slate-600">For each node where contacts wait now, choose where they continue in the new version (they start that node afresh), or let them finish on the old version.</p>
            <table className="mt-2 w-full text-xs">
              <thead>
                <tr className="text-left text-slate-500">
                  <th className="py-1">Waiting at</th>
                  <th>Contacts</th>
                  <th>Continue at</th>
                </tr>
              </thead>
              <tbody>
                {waiting.map((w) => (
                  <tr key={w.nodeId} className="border-t border-slate-100" data-testid={`migrate-${w.nodeId}`}>
                    <td className="py-1">
                      <b>{oldNode(w.nodeId)?.label ?? w.nodeId}</b> <span className="text-slate-500">({w.nodeId})</span>
                    </td>
                    <td className="tabular-nums">{w.count}</td>
                    <td>
                      <select
                        aria-label={`Where contacts waiting at ${w.nodeId} continue`}
                        className={small}
                        value={map[w.nodeId] ?? ""}
                        onChange={(e) => setMap({ ...map, [w.nodeId]: e.target.value || null })}
                      >
                        <option value="">Finish on version {current?.number}</option>
                        {targets.map((n) => (
                          <option key={n.id} value={n.id}>
                            {n.label ? `${n.label} (${n.id})` : n.id}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        {error ? <p role="alert" className="mt-2 text-sm text-red-700">{error}</p> : null}
        <div className="mt-4 flex justify-end gap-2">
          <button type="button" className={small} onClick={() => p.onClose()}>Cancel</button>
          <button type="button" disabled={busy} className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50" onClick={() => void publish()}>
            {busy ? "Publishing…" : "Publish now"}
          </button>
        </div>
      </div>
    </div>
  );
}

export function VersionsPanel(p: { props: EditorProps; draft: EditorGraph; readOnly: boolean; onDiff: (g: FlowGraph | null) => GraphDiff | void; onRestored: () => void }) {
  const [diffing, setDiffing] = useState<{ id: string; diff: GraphDiff } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const restore = async (v: { id: string; number: number }) => {
    if (!window.confirm(`Replace the draft with version ${v.number}? The current draft is lost unless published.`)) return;
    const r = await callAction(restoreVersionAction, { workspace: p.props.workspace, flowId: p.props.flow.id, versionId: v.id });
    if (r.ok) p.onRestored();
    else setMessage(r.message ?? "Restore failed");
  };
  if (p.props.versions.length === 0) return <p className="text-xs text-slate-600">No versions yet: publish the draft to make version 1.</p>;
  return (
    <div className="space-y-2 text-xs" data-testid="versions">
      {message ? <p role="alert" className="text-red-700">{message}</p> : null}
      {p.props.versions.map((v) => (
        <div key={v.id} className={`rounded border p-2 ${diffing?.id === v.id ? "border-brand-500" : "border-slate-200"}`}>
          <p className="font-semibold">
            Version {v.number} {v.id === p.props.flow.currentVersionId ? <span className="text-emerald-700">(current)</span> : null}
          </p>
          <p className="text-slate-500">
            {new Date(v.publishedAt).toLocaleString()}
            {v.publishedBy ? ` by ${v.publishedBy}` : ""}
          </p>
          {v.note ? <p className="italic">“{v.note}”</p> : null}
          <div className="mt-1 flex gap-3">
            {v.graph ? (
              <button
                type="button"
                className="text-brand-700 hover:underline"
                onClick={() => {
                  if (diffing?.id === v.id) {
                    setDiffing(null);
                    p.onDiff(null);
                  } else {
                    const d = p.onDiff(v.graph);
                    if (d) setDiffing({ id: v.id, diff: d });
                  }
                }}
              >
                {diffing?.id === v.id ? "Hide changes" : "Compare with draft"}
              </button>
            ) : null}
            {p.readOnly ? null : (
              <button
                type="button"
                className="text-brand-700 hover:underline"
                onClick={() => void restore(v)}
              >
                Restore to draft
              </button>
            )}
          </div>
          {diffing?.id === v.id ? (
            <div className="mt-1" data-testid="version-diff">
              <p>
                <span className="text-emerald-700">{diffing.diff.added.length} added</span> · <span className="text-amber-700">{diffing.diff.changed.length} changed</span> ·{" "}
                <span className="text-red-700">{diffing.diff.removed.length} removed</span> in the draft
              </p>
              {diffing.diff.removed.length > 0 ? <p className="text-red-700">Removed: {diffing.diff.removed.join(", ")}</p> : null}
            </div>
          ) : null}
        </div>
      ))}
    </div>
  );
}

/** compile()'s problems; a problem on a node jumps to it. */
export function ProblemsList(p: { problems: CompileError[]; onJump: (nodeId: string) => void }) {
  return (
    <div data-testid="problems">
      {p.problems.length === 0 ? (
        <p className="text-sm text-emerald-700">No problems: the draft can be published.</p>
      ) : (
        <ul className="space-y-1">
          {p.problems.map((problem, i) => (
            <li key={i}>
              {problem.nodeId ? (
                <button type="button" className="text-left text-xs text-red-800 hover:underline" onClick={() => p.onJump(problem.nodeId!)}>
                  <span className="font-semibold">{problem.nodeId}</span>: {problem.message}
                </button>
              ) : (
                <span className="text-xs text-red-800">{problem.message}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type DryEvent = { name: string; after: string; properties: string };

export function DryRunPanel(p: { props: EditorProps; compiled: CompileResult; onPath: (ids: string[]) => void; onJump: (id: string) => void }) {
  const [contactId, setContactId] = useState<string>(p.props.contacts[0]?.id ?? "");
  const [madeUp, setMadeUp] = useState('{ "first_name": "Jane", "plan": "pro" }');
  const [tags, setTags] = useState("");
  const [trigger, setTrigger] = useState("{}");
  const [events, setEvents] = useState<DryEvent[]>([]);
  const [result, setResult] = useState<SimResult | { error: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const templates = useMemo(() => new Map(p.props.pickers.templates.map((t) => [t.id, t.name])), [p.props.pickers.templates]);

  const run = async () => {
    if (!p.compiled.ok) return setResult({ error: "Fix the problems first: a dry run walks the compiled draft." });
    const plan = p.compiled.plan;
    try {
      const real = p.props.contacts.find((c) => c.id === contactId);
      // A real contact: their whole state as the runner would read it now (consent, topics, the
      // sending policy, segments, past events, opens and clicks), from the server.
      const facts = real ? await loadFacts(p.props.workspace, p.props.flow.id, real.id, plan) : null;
      const start = facts?.at ?? Date.now();
      const inputs = facts
        ? simInputs(facts)
        : {
            contact: { id: "dry-run-contact", attributes: JSON.parse(madeUp) as Record<string, unknown>, tags: tags.split(",").map((t) => t.trim()).filter(Boolean), timeZone: p.props.timeZone },
            events: [],
            options: { defaultTimeZone: p.props.timeZone },
          };
      const simEvents = events.map((e, i) => {
        const ms = parseDuration(e.after);
        if (ms === null) throw new Error(`event ${i + 1}: “${e.after}” is not a duration`);
        return { name: e.name, at: start + ms, properties: e.properties.trim() ? (JSON.parse(e.properties) as Record<string, unknown>) : {} };
      });
      const triggerText = trigger.trim();
      const r = simulate(plan, inputs.contact, [...inputs.events, ...simEvents], { start, until: start + 400 * 86_400_000 }, {
        ...inputs.options,
        ...(triggerText && triggerText !== "{}" ? { trigger: JSON.parse(triggerText) as Record<string, unknown> } : {}),
      });
      setResult(r);
      p.onPath(r.steps.map((s) => s.nodeId));
    } catch (err) {
      setResult({ error: err instanceof Error ? err.message : "The dry run failed" });
    }
  };

  return (
    <div className="space-y-2 text-xs" data-testid="dry-run">
      <p className="text-slate-600">
        Walks the draft for one contact with time fast-forwarded. Nothing is sent. A real contact is checked as the runner would check them now: segments,
        past events, opens and clicks, consent and topics, and the sending policy (frequency cap, quiet hours).
      </p>
      <label className="block font-medium">
        Contact
        <select className={`${small} mt-0.5 block w-full`} value={contactId} onChange={(e) => setContactId(e.target.value)}>
          <option value="">A made-up contact</option>
          {p.props.contacts.map((c) => (
            <option key={c.id} value={c.id}>
              {c.firstName ? `${c.firstName} <${c.email}>` : c.email}
            </option>
          ))}
        </select>
      </label>
      {contactId === "" ? (
        <>
          <label className="block font-medium">
            Attributes (JSON)
            <textarea className={`${small} mt-0.5 block w-full font-mono`} rows={2} value={madeUp} onChange={(e) => setMadeUp(e.target.value)} />
          </label>
          <label className="block font-medium">
            Tags (comma-separated)
            <input className={`${small} mt-0.5 block w-full`} value={tags} onChange={(e) => setTags(e.target.value)} />
          </label>
        </>
      ) : null}
      <label className="block font-medium">
        Trigger data (JSON)
        <input className={`${small} mt-0.5 block w-full font-mono`} value={trigger} onChange={(e) => setTrigger(e.target.value)} placeholder='{ "cartId": "c-1" }' />
      </label>
      <fieldset className="rounded border border-slate-200 p-2">
        <legend className="px-1 font-semibold">Events during the run</legend>
        {events.map((e, i) => (
          <div key={i} className="mb-1 grid grid-cols-[1fr_70px] gap-1">
            <input aria-label={`Event ${i + 1} name`} className={small} list="picker-events" value={e.name} placeholder="Order Completed" onChange={(x) => setEvents(events.map((v, j) => (j === i ? { ...v, name: x.target.value } : v)))} />
            <input aria-label={`Event ${i + 1} after`} className={small} value={e.after} placeholder="2 hours" onChange={(x) => setEvents(events.map((v, j) => (j === i ? { ...v, after: x.target.value } : v)))} />
            <input aria-label={`Event ${i + 1} properties`} className={`${small} col-span-2 font-mono`} value={e.properties} placeholder='{ "cartId": "c-1" }' onChange={(x) => setEvents(events.map((v, j) => (j === i ? { ...v, properties: x.target.value } : v)))} />
          </div>
        ))}
        <button type="button" className="text-brand-700 hover:underline" onClick={() => setEvents([...events, { name: "", after: "1 hour", properties: "" }])}>
          Add an event
        </button>
      </fieldset>
      <button
        type="button"
        disabled={busy}
        className="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white disabled:opacity-50"
        onClick={() => {
          setBusy(true);
          void run().finally(() => setBusy(false));
        }}
      >
        {busy ? "Running…" : "Run dry run"}
      </button>
      {result && "error" in result ? <p role="alert" className="text-red-700">{result.error}</p> : null}
      {result && "steps" in result ? (
        <ol className="space-y-1" data-testid="dry-run-timeline">
          {result.steps.map((s, i) => (
            <li key={i} className={s.kind === "send-email" ? (s.outcome === "sent" ? "rounded bg-emerald-50 p-1" : "rounded bg-amber-50 p-1") : ""} data-outcome={s.outcome}>
              <button type="button" className="font-semibold hover:underline" onClick={() => p.onJump(s.nodeId)}>
                {s.nodeId}
              </button>{" "}
              <span className="font-mono text-slate-500">{new Date(s.at).toLocaleString()}</span>
              <span className="block">
                {s.kind === "send-email" && s.outcome === "sent" ? `Would send “${templates.get(String(p.compiled.ok ? (p.compiled.plan.nodes[s.nodeId]?.config as { templateId?: string }).templateId : "")) ?? "a template"}”. ` : ""}
                {s.detail}
              </span>
            </li>
          ))}
          <li className="text-slate-600">Ends ({result.endedBy}) at {new Date(result.endedAt).toLocaleString()}.</li>
        </ol>
      ) : null}
    </div>
  );
}

/** The contact's state for a dry run of `plan`, from the dry-run route, validated. */
async function loadFacts(workspace: string, flowId: string, contactId: string, plan: Parameters<typeof planNeeds>[0]) {
  const needs = planNeeds(plan);
  const q = new URLSearchParams({ contact: contactId });
  for (const t of needs.templates) q.append("template", t);
  for (const e of needs.events) q.append("event", e);
  for (const s of needs.segments) q.append("segment", s);
  const res = await fetch(`/w/${encodeURIComponent(workspace)}/flows/${encodeURIComponent(flowId)}/dry-run?${q.toString()}`, { cache: "no-store" });
  if (res.status === 404) throw new Error("That contact is not in this workspace any more.");
  if (!res.ok) {
    // The route names what it refused ({ error: { message, field } }); say so rather than a bare status.
    const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
    const why = typeof body?.error?.message === "string" ? `: ${body.error.message}` : "";
    throw new Error(`Could not read the contact (${res.status})${why}.`);
  }
  const parsed = dryRunFactsSchema.safeParse(await res.json());
  if (!parsed.success) throw new Error("The contact's data could not be read.");
  return parsed.data;
}
