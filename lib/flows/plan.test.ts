import { describe, expect, expectTypeOf, it } from "vitest";
import { nodeKinds, triggerKinds, type NodeConfig, type NodeKind, type TriggerKind } from "./catalog";
import { MS } from "./duration";
import { isTriggerNode, planNodeSchema, planTriggerSchema, type PlanNode, type PlanNodeOf, type PlanTrigger } from "./plan";

describe("plan schemas made from the catalog", () => {
  it("have one member per kind, in the catalog's order", () => {
    expect(planNodeSchema.options.map((o) => o.shape.kind.value)).toEqual(nodeKinds);
    expect(planTriggerSchema.options.map((o) => o.shape.kind.value)).toEqual(triggerKinds);
  });

  it("check each kind's config against that kind's own schema", () => {
    const node = { id: "n", next: { next: "m" }, maxVisits: 1 };
    expect(planNodeSchema.safeParse({ ...node, kind: "delay", config: { durationMs: MS.hour } }).success).toBe(true);
    expect(planNodeSchema.safeParse({ ...node, kind: "add-tag", config: { durationMs: MS.hour } }).success).toBe(false);
    expect(planNodeSchema.safeParse({ ...node, kind: "no-such-kind", config: {} }).success).toBe(false);
    expect(planTriggerSchema.safeParse({ nodeId: "t", kind: "tag-added", config: { tag: "vip" } }).success).toBe(true);
    expect(planTriggerSchema.safeParse({ nodeId: "t", kind: "delay", config: { durationMs: MS.hour } }).success).toBe(false);
  });

  it("keep each kind paired with its own config type", () => {
    expectTypeOf<PlanNode["kind"]>().toEqualTypeOf<NodeKind>();
    expectTypeOf<PlanTrigger["kind"]>().toEqualTypeOf<TriggerKind>();
    expectTypeOf<PlanNodeOf<"delay">["config"]>().toEqualTypeOf<NodeConfig<"delay">>();
    expectTypeOf<PlanNodeOf<"wait-until">["config"]>().toEqualTypeOf<NodeConfig<"wait-until">>();
    expectTypeOf<Extract<PlanTrigger, { kind: "event-tracked" }>["config"]>().toEqualTypeOf<NodeConfig<"event-tracked">>();
    expectTypeOf<TriggerKind>().toEqualTypeOf<
      "form-submitted" | "contact-created" | "tag-added" | "event-tracked" | "segment-entered" | "date-anniversary" | "manual-enrol"
    >();
  });

  it("tells trigger nodes from the rest by the catalog's group", () => {
    const node = { id: "n", next: {}, maxVisits: 1 };
    expect(isTriggerNode({ ...node, kind: "manual-enrol", config: {} })).toBe(true);
    expect(isTriggerNode({ ...node, kind: "exit", config: { reason: "" } })).toBe(false);
  });
});
