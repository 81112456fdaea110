"use client";

import Link from "next/link";
import { useStore } from "zustand";
import { isNodeKind, nodeCatalog } from "@/lib/flows/catalog";
import type { EditorStore } from "@/lib/flows/editor/store";
import { ConfigForm } from "./config-form";
import { changedTemplateOf } from "./flow-node";
import type { EditorProps } from "./types";

/**
 * The side panel's "Node" tab: the selected node's label and config form, its problems, and on
 * a published flow its live counters, who waits there, and one contact's trace. "Flow" when no
 * single node is selected.
 */

export function NodePanel(p: {
  store: EditorStore;
  nodeId: string;
  props: EditorProps;
  readOnly: boolean;
  sendNodes: string[];
  errors: string[];
  pathname: string;
}) {
  // The node's data only: it keeps its identity while the node is dragged, so the panel stays still.
  const data = useStore(p.store, (s) => s.nodes.find((n) => n.id === p.nodeId)?.data);
  if (!data) return null;
  const node = { id: p.nodeId, data };
  const def = isNodeKind(node.data.kind) ? nodeCatalog[node.data.kind] : null;
  const stats = p.props.stats[node.id];
  const waiting = p.props.waitingList?.nodeId === node.id ? p.props.waitingList.contacts : null;
  const changed = changedTemplateOf(node.data.kind, node.data.config, new Set(p.props.changedTemplates));
  const changedName = changed ? (p.props.pickers.templates.find((t) => t.id === changed)?.name ?? "This template") : null;
  return (
    <div className="space-y-3" data-testid="node-panel">
      <div>
        <p className="text-xs text-slate-500">
          {def?.label ?? node.data.kind} · <code>{node.id}</code>
        </p>
        <p className="text-xs text-slate-600">{def?.description}</p>
      </div>
      <label className="block text-xs font-medium text-slate-700">
        Label
        <input
          className="mt-0.5 block w-full rounded border border-slate-300 px-2 py-1 text-xs disabled:bg-slate-50"
          disabled={p.readOnly}
          value={node.data.label ?? ""}
          placeholder={def?.label}
          onChange={(e) => p.store.getState().updateLabel(node.id, e.target.value)}
        />
      </label>
      <ConfigForm
        kind={node.data.kind}
        config={node.data.config}
        onChange={(c) => p.store.getState().updateConfig(node.id, c)}
        pickers={p.props.pickers}
        readOnly={p.readOnly}
        sendNodes={p.sendNodes.filter((id) => id !== node.id)}
      />
      {changed ? (
        <p className="rounded bg-amber-50 p-2 text-xs text-amber-900" data-testid="node-template-changed">
          <b>Template changed since publish.</b> “{changedName}” was edited after this flow was published: the live flow still sends it as
          published. Publish again to send the edited template; contacts already in the flow keep the version they entered with unless the publish moves them.{" "}
          <Link href={`/w/${p.props.workspace}/templates/${changed}`} className="text-brand-700 hover:underline">Open the template</Link>
        </p>
      ) : null}
      {p.errors.length > 0 ? (
        <ul className="rounded bg-red-50 p-2 text-xs text-red-800" data-testid="node-errors">
          {p.errors.map((e, i) => <li key={i}>{e}</li>)}
        </ul>
      ) : null}
      {p.readOnly ? null : (
        <div className="flex gap-2">
          <button type="button" className="text-xs text-brand-700 hover:underline" onClick={() => p.store.getState().duplicateSelected()}>Duplicate</button>
          <button type="button" className="text-xs text-red-700 hover:underline" onClick={() => p.store.getState().deleteSelected()}>Delete</button>
        </div>
      )}
      {p.props.flow.currentVersionId ? (
        <section className="border-t border-slate-100 pt-2 text-xs" data-testid="node-live">
          <h3 className="font-semibold">Live</h3>
          <p className="text-slate-600">
            Entered {stats?.entered ?? 0} · waiting now {stats?.waitingNow ?? 0} · completed {stats?.completed ?? 0} · exited {stats?.exited ?? 0} · converted {stats?.converted ?? 0}
          </p>
          <Link scroll={false} replace href={`${p.pathname}?node=${encodeURIComponent(node.id)}`} className="text-brand-700 hover:underline">
            Who is waiting here?
          </Link>
          {waiting ? (
            waiting.length === 0 ? (
              <p className="text-slate-500">Nobody is at this node now.</p>
            ) : (
              <ul className="mt-1 space-y-0.5" data-testid="waiting-list">
                {waiting.map((w) => (
                  <li key={w.enrollmentId}>
                    <Link scroll={false} replace href={`${p.pathname}?node=${encodeURIComponent(node.id)}&trace=${w.enrollmentId}`} className="text-brand-700 hover:underline">
                      {w.firstName ? `${w.firstName} <${w.email}>` : w.email}
                    </Link>
                    {w.since ? <span className="text-slate-500"> since {new Date(w.since).toLocaleString()}</span> : null}
                  </li>
                ))}
              </ul>
            )
          ) : null}
          {p.props.trace ? <TraceView trace={p.props.trace} /> : null}
        </section>
      ) : null}
    </div>
  );
}

function TraceView({ trace }: { trace: NonNullable<EditorProps["trace"]> }) {
  return (
    <div className="mt-2 rounded bg-slate-50 p-2" data-testid="trace">
      <p className="font-semibold">
        Why {trace.email} is here (v{trace.version}, {trace.status}
        {trace.exitReason ? `: ${trace.exitReason}` : ""})
      </p>
      {Object.keys(trace.trigger).length > 0 ? <p className="truncate text-slate-500">Trigger: {JSON.stringify(trace.trigger)}</p> : null}
      <ol className="mt-1 space-y-1">
        {trace.steps.map((s, i) => (
          <li key={i}>
            <span className="font-mono">{new Date(s.at).toLocaleString()}</span> <b>{s.nodeId}</b> — {s.outcome}
            {s.exit ? ` → ${s.exit}` : ""}
            <span className="block text-slate-500">{s.detail}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function FlowSummary(p: { props: EditorProps; selectedCount: number; problems: number; pathname: string }) {
  const total = Object.values(p.props.stats).reduce((a, s) => a + s.waitingNow, 0);
  return (
    <div className="space-y-2 text-xs text-slate-700" data-testid="flow-summary">
      {p.selectedCount > 1 ? <p>{p.selectedCount} nodes selected: Ctrl+C copies, Ctrl+D duplicates, Delete removes.</p> : <p>Select a node to configure it.</p>}
      <p>{p.problems === 0 ? "The draft compiles." : `${p.problems} problems stand between this draft and publishing.`}</p>
      {p.props.flow.currentVersionId ? <p>{total} contacts are in the flow now.</p> : <p>Not published yet: stats appear once contacts run through a published version.</p>}
      <p className="text-slate-500">Shortcuts: Ctrl+Z / Ctrl+Shift+Z undo and redo, Ctrl+C / Ctrl+V copy and paste, Ctrl+D duplicate, Ctrl+A select all, Shift+L auto-layout, Shift+F fit.</p>
    </div>
  );
}
