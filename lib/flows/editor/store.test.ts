import { describe, expect, it } from "vitest";
import { compile } from "../compile";
import { starterGraph } from "../starters";
import { autoLayout } from "./layout";
import { createEditorStore } from "./store";

describe("editor store", () => {
  it("builds a flow by adding and connecting; undo and redo round-trip the canvas", () => {
    const store = createEditorStore({ nodes: [], edges: [] });
    const s = () => store.getState();
    const t = s().addNode("manual-enrol", { x: 0, y: 0 })!;
    const x = s().addNode("exit", { x: 0, y: 200 })!;
    s().onConnect({ source: t, sourceHandle: "next", target: x, targetHandle: null });
    const built = JSON.stringify(s().toGraph());
    expect(compile(s().toGraph()).ok).toBe(true);
    s().undo();
    expect(s().toGraph().edges).toHaveLength(0);
    s().undo();
    s().undo();
    expect(s().toGraph().nodes).toHaveLength(0);
    s().redo();
    s().redo();
    s().redo();
    expect(JSON.stringify(s().toGraph())).toBe(built);
  });

  it("a drag is one history entry; typing in one field coalesces", () => {
    const store = createEditorStore(starterGraph("birthday", { template: () => "t" }));
    const s = () => store.getState();
    const before = s().toGraph();
    for (let i = 1; i <= 5; i++) s().onNodesChange([{ type: "position", id: "greeting", position: { x: i * 10, y: 0 }, dragging: true }]);
    s().onNodesChange([{ type: "position", id: "greeting", position: { x: 60, y: 0 }, dragging: false }]);
    expect(s().past).toHaveLength(1);
    s().updateConfig("greeting", { templateId: "a" });
    s().updateConfig("greeting", { templateId: "ab" });
    expect(s().past).toHaveLength(2);
    s().undo();
    s().undo();
    expect(s().toGraph()).toEqual(before);
  });

  it("read-only refuses edits but allows selection", () => {
    const store = createEditorStore(starterGraph("birthday"), { readOnly: true });
    const s = () => store.getState();
    expect(s().addNode("delay", { x: 0, y: 0 })).toBeNull();
    s().onNodesChange([{ type: "remove", id: "greeting" }]);
    s().onNodesChange([{ type: "select", id: "greeting", selected: true }]);
    expect(s().nodes.find((n) => n.id === "greeting")?.selected).toBe(true);
    s().deleteSelected();
    expect(s().nodes).toHaveLength(3);
  });

  it("duplicate and paste add fresh nodes; auto-layout puts children below parents", () => {
    const store = createEditorStore(starterGraph("abandoned-cart"));
    const s = () => store.getState();
    s().select(["reminder", "end"]);
    s().duplicateSelected();
    expect(s().nodes).toHaveLength(7);
    expect(s().toGraph().edges.some((e) => e.source === "send-email-1" && e.target === "exit-1")).toBe(true);
    s().copy();
    s().paste();
    expect(s().nodes).toHaveLength(9);
    const spots = autoLayout(s().toGraph());
    expect(spots.get("purchase")!.y).toBeGreaterThan(spots.get("cart")!.y);
    expect(spots.get("reminder")!.y).toBeGreaterThan(spots.get("purchase")!.y);
  });
});
