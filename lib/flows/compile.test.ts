import { describe, expect, it } from "vitest";
import { compile, type CompileError } from "./compile";
import { MS } from "./duration";
import type { FlowGraphInput } from "./graph";
import { canonicalJson, goalEvents, planSchema, type Plan } from "./plan";

type N = { id: string; kind: string; config?: Record<string, unknown>; label?: string };
type E = [source: string, handle: string, target: string];

function graph(nodes: N[], edges: E[]): FlowGraphInput {
  return {
    nodes: nodes.map((n, i) => ({ position: { x: i * 10, y: i * 20 }, config: {}, ...n })),
    edges: edges.map(([source, sourceHandle, target], i) => ({ id: `e${i}`, source, sourceHandle, target })),
  };
}

const trigger: N = { id: "t", kind: "event-tracked", config: { event: "Cart Abandoned", filters: [] } };
const send = (id: string, templateId = "tpl-1"): N => ({ id, kind: "send-email", config: { templateId } });
const exit = (id = "x"): N => ({ id, kind: "exit" });
const delay = (id: string, durationMs = 2 * MS.day): N => ({ id, kind: "delay", config: { durationMs } });

function expectOk(g: unknown): Plan {
  const result = compile(g);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.plan;
}

function expectErrors(g: unknown): CompileError[] {
  const result = compile(g);
  if (result.ok) throw new Error("expected errors, got a plan");
  return result.errors;
}

const drip = graph(
  [
    trigger,
    send("s1"),
    delay("d1"),
    { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "email", action: "opened", sendNodeId: "s1" }] } },
    send("sA", "tpl-a"),
    send("sB", "tpl-b"),
    exit(),
  ],
  [
    ["t", "next", "s1"],
    ["s1", "next", "d1"],
    ["d1", "next", "c1"],
    ["c1", "yes", "sA"],
    ["c1", "no", "sB"],
    ["sA", "next", "x"],
    ["sB", "next", "x"],
  ],
);

