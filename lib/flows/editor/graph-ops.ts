import { exitsFor, isTriggerKind } from "../catalog";
import type { FlowGraph, GraphEdge, GraphNode } from "../graph";

/**
 * Pure operations on the editor graph: ids, diff between versions, copy and paste, and the
 * undo/redo history. The zustand store calls these; keeping them pure lets them be unit-tested
 * without a browser.
 */

export type EditorGraph = Pick<FlowGraph, "nodes" | "edges">;

/** A new permanent node id, readable ("send-email-3") and unused in the graph. */
export function newNodeId(kind: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = kind.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 50) || "node";
  for (let i = 1; ; i++) {
    const id = `${base}-${i}`;
    if (!used.has(id)) return id;
  }
}

export function edgeId(source: string, sourceHandle: string, target: string): string {
  return `${source}-${sourceHandle}-${target}`;
}

/**
 * Adds a connection. An exit leads to exactly one node, so connecting an exit that already has
 * an edge replaces it; a trigger takes no incoming edge and a node cannot connect to itself
 * through an instant exit — those return the graph unchanged.
 */
export function connect(g: EditorGraph, c: { source: string; sourceHandle: string; target: string }): EditorGraph {
  const target = g.nodes.find((n) => n.id === c.target);
  const source = g.nodes.find((n) => n.id === c.source);
  if (!target || !source || c.source === c.target) return g;
  if (isTriggerKind(target.kind)) return g;
  if (!exitsFor(source.kind, source.config).some((e) => e.handle === c.sourceHandle)) return g;
  const edges = g.edges.filter((e) => !(e.source === c.source && e.sourceHandle === c.sourceHandle));
  return { ...g, edges: [...edges, { id: edgeId(c.source, c.sourceHandle, c.target), ...c }] };
}

/** Removes nodes and every edge touching them, and the edges named. */
export function removeItems(g: EditorGraph, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): EditorGraph {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  return {
    nodes: g.nodes.filter((n) => !nodes.has(n.id)),
    edges: g.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target)),
  };
}

/** Edges whose exit no longer exists on their source (a branch was removed from the config). */
export function pruneDanglingEdges(g: EditorGraph): EditorGraph {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const edges = g.edges.filter((e) => {
    const s = byId.get(e.source);
    return s !== undefined && byId.has(e.target) && exitsFor(s.kind, s.config).some((x) => x.handle === e.sourceHandle);
  });
  return edges.length === g.edges.length ? g : { ...g, edges };
}

// ---------------------------------------------------------------- clipboard

export type Clipboard = { nodes: GraphNode[]; edges: GraphEdge[] };

/** The selected nodes and the edges between them (edges leaving the selection stay behind). */
export function copySelection(g: EditorGraph, nodeIds: Iterable<string>): Clipboard {
  const ids = new Set(nodeIds);
  return {
    nodes: structuredClone(g.nodes.filter((n) => ids.has(n.id))),
    edges: structuredClone(g.edges.filter((e) => ids.has(e.source) && ids.has(e.target))),
  };
}

/**
 * Pastes with fresh ids, shifted by `offset`, and returns the new ids. References between
 * pasted nodes (an email rule naming a pasted send node) follow the rename.
 */
export function paste(g: EditorGraph, clip: Clipboard, offset = { x: 40, y: 40 }): { graph: EditorGraph; ids: string[] } {
  const taken = new Set(g.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = newNodeId(n.kind, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const remap = (config: Record<string, unknown>): Record<string, unknown> =>
    JSON.parse(JSON.stringify(config), (key, value: unknown) =>
      key === "sendNodeId" && typeof value === "string" && rename.has(value) ? rename.get(value) : value,
    ) as Record<string, unknown>;
  const nodes = clip.nodes.map((n) => ({
    ...n,
    id: rename.get(n.id)!,
    config: remap(n.config),
    position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
  }));
  const edges = clip.edges.map((e) => {
    const source = rename.get(e.source)!;
    const target = rename.get(e.target)!;
    return { id: edgeId(source, e.sourceHandle, target), source, sourceHandle: e.sourceHandle, target };
  });
  return { graph: { nodes: [...g.nodes, ...nodes], edges: [...g.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}

// ---------------------------------------------------------------- diff

export type GraphDiff = {
  added: string[];
  removed: string[];
  /** Kind, config, label or outgoing connections differ. Moves alone are not changes. */
  changed: string[];
  unchanged: string[];
};

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** What changed from `before` to `after`, by node id (ids are permanent across versions). */
export function diffGraphs(before: EditorGraph, after: EditorGraph): GraphDiff {
  const outs = (g: EditorGraph, id: string) =>
    g.edges
      .filter((e) => e.source === id)
      .map((e) => `${e.sourceHandle}>${e.target}`)
      .sort()
      .join(",");
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const diff: GraphDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [id, n] of now) {
    const o = old.get(id);
    if (!o) diff.added.push(id);
    else if (o.kind !== n.kind || stable(o.config) !== stable(n.config) || (o.label ?? "") !== (n.label ?? "") || outs(before, id) !== outs(after, id)) {
      diff.changed.push(id);
    } else diff.unchanged.push(id);
  }
  for (const id of old.keys()) if (!now.has(id)) diff.removed.push(id);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}

// ---------------------------------------------------------------- history

export type History<T> = { past: T[]; present: T; future: T[] };

export const HISTORY_LIMIT = 200;

export function history<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** Records a new present; the redo branch is dropped, as in every editor. */
export function record<T>(h: History<T>, next: T): History<T> {
  if (next === h.present) return h;
  const past = [...h.past, h.present];
  return { past: past.length > HISTORY_LIMIT ? past.slice(past.length - HISTORY_LIMIT) : past, present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (prev === undefined) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}
