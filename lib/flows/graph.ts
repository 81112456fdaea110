import { z } from "zod";
import { idSchema, type NodeConfigInput, type NodeKind } from "./catalog";

/**
 * The editor graph as saved in `flows.draft`. Deliberately loose about kinds and configs: a draft
 * is allowed to be half-finished, and compile() reports each unknown kind or bad config against
 * its node instead of failing the whole document on the first problem.
 */

export const positionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

export const graphNodeSchema = z.object({
  /** Permanent: survives edits and publishes; runs, stats and migration maps refer to it. */
  id: idSchema,
  kind: z.string().min(1, "kind is required"),
  position: positionSchema,
  config: z.record(z.string(), z.unknown()).default({}),
  /** The marketer's own name for the node; cosmetic, never part of the plan. */
  label: z.string().max(200).optional(),
});

/** "next", "yes", "no", "matched", "timeout", "else", "branch:<id>", "split:<id>". */
export const exitHandleSchema = z.string().regex(/^[a-z]+(:[A-Za-z0-9_-]{1,64})?$/, "is not an exit handle");

export const graphEdgeSchema = z.object({
  id: z.string().min(1).max(200),
  source: z.string().min(1),
  /** The source node's exit; React Flow's name for it. */
  sourceHandle: exitHandleSchema,
  target: z.string().min(1),
});

export const flowGraphSchema = z.object({
  nodes: z.array(graphNodeSchema).max(500, "a flow has at most 500 nodes"),
  edges: z.array(graphEdgeSchema).max(2000, "a flow has at most 2000 edges"),
  /** Where the canvas was left; not part of the plan. */
  viewport: z.object({ x: z.number(), y: z.number(), zoom: z.number() }).optional(),
});

export type Position = z.infer<typeof positionSchema>;
export type GraphNode = z.infer<typeof graphNodeSchema>;
export type GraphEdge = z.infer<typeof graphEdgeSchema>;
export type FlowGraph = z.infer<typeof flowGraphSchema>;
export type FlowGraphInput = z.input<typeof flowGraphSchema>;

/** A node narrowed by kind, for editor code (React Flow node data as a discriminated union). */
export type TypedGraphNode = {
  [K in NodeKind]: Omit<GraphNode, "kind" | "config"> & { kind: K; config: NodeConfigInput<K> };
}[NodeKind];

/**
 * Re-entry: may a contact who was in this flow before enter it again? Enforced by the
 * enrollments table (its own columns), kept here so the editor and the API validate alike.
 */
export const reentrySchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("once") }),
  z.object({ mode: z.literal("after"), days: z.number().int().min(1, "at least 1 day").max(3650) }),
  z.object({ mode: z.literal("always") }),
]);
export type Reentry = z.infer<typeof reentrySchema>;

export const flowSettingsSchema = z.object({
  reentry: reentrySchema.default({ mode: "once" }),
  /** How many times one enrollment may pass through a node that sits on a loop. */
  visitCap: z.number().int().min(1).max(1000).default(20),
});
export type FlowSettings = z.infer<typeof flowSettingsSchema>;

/**
 * Whether a contact may enter again, given when their latest enrollment began and whether it is
 * still active. Mirrors the enrollments-table rule so the router and the editor's preview agree.
 */
export function reentryAllows(reentry: Reentry, previous: { enteredAt: Date; active: boolean } | null, now: Date): boolean {
  if (!previous) return true;
  if (previous.active) return false;
  switch (reentry.mode) {
    case "once":
      return false;
    case "always":
      return true;
    case "after":
      return now.getTime() - previous.enteredAt.getTime() >= reentry.days * 86_400_000;
  }
}
