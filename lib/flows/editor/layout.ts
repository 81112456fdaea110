import dagre from "@dagrejs/dagre";
import type { Position } from "../graph";
import type { EditorGraph } from "./graph-ops";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/**
 * Auto-layout: top to bottom, ranks by the longest path, exits spread left to right in the order
 * the edges name them. Returns a position per node (top-left corner, as React Flow wants it).
 */
export function autoLayout(g: EditorGraph, sizes: Map<string, { width: number; height: number }> = new Map()): Map<string, Position> {
  const d = new dagre.graphlib.Graph({ multigraph: true });
  d.setGraph({ rankdir: "TB", nodesep: 48, ranksep: 72, marginx: 0, marginy: 0 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) {
    const s = sizes.get(n.id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
    d.setNode(n.id, { width: s.width, height: s.height });
  }
  const ids = new Set(g.nodes.map((n) => n.id));
  for (const e of g.edges) if (ids.has(e.source) && ids.has(e.target)) d.setEdge(e.source, e.target, {}, e.id);
  dagre.layout(d);
  const out = new Map<string, Position>();
  for (const n of g.nodes) {
    const p = d.node(n.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!p) continue;
    out.set(n.id, { x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2) });
  }
  return out;
}
