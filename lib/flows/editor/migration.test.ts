import { describe, expect, it } from "vitest";
import { checkMigration, movingEntries, suggestMigration } from "./migration";

const g = (nodes: [string, string][]) => ({ nodes: nodes.map(([id, kind]) => ({ id, kind, config: {}, position: { x: 0, y: 0 } })), edges: [] });

describe("migration map", () => {
  it("suggests the same node when it survives with its kind, else finishing on the old version", () => {
    const before = g([["t", "manual-enrol"], ["wait", "delay"], ["w2", "wait-for-event"], ["gone", "delay"]]);
    const after = g([["t", "manual-enrol"], ["wait", "delay"], ["w2", "delay"]]);
    expect(suggestMigration([{ nodeId: "wait", count: 3 }, { nodeId: "w2", count: 1 }, { nodeId: "gone", count: 2 }, { nodeId: "t", count: 0 }], before, after)).toEqual({
      wait: "wait",
      w2: null,
      gone: null,
    });
  });

  it("refuses targets missing from the new version and the trigger", () => {
    const nodes = [{ id: "t", trigger: true }, { id: "d", trigger: false }];
    expect(checkMigration({ a: "d", b: null }, nodes)).toEqual([]);
    expect(checkMigration({ a: "zz", b: "t" }, nodes)).toHaveLength(2);
    expect(movingEntries({ a: "d", b: null })).toEqual([["a", "d"]]);
  });
});
