import { expect, it } from "vitest";
import { compile } from "../flows/compile";
import { planNodes } from "./plan-nodes";

const node = (id: string, kind: string, config: Record<string, unknown> = {}, i = 0) => ({ id, kind, config, position: { x: 0, y: i * 100 } });
const edge = (source: string, sourceHandle: string, target: string) => ({ id: `${source}-${sourceHandle}`, source, sourceHandle, target });

it("lists nodes in flow order with catalog labels, and the splits with their branches", () => {
  const compiled = compile({
    nodes: [
      node("x", "exit", { reason: "done" }),
      node("s2", "send-email", { templateId: "t2" }),
      node("t", "manual-enrol"),
      node("sp", "random-split", { branches: [{ id: "a", label: "A", weight: 70 }, { id: "b", label: "B", weight: 30 }] }),
      node("s1", "send-email", { templateId: "t1" }),
      node("g", "goal", { name: "Ordered", event: { name: "Order Completed", filters: [] } }),
    ],
    edges: [edge("t", "next", "sp"), edge("sp", "split:a", "s1"), edge("sp", "split:b", "s2"), edge("s1", "next", "x"), edge("s2", "next", "x")],
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const { nodes, splits } = planNodes([compiled.plan, { not: "a plan" }]);
  expect(nodes.map((n) => n.id)).toEqual(["t", "sp", "s1", "x", "s2", "g"]);
  expect(nodes.find((n) => n.id === "g")!.label).toBe("Goal: Ordered (g)");
  expect(splits).toEqual([
    { id: "sp", label: "Split sp", branches: [{ handle: "split:a", label: "A (70)" }, { handle: "split:b", label: "B (30)" }] },
  ]);
});
