import { applyEdgeChanges, applyNodeChanges, type Connection, type Edge, type EdgeChange, type Node, type NodeChange } from "@xyflow/react";
import { createStore } from "zustand/vanilla";
import { isNodeKind, nodeCatalog } from "../catalog";
import type { FlowGraph, GraphNode, Position } from "../graph";
import { connect, copySelection, newNodeId, paste, pruneDanglingEdges, removeItems, type Clipboard, type EditorGraph } from "./graph-ops";
import { autoLayout } from "./layout";

/**
 * The editor's one store: the canvas as React Flow nodes and edges, undo/redo snapshots, the
 * clipboard. Snapshots share unchanged node objects, so memoised node views skip re-rendering
 * and a 500-node history stays cheap. A drag is one history entry (recorded when it ends), and
 * typing into one field coalesces into one entry.
 */

export type FlowNodeData = { kind: string; config: Record<string, unknown>; label?: string };
export type FlowNode = Node<FlowNodeData, "flow">;
export type FlowEdge = Edge;
type Snapshot = { nodes: FlowNode[]; edges: FlowEdge[] };

export type EditorState = Snapshot & {
  readOnly: boolean;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Clipboard | null;
  /** Bumped on every change of the graph itself (not selection): autosave watches it. */
  changeCount: number;
  gesture: Snapshot | null;
  coalesce: { key: string; at: number } | null;
};

export type EditorActions = {
  onNodesChange: (changes: NodeChange<FlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<FlowEdge>[]) => void;
  onConnect: (c: Connection) => void;
  addNode: (kind: string, position: Position) => string | null;
  updateConfig: (id: string, config: Record<string, unknown>) => void;
  updateLabel: (id: string, label: string) => void;
  select: (ids: string[]) => void;
  deleteSelected: () => void;
  duplicateSelected: () => void;
  copy: () => void;
  paste: () => void;
  undo: () => void;
  redo: () => void;
  layout: () => void;
  replaceGraph: (g: EditorGraph) => void;
  toGraph: () => FlowGraph;
};

export type EditorStore = ReturnType<typeof createEditorStore>;

export function toFlowNode(n: GraphNode): FlowNode {
  return { id: n.id, type: "flow", position: n.position, data: { kind: n.kind, config: n.config, ...(n.label ? { label: n.label } : {}) } };
}

export function toFlowEdge(e: { id: string; source: string; sourceHandle: string; target: string }): FlowEdge {
  return { id: e.id, source: e.source, sourceHandle: e.sourceHandle, target: e.target };
}

function toEditorGraph(s: Snapshot): EditorGraph {
  return {
    nodes: s.nodes.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      config: n.data.config,
      position: { x: n.position.x, y: n.position.y },
      ...(n.data.label ? { label: n.data.label } : {}),
    })),
    edges: s.edges.map((e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle ?? "next", target: e.target })),
  };
}

/** Graph → snapshot, reusing the node objects whose content did not change. */
function fromEditorGraph(g: EditorGraph, prev: Snapshot, selected: Set<string> = new Set()): Snapshot {
  const old = new Map(prev.nodes.map((n) => [n.id, n]));
  const nodes = g.nodes.map((n) => {
    const o = old.get(n.id);
    const want = selected.size > 0 ? selected.has(n.id) : !!o?.selected;
    if (o && o.data.kind === n.kind && o.data.config === n.config && o.data.label === n.label && o.position.x === n.position.x && o.position.y === n.position.y && !!o.selected === want) return o;
    return { ...toFlowNode(n), ...(o?.measured ? { measured: o.measured } : {}), selected: want };
  });
  const oldEdges = new Map(prev.edges.map((e) => [e.id, e]));
  const edges = g.edges.map((e) => oldEdges.get(e.id) ?? toFlowEdge(e));
  return { nodes, edges };
}

const COALESCE_MS = 1200;

