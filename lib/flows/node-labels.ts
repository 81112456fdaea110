import { isNodeKind, nodeCatalog } from "./catalog";
import { flowGraphSchema } from "./graph";

/**
 * How a node is named where the canvas is not (the failed list, notices): the marketer's own
 * label, else its kind's, with the node id to tell two alike apart: `Send welcome (send-email-1)`.
 */
export function nodeDisplayName(node: { id: string; kind: string; label?: string }): string {
  const own = node.label?.trim();
  const kind = isNodeKind(node.kind) ? nodeCatalog[node.kind].label : node.kind;
  return `${own || kind} (${node.id})`;
}

/** Node id → display name for a stored graph (a published version's, or the draft); empty if it does not parse. */
export function graphNodeNames(graph: unknown): Map<string, string> {
  const parsed = flowGraphSchema.safeParse(graph);
  if (!parsed.success) return new Map();
  return new Map(parsed.data.nodes.map((n) => [n.id, nodeDisplayName(n)]));
}
