import { autoLayout } from "@/lib/flows/editor/layout";
import type { FlowGraph, GraphEdge, GraphNode } from "@/lib/flows/graph";

/**
 * A generated flow of `size` nodes and exactly `size` edges for the editor benchmark: a trigger,
 * then a tree of waits, sends, tags and conditions (two exits each), plus one extra connection,
 * laid out by the editor's own auto-layout.
 */
export function largeFlow(size = 500): FlowGraph {
  const kinds = ["delay", "send-email", "condition", "add-tag", "wait-for-event"] as const;
  const config: Record<(typeof kinds)[number], Record<string, unknown>> = {
    delay: { durationMs: 86_400_000 },
    "send-email": { templateId: "t" },
    condition: { mode: "yes-no", match: "all", rules: [{ type: "tag", tag: "vip", has: true }] },
    "add-tag": { tag: "seen" },
    "wait-for-event": { event: "Order Completed", filters: [], correlate: null, timeoutMs: 86_400_000 },
  };
  const exits: Record<string, string[]> = { "manual-enrol": ["next"], delay: ["next"], "send-email": ["next"], condition: ["yes", "no"], "add-tag": ["next"], "wait-for-event": ["matched", "timeout"] };
  const nodes: GraphNode[] = [{ id: "n0", kind: "manual-enrol", config: {}, position: { x: 0, y: 0 } }];
  const free: { id: string; handle: string }[] = [{ id: "n0", handle: "next" }];
  const edges: GraphEdge[] = [];
  for (let i = 1; i < size; i++) {
    const kind = kinds[i % kinds.length]!;
    const id = `n${i}`;
    nodes.push({ id, kind, config: config[kind], position: { x: 0, y: 0 } });
    const from = free.shift()!;
    edges.push({ id: `${from.id}-${from.handle}-${id}`, source: from.id, sourceHandle: from.handle, target: id });
    for (const handle of exits[kind]!) free.push({ id, handle });
  }
  const extra = free.shift()!;
  const target = nodes[nodes.length - 1]!.id === extra.id ? "n1" : nodes[nodes.length - 1]!.id;
  edges.push({ id: `${extra.id}-${extra.handle}-${target}`, source: extra.id, sourceHandle: extra.handle, target });
  const spots = autoLayout({ nodes, edges });
  return { nodes: nodes.map((n) => ({ ...n, position: spots.get(n.id) ?? n.position })), edges };
}
