import { describe, expect, it } from "vitest";
import { connect, copySelection, diffGraphs, history, newNodeId, paste, pruneDanglingEdges, record, redo, removeItems, undo, type EditorGraph } from "./graph-ops";

const node = (id: string, kind: string, config: Record<string, unknown> = {}) => ({ id, kind, config, position: { x: 0, y: 0 } });
const base: EditorGraph = {
  nodes: [node("t", "manual-enrol"), node("c", "condition", { mode: "yes-no", match: "all", rules: [] }), node("s", "send-email", { templateId: "a" }), node("x", "exit")],
  edges: [{ id: "t-next-c", source: "t", sourceHandle: "next", target: "c" }],
};

describe("graph operations", () => {
  it("new ids are readable and unused", () => {
    expect(newNodeId("delay", ["delay-1", "delay-2"])).toBe("delay-3");
    expect(newNodeId("send-email", [])).toBe("send-email-1");
  });

  it("connect replaces an exit's edge, refuses triggers, self-loops and unknown exits", () => {
    const a = connect(base, { source: "c", sourceHandle: "yes", target: "s" });
    expect(a.edges.map((e) => e.id)).toContain("c-yes-s");
    const b = connect(a, { source: "c", sourceHandle: "yes", target: "x" });
    expect(b.edges.filter((e) => e.source === "c" && e.sourceHandle === "yes").map((e) => e.target)).toEqual(["x"]);
    expect(connect(base, { source: "s", sourceHandle: "next", target: "t" })).toBe(base);
    expect(connect(base, { source: "s", sourceHandle: "next", target: "s" })).toBe(base);
    expect(connect(base, { source: "s", sourceHandle: "yes", target: "x" })).toBe(base);
  });

  it("removing a node removes its edges; dangling exits are pruned after a config change", () => {
    expect(removeItems(base, ["c"]).edges).toEqual([]);
    const g = connect(base, { source: "c", sourceHandle: "yes", target: "s" });
    const branches = { ...g, nodes: g.nodes.map((n) => (n.id === "c" ? { ...n, config: { mode: "branches", branches: [{ id: "vip", label: "VIP", rules: [] }] } } : n)) };
    expect(pruneDanglingEdges(branches).edges.map((e) => e.id)).toEqual(["t-next-c"]);
  });

  it("copy and paste keeps inner edges, renames ids and references, and offsets positions", () => {
    const g: EditorGraph = {
      nodes: [...base.nodes, node("q", "condition", { mode: "yes-no", match: "all", rules: [{ type: "email", action: "opened", sendNodeId: "s" }] })],
      edges: [...base.edges, { id: "s-next-q", source: "s", sourceHandle: "next", target: "q" }, { id: "q-yes-x", source: "q", sourceHandle: "yes", target: "x" }],
    };
    const clip = copySelection(g, ["s", "q"]);
    expect(clip.edges.map((e) => e.id)).toEqual(["s-next-q"]);
    const { graph, ids } = paste(g, clip);
    expect(ids).toEqual(["send-email-1", "condition-1"]);
    expect(graph.edges.at(-1)).toMatchObject({ source: "send-email-1", target: "condition-1" });
    const pasted = graph.nodes.find((n) => n.id === "condition-1")!;
    expect((pasted.config.rules as { sendNodeId: string }[])[0]!.sendNodeId).toBe("send-email-1");
    expect(pasted.position).toEqual({ x: 40, y: 40 });
    expect(graph.nodes).toHaveLength(g.nodes.length + 2);
  });

  it("diff names added, removed and changed nodes; a move is no change", () => {
    const after: EditorGraph = {
      nodes: [
        { ...base.nodes[0]!, position: { x: 500, y: 500 } },
        base.nodes[1]!,
        { ...base.nodes[2]!, config: { templateId: "b" } },
        node("d", "delay", { durationMs: 60_000 }),
      ],
      edges: [...base.edges, { id: "c-yes-d", source: "c", sourceHandle: "yes", target: "d" }],
    };
    expect(diffGraphs(base, after)).toEqual({ added: ["d"], removed: ["x"], changed: ["c", "s"], unchanged: ["t"] });
  });

  it("history: undo and redo round-trip; a new edit drops the redo branch", () => {
    let h = history(1);
    h = record(h, 2);
    h = record(h, 3);
    h = undo(undo(h));
    expect(h.present).toBe(1);
    h = redo(h);
    expect(h.present).toBe(2);
    h = record(h, 9);
    expect(redo(h)).toBe(h);
    expect(undo(h).present).toBe(2);
    expect(undo(history(0))).toEqual(history(0));
  });
});
