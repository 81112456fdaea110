import { describe, expect, it } from "vitest";
import { flowGraphSchema, flowSettingsSchema, reentryAllows, reentrySchema } from "./graph";
import { canonicalJson } from "./plan";

const day = 86_400_000;
const now = new Date("2026-03-10T00:00:00Z");
const ago = (days: number) => new Date(now.getTime() - days * day);

describe("re-entry", () => {
  it("once: never again", () => {
    expect(reentryAllows({ mode: "once" }, null, now)).toBe(true);
    expect(reentryAllows({ mode: "once" }, { enteredAt: ago(400), active: false }, now)).toBe(false);
  });
  it("after N days: only once N days have passed since the last entry", () => {
    expect(reentryAllows({ mode: "after", days: 30 }, { enteredAt: ago(29), active: false }, now)).toBe(false);
    expect(reentryAllows({ mode: "after", days: 30 }, { enteredAt: ago(30), active: false }, now)).toBe(true);
  });
  it("always: whenever the previous run is over", () => {
    expect(reentryAllows({ mode: "always" }, { enteredAt: ago(0), active: false }, now)).toBe(true);
    expect(reentryAllows({ mode: "always" }, { enteredAt: ago(0), active: true }, now)).toBe(false);
  });
  it("validates settings", () => {
    expect(reentrySchema.safeParse({ mode: "after", days: 0 }).success).toBe(false);
    expect(flowSettingsSchema.parse({})).toEqual({ reentry: { mode: "once" }, visitCap: 20 });
  });
});

describe("graph schema", () => {
  it("accepts a React Flow-shaped draft and fills config defaults", () => {
    const g = flowGraphSchema.parse({
      nodes: [{ id: "t", kind: "manual-enrol", position: { x: 1, y: 2 } }],
      edges: [{ id: "e", source: "t", sourceHandle: "next", target: "x" }],
    });
    expect(g.nodes[0]?.config).toEqual({});
  });
  it("refuses handles that are not exit handles", () => {
    expect(flowGraphSchema.safeParse({ nodes: [], edges: [{ id: "e", source: "a", sourceHandle: "Yes!", target: "b" }] }).success).toBe(false);
    expect(flowGraphSchema.safeParse({ nodes: [], edges: [{ id: "e", source: "a", sourceHandle: "branch:vip-1", target: "b" }] }).success).toBe(true);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level, keeps array order, drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[3,1]},"b":1}');
  });
  it("refuses values JSON would silently change", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson({ a: () => 1 })).toThrow();
    expect(() => canonicalJson({ a: new Date(0) })).toThrow();
  });
});
