import { describe, expect, expectTypeOf, it } from "vitest";
import { nodeKinds, triggerKinds, type NodeConfig, type NodeKind, type TriggerKind } from "./catalog";
import { MS } from "./duration";
import { compile } from "./compile";
import { isTriggerNode, planNodeSchema, planTriggerSchema, sentTemplates, type PlanNode, type PlanNodeOf, type PlanTrigger } from "./plan";

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

describe("sentTemplates", () => {
  it("lists each template the send-email nodes send once, with every node that sends it", () => {
    const at = (i: number) => ({ x: 0, y: i * 100 });
    const compiled = compile({
      nodes: [
        { id: "t", kind: "manual-enrol", config: {}, position: at(0) },
        { id: "s2", kind: "send-email", config: { templateId: "b-template" }, position: at(1) },
        { id: "s1", kind: "send-email", config: { templateId: "a-template" }, position: at(2) },
        { id: "tag", kind: "add-tag", config: { tag: "vip" }, position: at(3) },
        { id: "s0", kind: "send-email", config: { templateId: "b-template" }, position: at(4) },
        { id: "x", kind: "exit", config: {}, position: at(5) },
      ],
      edges: [
        { id: "e1", source: "t", sourceHandle: "next", target: "s2" },
        { id: "e2", source: "s2", sourceHandle: "next", target: "s1" },
        { id: "e3", source: "s1", sourceHandle: "next", target: "tag" },
        { id: "e4", source: "tag", sourceHandle: "next", target: "s0" },
        { id: "e5", source: "s0", sourceHandle: "next", target: "x" },
      ],
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    expect(sentTemplates(compiled.plan)).toEqual([
      { templateId: "a-template", nodeIds: ["s1"] },
      { templateId: "b-template", nodeIds: ["s0", "s2"] },
    ]);
  });
});
