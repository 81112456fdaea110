import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { parseMarkup } from "../email/markup";
import { starterGraph, starterKeys, starterTemplates } from "./starters";

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

  it.each(complete)("%s proposes a template for each send node, named after its step", (key) => {
    const sends = starterGraph(key, { template: (slot) => `tpl-${slot}` }).nodes.filter((n) => n.kind === "send-email");
    const proposed = starterTemplates(key);
    expect(proposed.map((t) => t.nodeId)).toEqual(sends.map((n) => n.id));
    for (const t of proposed) {
      expect(sends.find((n) => n.id === t.nodeId)?.config.templateId).toBe(`tpl-${t.slot}`);
      expect(t.name).toMatch(/\S — \S/);
      expect(t.subject.trim()).not.toBe("");
      expect(t.class).toBe("marketing");
      expect(parseMarkup(t.markup).length).toBeGreaterThan(1);
    }
    expect(new Set(proposed.map((t) => t.name)).size).toBe(proposed.length);
  });

  it("the welcome series starts when a form signup is confirmed and waits for no event the product never sends", () => {
    const g = starterGraph("welcome-double-opt-in", { template: (slot) => slot });
    expect(g.nodes.find((n) => n.id === "signup")?.kind).toBe("form-submitted");
    expect(g.nodes.filter((n) => n.kind === "wait-for-event")).toEqual([]);
    // No mail of its own before the welcome: the form's double opt-in asked for the confirmation.
    expect(g.nodes.filter((n) => n.kind === "send-email").map((n) => n.config.templateId)).toEqual(["welcome", "welcome-2"]);
    expect(starterTemplates("welcome-double-opt-in").map((t) => t.name)).toEqual(["Welcome — step 1", "Welcome — step 2"]);
  });
});
