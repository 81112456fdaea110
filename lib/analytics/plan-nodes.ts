import { nodeCatalog } from "../flows/catalog";
import { planSchema } from "../flows/plan";

/** A flow's nodes for its report: every version's plan read once, pure of the database. */
export type NodeInfo = { id: string; kind: string; label: string };

/** Nodes in flow order (breadth-first from the trigger), labelled from the catalog and their config. */
export function planNodes(plans: unknown[]): { nodes: NodeInfo[]; splits: { id: string; label: string; branches: { handle: string; label: string }[] }[] } {
  const parsed = plans.map((p) => planSchema.safeParse(p)).filter((r) => r.success).map((r) => r.data);
  const nodes: NodeInfo[] = [];
  const seen = new Set<string>();
  const splits: { id: string; label: string; branches: { handle: string; label: string }[] }[] = [];
  for (const plan of parsed) {
    const queue = [plan.trigger.nodeId, ...Object.keys(plan.nodes)];
    const ordered: string[] = [];
    const visited = new Set<string>();
    while (queue.length) {
      const id = queue.shift()!;
      if (visited.has(id)) continue;
      visited.add(id);
      ordered.push(id);
      const n = plan.nodes[id];
      if (n) queue.splice(0, 0, ...Object.values(n.next).filter((x) => !visited.has(x)));
    }
    for (const id of ordered) {
      const n = plan.nodes[id];
      if (!n || seen.has(id)) continue;
      seen.add(id);
      const base = nodeCatalog[n.kind]?.label ?? n.kind;
      const detail = n.kind === "goal" ? `: ${n.config.name}` : n.kind === "exit" && n.config.reason ? `: ${n.config.reason}` : "";
      nodes.push({ id, kind: n.kind, label: `${base}${detail} (${id})` });
      if (n.kind === "random-split") {
        splits.push({ id, label: `Split ${id}`, branches: n.config.branches.map((b) => ({ handle: `split:${b.id}`, label: `${b.label} (${b.weight})` })) });
      }
    }
  }
  return { nodes, splits };
}
