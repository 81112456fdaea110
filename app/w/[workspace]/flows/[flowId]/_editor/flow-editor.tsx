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
import { useCallback, useMemo, useState, type DragEvent } from "react";
import { useStore } from "zustand";
import { isTriggerKind } from "@/lib/flows/catalog";
import { compile, type CompileError } from "@/lib/flows/compile";
import { diffGraphs } from "@/lib/flows/editor/graph-ops";
import { createEditorStore, type EditorStore } from "@/lib/flows/editor/store";
import { pauseFlowAction } from "@/app/w/[workspace]/flows/actions";
import { DecorationsContext, nodeTypes, type Decorations } from "./flow-node";
import { FlowSummary, NodePanel } from "./node-panel";
import { Palette } from "./palette";
import { callAction } from "@/app/_components/call-action";
import { DryRunPanel, ProblemsList, PublishDialog, VersionsPanel } from "./panels";
import type { EditorProps } from "./types";
import { useAutosave } from "./use-autosave";
import { useLiveStats } from "./use-live-stats";
import { useShortcuts } from "./use-shortcuts";

type Tab = "node" | "problems" | "versions" | "dry-run";

export function FlowEditor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor(props: EditorProps) {
  const readOnly = !props.canEdit;
  const [store] = useState<EditorStore>(() => {
    const s = createEditorStore(props.draft, { readOnly });
    // Opened at a node (`?node=`, e.g. from the failed list's "path" link): that node is selected.
    if (props.waitingList) s.getState().select([props.waitingList.nodeId]);
    return s;
  });
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
  const changedTemplates = useMemo(() => new Set(props.changedTemplates), [props.changedTemplates]);
  const failedHref = `/w/${props.workspace}/flows/${props.flow.id}/failed`;
  const decorations = useMemo<Decorations>(
    () => ({ errors, stats: props.stats, highlight, showStats: props.flow.currentVersionId !== null, changedTemplates, failedHref }),
    [errors, props.stats, highlight, props.flow.currentVersionId, changedTemplates, failedHref],
  );

  const persist = props.persist !== false;
  const autosave = useAutosave({ store, changeCount, readOnly, persist, workspace: props.workspace, flowId: props.flow.id, revision: props.flow.revision });
  const save = autosave.state;
  useLiveStats({ currentVersionId: props.flow.currentVersionId, persist });
  useShortcuts(store, flow);

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
      return !!target && !isTriggerKind(target.data.kind);
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
        {props.flow.currentVersionId ? (
          <Link
            href={failedHref}
            data-testid="failed-runs-link"
            className={
              props.failedTotal > 0
                ? "rounded bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800 hover:bg-red-200"
                : "text-xs text-slate-500 hover:underline"
            }
          >
            {props.failedTotal > 0 ? `${props.failedTotal} failed ${props.failedTotal === 1 ? "run" : "runs"}` : "Failed runs"}
          </Link>
        ) : null}
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
          <button type="button" className="underline" onClick={() => void autosave.save(true)}>Keep mine</button>
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
            {tab === "problems" ? <ProblemsList problems={problems} onJump={jumpTo} /> : null}
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
          revision={autosave.revision}
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
