import { z } from "zod";
import { idSchema, nodeCatalog as c } from "./catalog";
import type { PropertyFilter } from "./filters";
import { exitHandleSchema } from "./graph";

/**
 * The compiled plan: what `flow_versions.plan` stores and the generic runner walks. It keeps
 * only behaviour (no positions, no labels), so moving a node on the canvas does not change the
 * hash and does not make a new version.
 */

export const PLAN_FORMAT = 1;

const planNode = <K extends string, S extends z.ZodType>(kind: K, config: S) =>
  z.object({
    id: idSchema,
    kind: z.literal(kind),
    config,
    /** Exit handle → next node id. Every exit the node has is present. */
    next: z.record(exitHandleSchema, idSchema),
    /** Visits allowed per enrollment: 1 off loops, the flow's visit cap on them. */
    maxVisits: z.number().int().min(1),
  });

export const planNodeSchema = z.discriminatedUnion("kind", [
  planNode("form-submitted", c["form-submitted"].configSchema),
  planNode("contact-created", c["contact-created"].configSchema),
  planNode("tag-added", c["tag-added"].configSchema),
  planNode("event-tracked", c["event-tracked"].configSchema),
  planNode("segment-entered", c["segment-entered"].configSchema),
  planNode("date-anniversary", c["date-anniversary"].configSchema),
  planNode("manual-enrol", c["manual-enrol"].configSchema),
  planNode("delay", c.delay.configSchema),
  planNode("wait-until", c["wait-until"].configSchema),
  planNode("wait-window", c["wait-window"].configSchema),
  planNode("wait-for-event", c["wait-for-event"].configSchema),
  planNode("condition", c.condition.configSchema),
  planNode("random-split", c["random-split"].configSchema),
  planNode("send-email", c["send-email"].configSchema),
  planNode("add-tag", c["add-tag"].configSchema),
  planNode("remove-tag", c["remove-tag"].configSchema),
  planNode("update-attribute", c["update-attribute"].configSchema),
  planNode("webhook", c.webhook.configSchema),
  planNode("goal", c.goal.configSchema),
  planNode("exit", c.exit.configSchema),
]);

const trigger = <K extends string, S extends z.ZodType>(kind: K, config: S) =>
  z.object({ nodeId: idSchema, kind: z.literal(kind), config });

/** What enrols a contact: the router matches incoming events against this. */
export const planTriggerSchema = z.discriminatedUnion("kind", [
  trigger("form-submitted", c["form-submitted"].configSchema),
  trigger("contact-created", c["contact-created"].configSchema),
  trigger("tag-added", c["tag-added"].configSchema),
  trigger("event-tracked", c["event-tracked"].configSchema),
  trigger("segment-entered", c["segment-entered"].configSchema),
  trigger("date-anniversary", c["date-anniversary"].configSchema),
  trigger("manual-enrol", c["manual-enrol"].configSchema),
]);

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
