import type { z } from "zod";
import { exitsFor, isNodeKind, isTriggerKind, nodeCatalog, nodeKinds, type NodeKind } from "./catalog";
import { flowGraphSchema, type GraphEdge, type GraphNode } from "./graph";
import { PLAN_FORMAT, planSchema, type Plan } from "./plan";

export type CompileError = { nodeId: string | null; message: string };
export type CompileResult = { ok: true; plan: Plan } | { ok: false; errors: CompileError[] };
export type CompileOptions = {
  /** Visits per enrollment allowed on nodes that sit on a loop (the flow setting). */
  visitCap?: number;
};

export const DEFAULT_VISIT_CAP = 20;

/**
 * Graph → plan, or every problem found, each tied to the node the marketer must fix (null when
 * no node is to blame, like a missing trigger). Takes `unknown` because drafts come from jsonb.
 */
export function compile(input: unknown, options: CompileOptions = {}): CompileResult {
  const parsed = flowGraphSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: structuralErrors(input, parsed.error) };
  const { nodes: allNodes, edges } = parsed.data;
  const errors: CompileError[] = [];
  const fail = (nodeId: string | null, message: string) => errors.push({ nodeId, message });

  const byId = new Map<string, GraphNode>();
  for (const node of allNodes) {
    if (byId.has(node.id)) fail(node.id, `Node id "${node.id}" is used by more than one node; ids must be unique.`);
    else byId.set(node.id, node);
  }
  const nodes = [...byId.values()];

  // Config, per node: every zod issue becomes one message naming the field.
  const configs = new Map<string, unknown>();
  for (const node of nodes) {
    if (!isNodeKind(node.kind)) {
      fail(node.id, `Unknown node kind "${node.kind}".`);
      continue;
    }
    const result = nodeCatalog[node.kind].configSchema.safeParse(node.config);
    if (result.success) configs.set(node.id, result.data);
    else for (const issue of result.error.issues) fail(node.id, configMessage(node.kind, issue));
  }

  // Edges: both ends exist, the handle is an exit of the source, one edge per exit.
  const outgoing = new Map<string, Map<string, string>>();
  for (const edge of edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source) {
      fail(target?.id ?? null, `A connection (${edge.id}) starts at node "${edge.source}", which does not exist.`);
      continue;
    }
    if (!target) {
      fail(source.id, `Exit "${edge.sourceHandle}" connects to node "${edge.target}", which does not exist.`);
      continue;
    }
    if (isNodeKind(source.kind) && !exitsFor(source.kind, source.config).some((e) => e.handle === edge.sourceHandle)) {
      fail(source.id, `Has no exit "${edge.sourceHandle}" to connect from.`);
      continue;
    }
    if (isTriggerKind(target.kind)) {
      fail(target.id, "A trigger starts the flow; nothing can connect into it.");
      continue;
    }
    const exits = outgoing.get(source.id) ?? new Map<string, string>();
    const existing = exits.get(edge.sourceHandle);
    if (existing !== undefined && existing !== target.id) {
      fail(source.id, `Exit "${edge.sourceHandle}" connects to more than one node; an exit leads to exactly one.`);
      continue;
    }
    exits.set(edge.sourceHandle, target.id);
    outgoing.set(source.id, exits);
  }

  for (const node of nodes) {
    if (!isNodeKind(node.kind)) continue;
    for (const exit of exitsFor(node.kind, node.config)) {
      if (!outgoing.get(node.id)?.has(exit.handle)) {
        fail(node.id, `Exit "${exit.label}" (${exit.handle}) is not connected; connect it to the next step or to an Exit.`);
      }
    }
  }

  const triggers = nodes.filter((n) => isTriggerKind(n.kind));
  if (triggers.length === 0) fail(null, "The flow needs a trigger: add one to say who enters it.");
  if (triggers.length > 1) {
    for (const t of triggers) fail(t.id, `A flow has exactly one trigger; this is one of ${triggers.length}.`);
  }

  const successors = (id: string) => [...(outgoing.get(id)?.values() ?? [])];
  const trigger = triggers.length === 1 ? triggers[0] : undefined;
  if (trigger) {
    const reached = new Set<string>([trigger.id]);
    const queue = [trigger.id];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const next of successors(id)) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    for (const node of nodes) {
      // A goal with an event needs no incoming edge: the goal watcher jumps contacts to it.
      const watched = node.kind === "goal" && (configs.get(node.id) as { event: unknown } | undefined)?.event != null;
      if (!reached.has(node.id) && !watched) fail(node.id, "Cannot be reached from the trigger; connect it or delete it.");
    }
  }

  // A loop must contain a node that surely makes time pass; otherwise one contact could spin
  // through sends or webhooks as fast as the runner can go.
  const pauses = (n: GraphNode) => isNodeKind(n.kind) && nodeCatalog[n.kind].pauses === "always";
  const waits = nodeKinds.filter((k) => nodeCatalog[k].pauses === "always").map((k) => nodeCatalog[k].label);
  const instant = new Set(nodes.filter((n) => !pauses(n)).map((n) => n.id));
  for (const component of loops(nodes.map((n) => n.id).filter((id) => instant.has(id)), (id) => successors(id).filter((s) => instant.has(s)))) {
    const names = component.map((id) => nameOf(byId.get(id))).join(" → ");
    for (const id of component) {
      fail(id, `Is on a loop with no ${waits.join(" or ")} (${names}); a loop must wait so it cannot repeat instantly.`);
    }
  }

  // Check references between nodes only once the nodes themselves are sound.
  for (const node of nodes) {
    if (node.kind !== "condition") continue;
    const config = configs.get(node.id) as z.output<typeof nodeCatalog.condition.configSchema> | undefined;
    if (!config) continue;
    const rules = config.mode === "yes-no" ? config.rules : config.branches.flatMap((b) => b.rules);
    for (const rule of rules) {
      if (rule.type !== "email" || rule.sendNodeId === null) continue;
      const target = byId.get(rule.sendNodeId);
      if (!target || target.kind !== "send-email") {
        fail(node.id, `rules: the email rule refers to "${rule.sendNodeId}", which is not a Send email node in this flow.`);
      }
    }
  }

  if (errors.length > 0 || !trigger) return { ok: false, errors };

  const visitCap = options.visitCap ?? DEFAULT_VISIT_CAP;
  const onLoop = new Set(loops(nodes.map((n) => n.id), successors).flat());
  const planNodes: Record<string, unknown> = {};
  for (const node of [...nodes].sort((a, b) => compareIds(a.id, b.id))) {
    planNodes[node.id] = {
      id: node.id,
      kind: node.kind,
      config: configs.get(node.id),
      next: Object.fromEntries([...(outgoing.get(node.id) ?? new Map<string, string>())].sort(([a], [b]) => compareIds(a, b))),
      maxVisits: onLoop.has(node.id) ? visitCap : 1,
    };
  }
  const draft = {
    format: PLAN_FORMAT,
    trigger: { nodeId: trigger.id, kind: trigger.kind, config: configs.get(trigger.id) },
    nodes: planNodes,
    visitCap,
  };
  // The plan schema is the runner's contract; parsing here proves compile's output meets it.
  const plan = planSchema.safeParse(draft);
  if (!plan.success) {
    return { ok: false, errors: plan.error.issues.map((i) => ({ nodeId: null, message: `Internal: plan ${i.path.join(".")}: ${i.message}` })) };
  }
  return { ok: true, plan: plan.data };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nameOf(node: GraphNode | undefined): string {
  if (!node) return "?";
  if (node.label) return node.label;
  return isNodeKind(node.kind) ? nodeCatalog[node.kind].label : node.kind;
}

