import { z } from "zod";
import { idSchema, nodeCatalog as c, isTriggerKind, nodeKinds, triggerKinds, type NodeCatalog, type NodeKind, type TriggerKind } from "./catalog";
import type { PropertyFilter } from "./filters";
import { exitHandleSchema } from "./graph";

/**
 * The compiled plan: what `flow_versions.plan` stores and the generic runner walks. It keeps
 * only behaviour (no positions, no labels), so moving a node on the canvas does not change the
 * hash and does not make a new version.
 */

export const PLAN_FORMAT = 1;

// `c[kind]` is typed with every kind's schema; the annotation pairs K with its own (see below).
const configOf = <K extends NodeKind>(kind: K) => c[kind].configSchema as NodeCatalog[K]["configSchema"];

const planNode = <K extends NodeKind>(kind: K) =>
  z.object({
    id: idSchema,
    kind: z.literal(kind),
    config: configOf(kind),
    /** Exit handle → next node id. Every exit the node has is present. */
    next: z.record(exitHandleSchema, idSchema),
    /** Visits allowed per enrollment: 1 off loops, the flow's visit cap on them. */
    maxVisits: z.number().int().min(1),
  });

const trigger = <K extends TriggerKind>(kind: K) => z.object({ nodeId: idSchema, kind: z.literal(kind), config: configOf(kind) });

/**
 * One member per catalog kind, in the catalog's order. `kinds.map(planNode)` alone is typed with
 * K = the whole union, which pairs every kind with every config; the mapped types keep each kind
 * with its own config (zod infers a union member by member), and the cast is exact because the
 * list is built from every kind of the catalog.
 */
type PlanNodeMember = { [K in NodeKind]: ReturnType<typeof planNode<K>> }[NodeKind];
type PlanTriggerMember = { [K in TriggerKind]: ReturnType<typeof trigger<K>> }[TriggerKind];
const members = <M extends z.ZodObject>(list: z.ZodObject[]) => list as [M, ...M[]];

export const planNodeSchema = z.discriminatedUnion("kind", members<PlanNodeMember>(nodeKinds.map((k) => planNode(k))));

/** What enrols a contact: the router matches incoming events against this. */
export const planTriggerSchema = z.discriminatedUnion("kind", members<PlanTriggerMember>(triggerKinds.map((k) => trigger(k))));

export const planSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  trigger: planTriggerSchema,
  nodes: z.record(idSchema, planNodeSchema),
  visitCap: z.number().int().min(1),
});

export type PlanNode = z.infer<typeof planNodeSchema>;
export type PlanTrigger = z.infer<typeof planTriggerSchema>;
export type Plan = z.infer<typeof planSchema>;
export type PlanNodeOf<K extends PlanNode["kind"]> = Extract<PlanNode, { kind: K }>;

/** Every trigger enrols the same way in a run; the catalog's group says which kinds are triggers. */
export function isTriggerNode(node: PlanNode): node is PlanNodeOf<TriggerKind> {
  return isTriggerKind(node.kind);
}

/**
 * JSON with object keys sorted at every level and undefined dropped, so equal plans give equal
 * strings (and equal sha256 hashes) whatever order they were built in. Array order is kept:
 * it carries meaning (branch order, filter order).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}

function canonicalize(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonicalJson: non-finite number");
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonicalize(v)));
  if (typeof value === "object") {
    // A Date or Map would encode as {} and hash equal to anything empty; plans hold plain data only.
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new TypeError("canonicalJson: only plain objects");
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalize(v);
    }
    return out;
  }
  throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
}

/** Goals with an event: the goal watcher ends enrollments of this plan when one happens. */
export function goalEvents(plan: Plan): { nodeId: string; event: string; filters: PropertyFilter[] }[] {
  const out: { nodeId: string; event: string; filters: PropertyFilter[] }[] = [];
  for (const node of Object.values(plan.nodes)) {
    if (node.kind === "goal" && node.config.event) {
      out.push({ nodeId: node.id, event: node.config.event.name, filters: node.config.event.filters });
    }
  }
  return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

/**
 * The templates a plan's send-email nodes send, each with the nodes that send it (sorted by
 * template id, then node id): what a publish pins (docs/flows.md, "Publishing pins templates").
 */
export function sentTemplates(plan: Plan): { templateId: string; nodeIds: string[] }[] {
  const by = new Map<string, string[]>();
  for (const node of Object.values(plan.nodes)) {
    if (node.kind !== "send-email") continue;
    by.set(node.config.templateId, [...(by.get(node.config.templateId) ?? []), node.id]);
  }
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...by.entries()].sort(([a], [b]) => byId(a, b)).map(([templateId, nodeIds]) => ({ templateId, nodeIds: nodeIds.sort(byId) }));
}
