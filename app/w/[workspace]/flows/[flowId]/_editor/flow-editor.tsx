"use client";

import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type IsValidConnection,
} from "@xyflow/react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useStore } from "zustand";
import { isNodeKind, nodeCatalog, nodeGroups, nodeKinds } from "@/lib/flows/catalog";
import { compile, type CompileError } from "@/lib/flows/compile";
import { diffGraphs } from "@/lib/flows/editor/graph-ops";
import { createEditorStore, type EditorStore } from "@/lib/flows/editor/store";
import { pauseFlowAction, saveDraftAction } from "@/app/w/[workspace]/flows/actions";
import { ConfigForm } from "./config-form";
import { DecorationsContext, nodeTypes, type Decorations } from "./flow-node";
import { DryRunPanel, PublishDialog, VersionsPanel, callAction } from "./panels";
import type { EditorProps } from "./types";

const AUTOSAVE_MS = 800;
const REFRESH_MS = 4000;
type Tab = "node" | "problems" | "versions" | "dry-run";
type SaveState = { kind: "saved" | "dirty" | "saving" | "error" | "conflict"; message?: string };

export function FlowEditor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor(props: EditorProps) {
  const readOnly = !props.canEdit;
  const [store] = useState<EditorStore>(() => createEditorStore(props.draft, { readOnly }));
  const nodes = useStore(store, (s) => s.nodes);
  const edges = useStore(store, (s) => s.edges);
  const changeCount = useStore(store, (s) => s.changeCount);
  const canUndo = useStore(store, (s) => s.past.length > 0);
  const canRedo = useStore(store, (s) => s.future.length > 0);
  const selected = useMemo(() => nodes.filter((n) => n.selected), [nodes]);
  const flow = useReactFlow();
  const router = useRouter();
  const pathname = usePathname();
  const [tab, setTab] = useState<Tab>(props.trace || props.waitingList ? "node" : "node");
  const [highlight, setHighlight] = useState<Decorations["highlight"]>(new Map());
  const [publishing, setPublishing] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; message: string } | null>(null);

  // ---- validation from compile(), recomputed when the graph changes (not on every drag frame)
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const graph = useMemo(() => store.getState().toGraph(), [changeCount, store]);
  const compiled = useMemo(() => compile(graph), [graph]);
  const problems = useMemo<CompileError[]>(() => (compiled.ok ? [] : compiled.errors), [compiled]);
  const errors = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const e of problems) if (e.nodeId) m.set(e.nodeId, [...(m.get(e.nodeId) ?? []), e.message]);
    return m;
  }, [problems]);
  const decorations = useMemo<Decorations>(
    () => ({ errors, stats: props.stats, highlight, showStats: props.flow.currentVersionId !== null }),
    [errors, props.stats, highlight, props.flow.currentVersionId],
  );

  // ---- autosave with an optimistic revision
  const revision = useRef(props.flow.revision);
  const [save, setSave] = useState<SaveState>({ kind: "saved" });
  const saving = useRef(false);
  const doSave = useCallback(
    async (force = false) => {
      if (readOnly || saving.current) return;
      saving.current = true;
      setSave({ kind: "saving" });
      const r = await callAction(saveDraftAction, {
        workspace: props.workspace,
        flowId: props.flow.id,
        revision: revision.current,
        graph: store.getState().toGraph(),
        force,
      });
      saving.current = false;
      if (r.ok) {
        revision.current = r.data?.revision ?? revision.current;
        setSave({ kind: "saved" });
      } else if (r.data?.conflict) setSave({ kind: "conflict", message: r.message });
      else setSave({ kind: "error", message: r.message });
    },
    [readOnly, props.workspace, props.flow.id, store],
  );
  const firstChange = useRef(changeCount);
  useEffect(() => {
    if (changeCount === firstChange.current || readOnly || props.persist === false) return;
    setSave((s) => (s.kind === "conflict" ? s : { kind: "dirty" }));
    const t = setTimeout(() => {
      setSave((s) => {
        if (s.kind !== "conflict") void doSave();
        return s;
      });
    }, AUTOSAVE_MS);
    return () => clearTimeout(t);
  }, [changeCount, readOnly, doSave, props.persist]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (save.kind === "dirty" || save.kind === "saving") e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [save.kind]);

  // ---- live stats: the server page re-renders with fresh counters while the flow is open
  useEffect(() => {
    if (!props.flow.currentVersionId || props.persist === false) return;
    const t = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [router, props.flow.currentVersionId, props.persist]);

  // ---- keyboard shortcuts
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable)) return;
      const mod = e.metaKey || e.ctrlKey;
      const s = store.getState();
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) s.undo();
      else if (mod && (key === "y" || (key === "z" && e.shiftKey))) s.redo();
      else if (mod && key === "c") s.copy();
      else if (mod && key === "v") s.paste();
      else if (mod && key === "d") s.duplicateSelected();
      else if (mod && key === "a") s.select(s.nodes.map((n) => n.id));
      else if (!mod && key === "l" && e.shiftKey) s.layout();
      else if (!mod && key === "f" && e.shiftKey) void flow.fitView({ duration: 200 });
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, flow]);

  // ---- palette drop
  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const kind = e.dataTransfer.getData("application/tillit-node");
      if (!kind) return;
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const id = store.getState().addNode(kind, { x: Math.round(p.x - 110), y: Math.round(p.y - 20) });
      if (id) setTab("node");
    },
    [flow, store],
  );
  const addAtCentre = (kind: string) => {
    const box = document.querySelector(".react-flow")?.getBoundingClientRect();
    const p = flow.screenToFlowPosition(box ? { x: box.x + box.width / 2, y: box.y + box.height / 3 } : { x: 200, y: 200 });
    if (store.getState().addNode(kind, { x: Math.round(p.x - 110), y: Math.round(p.y) })) setTab("node");
  };

  const isValidConnection: IsValidConnection = useCallback(
    (c) => {
      if (c.source === c.target) return false;
      const target = store.getState().nodes.find((n) => n.id === c.target);
      return !!target && !(isNodeKind(target.data.kind) && nodeCatalog[target.data.kind].group === "triggers");
    },
    [store],
  );

  const jumpTo = (nodeId: string) => {
    store.getState().select([nodeId]);
    const n = store.getState().nodes.find((x) => x.id === nodeId);
    if (n) void flow.setCenter(n.position.x + 110, n.position.y + 40, { zoom: 1.1, duration: 300 });
    setTab("node");
  };

  const onPause = async () => {
    const r = await callAction(pauseFlowAction, { workspace: props.workspace, flowId: props.flow.id, paused: props.flow.status === "live" });
    setNotice({ ok: r.ok, message: r.message ?? "" });
    router.refresh();
  };

  const one = selected.length === 1 ? selected[0]! : null;
  const sendNodes = nodes.filter((n) => n.data.kind === "send-email").map((n) => n.id);
  const live = props.flow.status === "live" || props.flow.status === "paused";

  return (
    <div className="-mx-4 flex flex-col gap-2" data-testid="flow-editor" data-readonly={readOnly ? "1" : "0"}>
      <div className="flex flex-wrap items-center gap-2">
        <Link href={`/w/${props.workspace}/flows`} className="text-sm text-brand-700 hover:underline">
          ← Flows
        </Link>
        <h1 className="text-xl font-semibold" data-testid="flow-name">{props.flow.name}</h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium" data-testid="flow-status">
          {props.flow.status}
          {props.versions[0] ? ` · v${props.versions[0].number}` : ""}
        </span>
        {readOnly ? (
          <span className="rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800" data-testid="read-only">
            Read-only: your role can look, not change
          </span>
        ) : (
          <span className="text-xs text-slate-500" data-testid="save-state" data-state={save.kind}>
            {save.kind === "saved" ? "All changes saved" : save.kind === "dirty" ? "Unsaved changes…" : save.kind === "saving" ? "Saving…" : save.kind === "error" ? save.message : "Conflict"}
          </span>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-1">
          {readOnly ? null : (
            <>
              <ToolButton label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => store.getState().undo()} />
              <ToolButton label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => store.getState().redo()} />
              <ToolButton label="Auto-layout" title="Auto-layout (Shift+L)" onClick={() => { store.getState().layout(); setTimeout(() => void flow.fitView({ duration: 200 }), 50); }} />
            </>
          )}
          <ToolButton label="Zoom to fit" title="Zoom to fit (Shift+F)" onClick={() => void flow.fitView({ duration: 200 })} />
          {props.canPublish && live ? (
            <ToolButton label={props.flow.status === "live" ? "Pause" : "Resume"} title="Pause stops new enrollments; contacts inside carry on" onClick={() => void onPause()} />
          ) : null}
          {props.canPublish ? (
            <button
              type="button"
              className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-50"
              disabled={problems.length > 0 || save.kind !== "saved"}
              title={problems.length > 0 ? `${problems.length} problems to fix first` : save.kind !== "saved" ? "Waiting for the draft to save" : "Publish a new version"}
              onClick={() => setPublishing(true)}
            >
              Publish{problems.length > 0 ? ` (${problems.length} problems)` : ""}
            </button>
          ) : null}
        </div>
      </div>
      {props.draftProblem ? <p role="alert" className="text-sm text-red-700">{props.draftProblem}</p> : null}
      {notice ? (
        <p role={notice.ok ? "status" : "alert"} className={`text-sm ${notice.ok ? "text-emerald-700" : "text-red-700"}`} data-testid="editor-notice">
          {notice.message}
        </p>
      ) : null}
      {save.kind === "conflict" ? (
        <div role="alert" className="flex items-center gap-3 rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800" data-testid="save-conflict">
          {save.message}
          <button type="button" className="underline" onClick={() => window.location.reload()}>Reload theirs</button>
          <button type="button" className="underline" onClick={() => void doSave(true)}>Keep mine</button>
        </div>
      ) : null}

      <div className="flex h-[72vh] min-h-[520px] gap-2">
        {readOnly ? null : <Palette onAdd={addAtCentre} />}
        <div className="relative flex-1 overflow-hidden rounded-lg border border-slate-200 bg-slate-50" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop} data-testid="canvas">
          <DecorationsContext.Provider value={decorations}>
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={store.getState().onNodesChange}
              onEdgesChange={store.getState().onEdgesChange}
              onConnect={store.getState().onConnect}
              isValidConnection={isValidConnection}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              edgesReconnectable={false}
              deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
              multiSelectionKeyCode={["Meta", "Control", "Shift"]}
              selectionOnDrag={false}
              fitView
              fitViewOptions={{ maxZoom: 1.1 }}
              minZoom={0.1}
              defaultEdgeOptions={{ type: "smoothstep" }}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={16} />
              <MiniMap pannable zoomable className="!h-24 !w-36" />
              <Controls showInteractive={false} />
            </ReactFlow>
          </DecorationsContext.Provider>
          {nodes.length === 0 ? (
            <div className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-slate-500" data-testid="canvas-empty">
              {readOnly ? "This flow is empty." : "Drag a trigger from the palette to begin: it says who enters the flow."}
            </div>
          ) : null}
        </div>
        <aside className="flex w-80 shrink-0 flex-col overflow-hidden rounded-lg border border-slate-200 bg-white" data-testid="side-panel">
          <div className="flex border-b border-slate-200 text-xs" role="tablist">
            {(
              [
                ["node", one ? "Node" : "Flow"],
                ["problems", `Problems (${problems.length})`],
                ["versions", "Versions"],
                ["dry-run", "Dry run"],
              ] as const
            ).map(([t, l]) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={`flex-1 px-2 py-2 ${tab === t ? "border-b-2 border-brand-600 font-semibold" : "text-slate-600"}`} onClick={() => setTab(t)}>
                {l}
              </button>
            ))}
          </div>
          <div className="flex-1 overflow-y-auto p-3">
            {tab === "node" ? (
              one ? (
                <NodePanel
                  key={one.id}
                  store={store}
                  nodeId={one.id}
                  props={props}
                  readOnly={readOnly}
                  sendNodes={sendNodes}
                  errors={errors.get(one.id) ?? []}
                  pathname={pathname}
                />
              ) : (
                <FlowSummary props={props} selectedCount={selected.length} problems={problems.length} pathname={pathname} />
              )
            ) : null}
            {tab === "problems" ? (
              <div data-testid="problems">
                {problems.length === 0 ? (
                  <p className="text-sm text-emerald-700">No problems: the draft can be published.</p>
                ) : (
                  <ul className="space-y-1">
                    {problems.map((p, i) => (
                      <li key={i}>
                        {p.nodeId ? (
                          <button type="button" className="text-left text-xs text-red-800 hover:underline" onClick={() => jumpTo(p.nodeId!)}>
                            <span className="font-semibold">{p.nodeId}</span>: {p.message}
                          </button>
                        ) : (
                          <span className="text-xs text-red-800">{p.message}</span>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            ) : null}
            {tab === "versions" ? (
              <VersionsPanel
                props={props}
                draft={graph}
                readOnly={readOnly}
                onDiff={(g) => {
                  if (!g) return setHighlight(new Map());
                  const d = diffGraphs(g, graph);
                  setHighlight(new Map([...d.added.map((id) => [id, "added"] as const), ...d.changed.map((id) => [id, "changed"] as const)]));
                  return d;
                }}
                onRestored={() => window.location.reload()}
              />
            ) : null}
            {tab === "dry-run" ? (
              <DryRunPanel
                props={props}
                compiled={compiled}
                onPath={(ids) => setHighlight(new Map(ids.map((id) => [id, "path"] as const)))}
                onJump={jumpTo}
              />
            ) : null}
          </div>
        </aside>
      </div>
      {publishing ? (
        <PublishDialog
          props={props}
          draft={graph}
          revision={() => revision.current}
          onClose={(message) => {
            setPublishing(false);
            if (message) {
              setNotice({ ok: true, message });
              router.refresh();
            }
          }}
        />
      ) : null}
    </div>
  );
}

function ToolButton(props: { label: string; title: string; disabled?: boolean; onClick: () => void }) {
  return (
    <button type="button" title={props.title} disabled={props.disabled} onClick={props.onClick} className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-40">
      {props.label}
    </button>
  );
}

function Palette({ onAdd }: { onAdd: (kind: string) => void }) {
  return (
    <nav className="w-44 shrink-0 overflow-y-auto rounded-lg border border-slate-200 bg-white p-2" aria-label="Node palette" data-testid="palette">
      {nodeGroups.map((g) => (
        <div key={g} className="mb-2">
          <h3 className="px-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500">{g}</h3>
          {nodeKinds
            .filter((k) => nodeCatalog[k].group === g)
            .map((k) => (
              <button
                key={k}
                type="button"
                draggable
                data-testid={`palette-${k}`}
                title={`${nodeCatalog[k].description} Drag onto the canvas, or click to add.`}
                onDragStart={(e) => {
                  e.dataTransfer.setData("application/tillit-node", k);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => onAdd(k)}
                className="mt-1 block w-full cursor-grab rounded border border-slate-200 px-2 py-1 text-left text-xs hover:border-brand-500 hover:bg-brand-50"
              >
                {nodeCatalog[k].label}
              </button>
            ))}
        </div>
      ))}
    </nav>
  );
}

function NodePanel(p: {
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

function FlowSummary(p: { props: EditorProps; selectedCount: number; problems: number; pathname: string }) {
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