function configMessage(kind: NodeKind, issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  const label = nodeCatalog[kind].label;
  return field ? `${field}: ${issue.message}` : `${label} settings: ${issue.message}`;
}

/** Zod issues on the document itself, tied to a node when the path points into one. */
function structuralErrors(input: unknown, error: z.ZodError): CompileError[] {
  const raw = typeof input === "object" && input !== null ? (input as { nodes?: unknown; edges?: unknown }) : {};
  const rawNodes: unknown[] = Array.isArray(raw.nodes) ? raw.nodes : [];
  const rawEdges: unknown[] = Array.isArray(raw.edges) ? raw.edges : [];
  return error.issues.map((issue) => {
    const [collection, index, ...rest] = issue.path;
    let nodeId: string | null = null;
    if (collection === "nodes" && typeof index === "number") nodeId = idOf(rawNodes[index]);
    if (collection === "edges" && typeof index === "number") {
      const edge = rawEdges[index] as Partial<GraphEdge> | undefined;
      nodeId = typeof edge?.source === "string" ? edge.source : null;
    }
    const inItem = typeof index === "number" && rest.length > 0;
    const where =
      issue.path.length === 0 ? "flow" : inItem ? `${String(collection)}[${index}].${rest.map(String).join(".")}` : issue.path.map(String).join(".");
    return { nodeId, message: `${where}: ${issue.message}` };
  });
}

function idOf(raw: unknown): string | null {
  const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === "string" && id !== "" ? id : null;
}

/**
 * Strongly connected components that contain a cycle (more than one node, or a self-loop),
 * each in the order of `ids`. Tarjan's algorithm, iterative so a long chain cannot overflow.
 */
export function loops(ids: string[], successors: (id: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  const order = new Map(ids.map((id, i) => [id, i]));

  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; succ: string[]; i: number }[] = [];
    const visit = (id: string) => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, succ: successors(id).filter((s) => order.has(s)), i: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.succ.length) {
        const next = frame.succ[frame.i++]!;
        if (!index.has(next)) visit(next);
        else if (onStack.has(next)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const cyclic = component.length > 1 || successors(frame.id).includes(frame.id);
        if (cyclic) result.push(component.sort((a, b) => order.get(a)! - order.get(b)!));
      }
    }
  }
  return result;
}
