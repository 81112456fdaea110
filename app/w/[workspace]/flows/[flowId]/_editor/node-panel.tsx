"use client";

import Link from "next/link";
import { useStore } from "zustand";
import { isNodeKind, nodeCatalog } from "@/lib/flows/catalog";
import type { EditorStore } from "@/lib/flows/editor/store";
import { ActionForm } from "@/app/_components/action-form";
import { setProviderWaitAction } from "@/app/w/[workspace]/flows/actions";
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
          {stats?.failed ? (
            <p className="font-medium text-red-700" data-testid="node-failed">
              {stats.failed} {stats.failed === 1 ? "run" : "runs"} failed here ·{" "}
              <Link href={`/w/${p.props.workspace}/flows/${p.props.flow.id}/failed?node=${encodeURIComponent(node.id)}`} className="underline">
                retry or exit them
              </Link>
            </p>
          ) : null}
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
  const failed = trace.status === "failed";
  return (
    <div className={`mt-2 rounded p-2 ${failed ? "border border-red-200 bg-red-50" : "bg-slate-50"}`} data-testid="trace" data-status={trace.status}>
      <p className="font-semibold">
        Why {trace.email} is here (v{trace.version}, <span className={failed ? "text-red-700" : undefined}>{trace.status}</span>
        {trace.exitReason ? `: ${trace.exitReason}` : ""})
      </p>
      {Object.keys(trace.trigger).length > 0 ? <p className="truncate text-slate-500">Trigger: {JSON.stringify(trace.trigger)}</p> : null}
      <ol className="mt-1 space-y-1">
        {trace.steps.map((s, i) =>
          s.outcome === "failed" ? (
            // A run that failed for good stops here: the step says so, with the reason.
            <li key={i} className="rounded border-l-4 border-red-500 bg-white px-1.5 py-1" data-testid="trace-failed-step">
              <span className="font-mono">{new Date(s.at).toLocaleString()}</span> <b>{s.nodeId}</b> —{" "}
              <span className="rounded bg-red-600 px-1 text-[10px] font-semibold uppercase text-white">failed</span>
              <span className="block text-red-800">{s.detail || trace.exitReason || "no reason recorded"}</span>
            </li>
          ) : (
            <li key={i}>
              <span className="font-mono">{new Date(s.at).toLocaleString()}</span> <b>{s.nodeId}</b> — {s.outcome}
              {s.exit ? ` → ${s.exit}` : ""}
              <span className="block text-slate-500">{s.detail}</span>
            </li>
          ),
        )}
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
      <ProviderWait props={p.props} />
    </div>
  );
}

/**
 * The flow's allowance for mail provider outages (docs/flows.md, "When a run fails"): how long a
 * run waits at a send while Resend rate-limits or is down, before it fails.
 */
function ProviderWait({ props }: { props: EditorProps }) {
  const hours = props.flow.providerWaitHours;
  const help = "While the mail provider rate-limits or is down, a run waits at its send (spending none of its retries); after this long it fails and shows in the failed list.";
  return (
    <section className="border-t border-slate-100 pt-2" data-testid="flow-settings">
      <h3 className="font-semibold">When mail cannot go out</h3>
      {props.canEdit ? (
        <ActionForm action={setProviderWaitAction} workspace={props.workspace} testId="provider-wait-form">
          <input type="hidden" name="flowId" value={props.flow.id} />
          <label htmlFor="provider-wait-hours" className="mt-1 block">
            Wait out mail provider outages for up to
          </label>
          <span className="mt-1 flex items-center gap-1">
            <input
              id="provider-wait-hours"
              type="number"
              name="providerWaitHours"
              min={1}
              max={168}
              step={1}
              defaultValue={hours}
              aria-describedby="provider-wait-help"
              className="w-20 rounded border border-slate-300 px-2 py-1 text-xs"
            />
            hours (1 to 168)
            <button type="submit" className="ml-auto rounded-md border border-slate-300 bg-white px-2 py-1 font-medium hover:bg-slate-50">
              Save
            </button>
          </span>
          <p id="provider-wait-help" className="mt-1 text-slate-500">{help}</p>
        </ActionForm>
      ) : (
        <p className="mt-1">
          Runs wait out mail provider outages for up to {hours} {hours === 1 ? "hour" : "hours"}. {help}
        </p>
      )}
    </section>
  );
}