describe("compile: valid graphs", () => {
  it("compiles a drip into a plan with resolved exits and the trigger description", () => {
    const plan = expectOk(drip);
    expect(plan.trigger).toEqual({ nodeId: "t", kind: "event-tracked", config: { event: "Cart Abandoned", filters: [] } });
    expect(plan.nodes.c1?.next).toEqual({ no: "sB", yes: "sA" });
    expect(plan.nodes.t?.next).toEqual({ next: "s1" });
    expect(plan.nodes.x?.next).toEqual({});
    expect(Object.values(plan.nodes).every((n) => n.maxVisits === 1)).toBe(true);
    // Defaults are filled in, so the runner never guesses.
    const c1 = plan.nodes.c1;
    expect(c1?.kind === "condition" && c1.config.mode === "yes-no" && c1.config.match).toBe("all");
  });

  it("produces a plan the runner's schema accepts after a JSON round trip", () => {
    const plan = expectOk(drip);
    expect(planSchema.parse(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it("gives the same canonical JSON whatever the order, positions and labels", () => {
    const a = drip as { nodes: N[]; edges: unknown[] };
    const shuffled = {
      nodes: [...a.nodes].reverse().map((n, i) => ({ ...n, label: `Step ${i}`, position: { x: 999 - i, y: i } })),
      edges: [...a.edges].reverse(),
      viewport: { x: 1, y: 2, zoom: 0.5 },
    };
    expect(canonicalJson(expectOk(shuffled))).toBe(canonicalJson(expectOk(drip)));
    expect(canonicalJson(expectOk(drip))).not.toContain("position");
  });

  it("changes the canonical JSON when behaviour changes", () => {
    const changed = structuredClone(drip) as { nodes: N[] };
    changed.nodes[2]!.config = { durationMs: 3 * MS.day };
    expect(canonicalJson(expectOk(changed))).not.toBe(canonicalJson(expectOk(drip)));
  });

  it("accepts a loop through a delay and caps visits on the loop only", () => {
    const g = graph(
      [
        trigger,
        send("s1"),
        delay("d1"),
        { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "tag", tag: "buyer" }] } },
        exit(),
      ],
      [
        ["t", "next", "s1"],
        ["s1", "next", "d1"],
        ["d1", "next", "c1"],
        ["c1", "no", "s1"],
        ["c1", "yes", "x"],
      ],
    );
    const result = compile(g, { visitCap: 5 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.visitCap).toBe(5);
    expect(result.plan.nodes.s1?.maxVisits).toBe(5);
    expect(result.plan.nodes.d1?.maxVisits).toBe(5);
    expect(result.plan.nodes.t?.maxVisits).toBe(1);
    expect(result.plan.nodes.x?.maxVisits).toBe(1);
  });

  it("derives multi-way and split exits from config", () => {
    const g = graph(
      [
        trigger,
        {
          id: "c",
          kind: "condition",
          config: {
            mode: "branches",
            branches: [
              { id: "vip", label: "VIP", rules: [{ type: "tag", tag: "vip" }] },
              { id: "us", label: "US", rules: [{ type: "attribute", attribute: "country", op: "eq", value: "US" }] },
            ],
          },
        },
        { id: "r", kind: "random-split", config: { branches: [{ id: "a", label: "A", weight: 1 }, { id: "b", label: "B", weight: 3 }] } },
        { id: "w", kind: "wait-for-event", config: { event: "Order Completed", correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: MS.day } },
        { id: "g", kind: "goal", config: { name: "Purchased", event: { name: "Order Completed", filters: [] } } },
        exit(),
      ],
      [
        ["t", "next", "c"],
        ["c", "branch:vip", "r"],
        ["c", "branch:us", "w"],
        ["c", "else", "x"],
        ["r", "split:a", "x"],
        ["r", "split:b", "w"],
        ["w", "matched", "g"],
        ["w", "timeout", "x"],
      ],
    );
    const plan = expectOk(g);
    expect(plan.nodes.c?.next).toEqual({ "branch:us": "w", "branch:vip": "r", else: "x" });
    expect(plan.nodes.r?.next).toEqual({ "split:a": "x", "split:b": "w" });
    expect(plan.nodes.w?.next).toEqual({ matched: "g", timeout: "x" });
    expect(goalEvents(plan)).toEqual([{ nodeId: "g", event: "Order Completed", filters: [] }]);
  });
});

describe("compile: rejections", () => {
  it("rejects a flow without a trigger, blaming no node", () => {
    const errors = expectErrors(graph([send("s1", "tpl"), exit()], [["s1", "next", "x"]]));
    expect(errors).toContainEqual({ nodeId: null, message: expect.stringMatching(/needs a trigger/) });
  });

  it("rejects several triggers, blaming each", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "t2", kind: "manual-enrol" }, exit()],
        [
          ["t", "next", "x"],
          ["t2", "next", "x"],
        ],
      ),
    );
    const blamed = errors.filter((e) => /exactly one trigger/.test(e.message)).map((e) => e.nodeId);
    expect(blamed.sort()).toEqual(["t", "t2"]);
  });

  it("rejects unreachable nodes", () => {
    const errors = expectErrors(
      graph(
        [trigger, exit(), send("orphan"), exit("x2")],
        [
          ["t", "next", "x"],
          ["orphan", "next", "x2"],
        ],
      ),
    );
    const blamed = errors.filter((e) => /Cannot be reached/.test(e.message)).map((e) => e.nodeId);
    expect(blamed.sort()).toEqual(["orphan", "x2"]);
  });

  it("lets a goal with an event stand alone (the goal watcher jumps to it), but not one without", () => {
    const withEvent = { id: "g", kind: "goal", config: { name: "Bought", event: { name: "Order Completed" } } };
    expectOk(graph([trigger, exit(), withEvent], [["t", "next", "x"]]));
    const errors = expectErrors(graph([trigger, exit(), { id: "g", kind: "goal", config: { name: "Bought" } }], [["t", "next", "x"]]));
    expect(errors).toEqual([{ nodeId: "g", message: expect.stringMatching(/Cannot be reached/) }]);
  });

  it("rejects unconnected exits, naming the exit", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "tag", tag: "vip" }] } }, exit()],
        [
          ["t", "next", "c1"],
          ["c1", "yes", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "c1", message: expect.stringMatching(/Exit "No" \(no\) is not connected/) }]);
  });

  it("rejects a loop without a wait", () => {
    const errors = expectErrors(
      graph(
        [trigger, send("s1"), { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "tag", tag: "vip" }] } }, exit()],
        [
          ["t", "next", "s1"],
          ["s1", "next", "c1"],
          ["c1", "no", "s1"],
          ["c1", "yes", "x"],
        ],
      ),
    );
    const blamed = errors.filter((e) => /loop/.test(e.message)).map((e) => e.nodeId);
    expect(blamed.sort()).toEqual(["c1", "s1"]);
  });

  it("rejects a loop whose only wait may pass instantly (a time window)", () => {
    const errors = expectErrors(
      graph(
        [trigger, send("s1"), { id: "w", kind: "wait-window", config: { days: ["mon"], from: "09:00", to: "17:00" } }],
        [
          ["t", "next", "s1"],
          ["s1", "next", "w"],
          ["w", "next", "s1"],
        ],
      ),
    );
    expect(errors.filter((e) => /loop/.test(e.message)).map((e) => e.nodeId).sort()).toEqual(["s1", "w"]);
  });

  it("rejects a self-loop", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "a", kind: "add-tag", config: { tag: "x" } }],
        [
          ["t", "next", "a"],
          ["a", "next", "a"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "a", message: expect.stringMatching(/loop/) }]);
  });

  it("rejects missing config, naming the field", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "s1", kind: "send-email", config: {} }, exit()],
        [
          ["t", "next", "s1"],
          ["s1", "next", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "s1", message: expect.stringMatching(/^templateId: /) }]);
  });

  it("rejects invalid config, naming the nested field", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "attribute", attribute: "plan", op: "in", value: "pro" }] } }, exit()],
        [
          ["t", "next", "c1"],
          ["c1", "yes", "x"],
          ["c1", "no", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "c1", message: 'rules.0.value: "in" needs a list of values' }]);
  });

  it.each([
    "http://localhost:3000/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook",
    "ftp://example.com/",
    "http://[::1]/",
  ])("rejects a webhook to %s", (url) => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "h", kind: "webhook", config: { url } }, exit()],
        [
          ["t", "next", "h"],
          ["h", "next", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "h", message: expect.stringMatching(/^url: the URL /) }]);
  });

  it("accepts a webhook to a public https URL", () => {
    expectOk(
      graph(
        [trigger, { id: "h", kind: "webhook", config: { url: "https://hooks.example.com/in" } }, exit()],
        [
          ["t", "next", "h"],
          ["h", "next", "x"],
        ],
      ),
    );
  });

  it("rejects unknown kinds", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "sms", kind: "send-sms" }, exit()],
        [
          ["t", "next", "sms"],
          ["sms", "next", "x"],
        ],
      ),
    );
    expect(errors).toContainEqual({ nodeId: "sms", message: 'Unknown node kind "send-sms".' });
  });

  it("rejects edges to missing nodes, blaming the source", () => {
    const errors = expectErrors(graph([trigger], [["t", "next", "ghost"]]));
    expect(errors).toContainEqual({ nodeId: "t", message: expect.stringMatching(/"ghost", which does not exist/) });
  });

  it("rejects edges from missing nodes", () => {
    const errors = expectErrors(
      graph(
        [trigger, exit()],
        [
          ["t", "next", "x"],
          ["ghost", "next", "x"],
        ],
      ),
    );
    expect(errors).toContainEqual({ nodeId: "x", message: expect.stringMatching(/starts at node "ghost"/) });
  });

  it("rejects edges from an exit the node does not have", () => {
    const errors = expectErrors(
      graph(
        [trigger, send("s1"), exit()],
        [
          ["t", "next", "s1"],
          ["s1", "next", "x"],
          ["s1", "yes", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "s1", message: 'Has no exit "yes" to connect from.' }]);
  });

  it("rejects one exit connected to two nodes", () => {
    const errors = expectErrors(
      graph(
        [trigger, send("s1"), exit(), exit("x2")],
        [
          ["t", "next", "s1"],
          ["s1", "next", "x"],
          ["s1", "next", "x2"],
        ],
      ),
    );
    expect(errors).toContainEqual({ nodeId: "s1", message: expect.stringMatching(/more than one node/) });
  });

  it("rejects connections into the trigger", () => {
    const errors = expectErrors(
      graph(
        [trigger, delay("d")],
        [
          ["t", "next", "d"],
          ["d", "next", "t"],
        ],
      ),
    );
    expect(errors).toContainEqual({ nodeId: "t", message: expect.stringMatching(/nothing can connect into it/) });
  });

  it("rejects duplicate node ids", () => {
    const errors = expectErrors(graph([trigger, exit(), exit()], [["t", "next", "x"]]));
    expect(errors).toContainEqual({ nodeId: "x", message: expect.stringMatching(/more than one node/) });
  });

  it("rejects a malformed document, tying node problems to the node", () => {
    expect(expectErrors("not a graph")).toEqual([{ nodeId: null, message: expect.stringMatching(/^flow: /) }]);
    const errors = expectErrors({ nodes: [{ id: "t", kind: "manual-enrol" }], edges: [] });
    expect(errors).toEqual([{ nodeId: "t", message: expect.stringMatching(/^nodes\[0\]\.position: /) }]);
  });

  it("rejects node ids that would break step ids", () => {
    const errors = expectErrors({ nodes: [{ id: "a#1", kind: "exit", position: { x: 0, y: 0 } }], edges: [] });
    expect(errors[0]?.message).toMatch(/nodes\[0\]\.id: ids use letters/);
  });

  it("rejects an email rule that points at a node that is not a send", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "email", action: "clicked", sendNodeId: "x" }] } }, exit()],
        [
          ["t", "next", "c1"],
          ["c1", "yes", "x"],
          ["c1", "no", "x"],
        ],
      ),
    );
    expect(errors).toEqual([{ nodeId: "c1", message: expect.stringMatching(/not a Send email node/) }]);
  });

  it("reports every problem at once", () => {
    const errors = expectErrors(
      graph(
        [trigger, { id: "s1", kind: "send-email", config: {} }, { id: "q", kind: "mystery" }],
        [["t", "next", "s1"]],
      ),
    );
    expect(new Set(errors.map((e) => e.nodeId))).toEqual(new Set(["s1", "q"]));
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });
});