export function createEditorStore(initial: EditorGraph, opts: { readOnly?: boolean } = {}) {
  return createStore<EditorState & EditorActions>()((set, get) => {
    const snap = (): Snapshot => ({ nodes: get().nodes, edges: get().edges });
    /** Applies a graph change as one undoable step (or coalesced with the previous one). */
    const commit = (next: Snapshot, coalesceKey?: string) => {
      const s = get();
      if (s.readOnly) return;
      const t = Date.now();
      const merge = coalesceKey !== undefined && s.coalesce?.key === coalesceKey && t - s.coalesce.at < COALESCE_MS;
      set({
        ...next,
        past: merge ? s.past : [...s.past, snap()].slice(-200),
        future: [],
        changeCount: s.changeCount + 1,
        coalesce: coalesceKey ? { key: coalesceKey, at: t } : null,
      });
    };
    const editGraph = (fn: (g: EditorGraph) => EditorGraph, selected?: string[], coalesceKey?: string) => {
      const before = toEditorGraph(snap());
      const after = fn(before);
      if (after === before) return;
      commit(fromEditorGraph(after, snap(), new Set(selected ?? [])), coalesceKey);
    };
    const selectedIds = () => get().nodes.filter((n) => n.selected).map((n) => n.id);

    return {
      ...fromEditorGraph(initial, { nodes: [], edges: [] }),
      readOnly: !!opts.readOnly,
      past: [],
      future: [],
      clipboard: null,
      changeCount: 0,
      gesture: null,
      coalesce: null,

      onNodesChange: (changes) => {
        const s = get();
        const allowed = s.readOnly ? changes.filter((c) => c.type === "select" || c.type === "dimensions") : changes;
        if (allowed.length === 0) return;
        const nodes = applyNodeChanges(allowed, s.nodes);
        const removes = allowed.some((c) => c.type === "remove");
        const drags = allowed.filter((c) => c.type === "position");
        if (removes) {
          const removed = new Set(allowed.flatMap((c) => (c.type === "remove" ? [c.id] : [])));
          commit({ nodes, edges: s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) });
          return;
        }
        if (drags.length > 0) {
          const dragging = drags.some((c) => c.type === "position" && c.dragging);
          if (dragging && !s.gesture) {
            set({ nodes, gesture: snap() });
            return;
          }
          if (!dragging && s.gesture) {
            set({ nodes, past: [...s.past, s.gesture].slice(-200), future: [], gesture: null, changeCount: s.changeCount + 1, coalesce: null });
            return;
          }
        }
        set({ nodes });
      },
      onEdgesChange: (changes) => {
        const s = get();
        const allowed = s.readOnly ? changes.filter((c) => c.type === "select") : changes;
        if (allowed.length === 0) return;
        const edges = applyEdgeChanges(allowed, s.edges);
        if (allowed.some((c) => c.type === "remove")) commit({ nodes: s.nodes, edges });
        else set({ edges });
      },
      onConnect: (c) => {
        if (!c.source || !c.target || !c.sourceHandle) return;
        editGraph((g) => connect(g, { source: c.source, sourceHandle: c.sourceHandle!, target: c.target }));
      },
      addNode: (kind, position) => {
        if (get().readOnly || !isNodeKind(kind)) return null;
        const id = newNodeId(kind, get().nodes.map((n) => n.id));
        const node: GraphNode = { id, kind, config: nodeCatalog[kind].defaults(), position };
        editGraph((g) => ({ ...g, nodes: [...g.nodes, node] }), [id]);
        return id;
      },
      updateConfig: (id, config) =>
        editGraph(
          (g) => pruneDanglingEdges({ ...g, nodes: g.nodes.map((n) => (n.id === id ? { ...n, config } : n)) }),
          undefined,
          `config:${id}`,
        ),
      updateLabel: (id, label) =>
        editGraph((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === id ? { ...n, label: label || undefined } : n)) }), undefined, `label:${id}`),
      select: (ids) => {
        const want = new Set(ids);
        set({ nodes: get().nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })) });
      },
      deleteSelected: () => {
        const nodes = selectedIds();
        const edges = get().edges.filter((e) => e.selected).map((e) => e.id);
        if (nodes.length + edges.length > 0) editGraph((g) => removeItems(g, nodes, edges));
      },
      duplicateSelected: () => {
        const ids = selectedIds();
        if (ids.length === 0) return;
        let pasted: string[] = [];
        editGraph((g) => {
          const r = paste(g, copySelection(g, ids));
          pasted = r.ids;
          return r.graph;
        });
        get().select(pasted);
      },
      copy: () => {
        const ids = selectedIds();
        if (ids.length > 0) set({ clipboard: copySelection(toEditorGraph(snap()), ids) });
      },
      paste: () => {
        const clip = get().clipboard;
        if (!clip) return;
        let pasted: string[] = [];
        editGraph((g) => {
          const r = paste(g, clip);
          pasted = r.ids;
          return r.graph;
        });
        get().select(pasted);
      },
      undo: () => {
        const s = get();
        const prev = s.past[s.past.length - 1];
        if (!prev || s.readOnly) return;
        set({ nodes: prev.nodes, edges: prev.edges, past: s.past.slice(0, -1), future: [snap(), ...s.future], changeCount: s.changeCount + 1, coalesce: null });
      },
      redo: () => {
        const s = get();
        const [next, ...rest] = s.future;
        if (!next || s.readOnly) return;
        set({ nodes: next.nodes, edges: next.edges, past: [...s.past, snap()], future: rest, changeCount: s.changeCount + 1, coalesce: null });
      },
      layout: () => {
        const sizes = new Map(
          get().nodes.flatMap((n) => (n.measured?.width && n.measured.height ? [[n.id, { width: n.measured.width, height: n.measured.height }] as const] : [])),
        );
        editGraph((g) => {
          const spots = autoLayout(g, sizes);
          return { ...g, nodes: g.nodes.map((n) => ({ ...n, position: spots.get(n.id) ?? n.position })) };
        });
      },
      replaceGraph: (g) => commit(fromEditorGraph(g, { nodes: [], edges: [] })),
      toGraph: () => toEditorGraph(snap()),
    };
  });
}
