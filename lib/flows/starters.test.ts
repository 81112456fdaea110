import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { starterGraph, starterKeys } from "./starters";

describe("starter flows", () => {
  const complete = starterKeys.filter((k) => k !== "blank");

  it.each(complete)("%s compiles once its templates are chosen", (key) => {
    const g = starterGraph(key, { template: (slot) => `tpl-${slot}`, segmentId: "inactive-90-days" });
    const r = compile(g);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each(complete)("%s without templates names each send node that needs one", (key) => {
    const g = starterGraph(key, { segmentId: "s" });
    const r = compile(g);
    const sends = g.nodes.filter((n) => n.kind === "send-email").map((n) => n.id);
    expect(r.ok).toBe(sends.length === 0);
    if (!r.ok) expect([...new Set(r.errors.map((e) => e.nodeId))].sort()).toEqual(sends.sort());
  });

  it("the abandoned cart waits for a purchase of the same cart", () => {
    const r = compile(starterGraph("abandoned-cart", { template: () => "t" }));
    if (!r.ok) throw new Error("does not compile");
    const wait = r.plan.nodes.purchase;
    expect(wait?.kind === "wait-for-event" && wait.config.correlate).toEqual({ eventProperty: "cartId", triggerProperty: "cartId" });
  });

  it("lays nodes out without overlaps", () => {
    for (const key of complete) {
      const spots = starterGraph(key).nodes.map((n) => `${n.position.x},${n.position.y}`);
      expect(new Set(spots).size).toBe(spots.length);
    }
  });
});
