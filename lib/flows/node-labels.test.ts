import { describe, expect, it } from "vitest";
import { graphNodeNames, nodeDisplayName } from "./node-labels";

describe("node names outside the canvas", () => {
  it("uses the marketer's label, else the kind's, always with the id", () => {
    expect(nodeDisplayName({ id: "s1", kind: "send-email", label: "Welcome mail" })).toBe("Welcome mail (s1)");
    expect(nodeDisplayName({ id: "s1", kind: "send-email", label: "  " })).toBe("Send email (s1)");
    expect(nodeDisplayName({ id: "x", kind: "retired-kind" })).toBe("retired-kind (x)");
  });

  it("reads a stored graph, and nothing from one that does not parse", () => {
    const g = { nodes: [{ id: "t", kind: "manual-enrol", position: { x: 0, y: 0 } }, { id: "s", kind: "send-email", label: "Hello", position: { x: 0, y: 1 } }], edges: [] };
    expect([...graphNodeNames(g)]).toEqual([["t", "Manual or API enrol (t)"], ["s", "Hello (s)"]]);
    expect(graphNodeNames({ nodes: "no" }).size).toBe(0);
  });
});
