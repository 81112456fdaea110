import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { MS } from "./duration";
import type { Plan } from "./plan";
import { simulate, type SimContact } from "./simulate";
import { pickSplitBranch } from "./split";

type N = { id: string; kind: string; config?: Record<string, unknown> };
type E = [source: string, handle: string, target: string];

function plan(nodes: N[], edges: E[], visitCap?: number): Plan {
  const result = compile(
    {
      nodes: nodes.map((n) => ({ position: { x: 0, y: 0 }, config: {}, ...n })),
      edges: edges.map(([source, sourceHandle, target], i) => ({ id: `e${i}`, source, sourceHandle, target })),
    },
    visitCap === undefined ? {} : { visitCap },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

const START = "2026-03-02T15:00:00.000Z"; // Monday 10:00 in New York
const at = (offsetMs: number) => new Date(Date.parse(START) + offsetMs).toISOString();
const contact = (over: Partial<SimContact> = {}): SimContact => ({ id: "contact-1", timeZone: "America/New_York", ...over });
const manual: N = { id: "t", kind: "manual-enrol" };
const exit: N = { id: "x", kind: "exit" };
const send = (id: string, templateId: string): N => ({ id, kind: "send-email", config: { templateId } });
const path = (r: { steps: { nodeId: string }[] }) => r.steps.map((s) => s.nodeId);

const drip = plan(
  [
    manual,
    send("s1", "welcome"),
    { id: "d1", kind: "delay", config: { durationMs: 2 * MS.day } },
    { id: "c1", kind: "condition", config: { mode: "yes-no", rules: [{ type: "email", action: "opened", sendNodeId: "s1" }] } },
    send("sA", "thanks-for-reading"),
    send("sB", "did-you-see"),
    exit,
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

describe("simulate: the drip", () => {
  it("sends, waits two days, and takes yes when the welcome was opened", () => {
    const r = simulate(drip, contact({ emails: [{ templateId: "welcome", action: "opened", at: at(MS.hour) }] }), [], { start: START });
    expect(path(r)).toEqual(["t", "s1", "d1", "c1", "sA", "x"]);
    expect(r.endedBy).toBe("exit");
    expect(r.steps.map((s) => s.at)).toEqual([at(0), at(0), at(0), at(2 * MS.day), at(2 * MS.day), at(2 * MS.day)]);
    expect(r.steps[2]).toMatchObject({ until: at(2 * MS.day), outcome: "waited", exit: "next" });
    expect(r.steps[1]).toMatchObject({ outcome: "sent", detail: `Would send template welcome at ${at(0)}` });
    expect(r.steps[4]?.detail).toContain("thanks-for-reading");
  });

  it("takes no when nothing was opened, or the open came after the check", () => {
    expect(path(simulate(drip, contact(), [], { start: START }))).toEqual(["t", "s1", "d1", "c1", "sB", "x"]);
    const late = contact({ emails: [{ templateId: "welcome", action: "opened", at: at(3 * MS.day) }] });
    expect(path(simulate(drip, late, [], { start: START }))).toContain("sB");
  });

  it("does not count an open of the same template from before this run's send", () => {
    const old = contact({ emails: [{ templateId: "welcome", action: "opened", at: at(-MS.day) }] });
    expect(path(simulate(drip, old, [], { start: START }))).toContain("sB");
  });

  it("counts a click as an open", () => {
    const clicked = contact({ emails: [{ templateId: "welcome", action: "clicked", at: at(MS.minute) }] });
    expect(path(simulate(drip, clicked, [], { start: START }))).toContain("sA");
  });

  it("stops at the horizon with the contact still waiting", () => {
    const r = simulate(drip, contact(), [], { start: START, until: at(MS.day) });
    expect(r.endedBy).toBe("end");
    expect(r.steps[r.steps.length - 1]).toMatchObject({ nodeId: "d1", outcome: "waiting", exit: null });
    expect(r.endedAt).toBe(at(MS.day));
  });

  it("can start at a given node", () => {
    const r = simulate(drip, contact(), [], { start: START }, { startNodeId: "c1" });
    expect(path(r)).toEqual(["c1", "sB", "x"]);
  });
});

describe("simulate: wait for event", () => {
  const cart = plan(
    [
      { id: "t", kind: "event-tracked", config: { event: "Cart Abandoned" } },
      {
        id: "w",
        kind: "wait-for-event",
        config: { event: "Order Completed", filters: [{ property: "total", op: "gt", value: 0 }], correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: MS.day },
      },
      { id: "g", kind: "goal", config: { name: "Bought" } },
      send("remind", "cart-reminder"),
      exit,
    ],
    [
      ["t", "next", "w"],
      ["w", "matched", "g"],
      ["w", "timeout", "remind"],
      ["remind", "next", "x"],
    ],
  );
  const trigger = { cartId: "cart-7" };

  it("takes matched at the first matching event's time", () => {
    const events = [
      { name: "Order Completed", at: at(3 * MS.hour), properties: { cartId: "cart-7", total: 40 } },
      { name: "Order Completed", at: at(5 * MS.hour), properties: { cartId: "cart-7", total: 10 } },
    ];
    const r = simulate(cart, contact(), events, { start: START }, { trigger });
    expect(r.steps[1]).toMatchObject({ nodeId: "w", exit: "matched", until: at(3 * MS.hour) });
    expect(r.steps[2]).toMatchObject({ nodeId: "g", at: at(3 * MS.hour) });
    expect(r.endedBy).toBe("goal");
  });

  it("ignores another cart, a failing filter and events after the timeout", () => {
    const events = [
      { name: "Order Completed", at: at(MS.hour), properties: { cartId: "cart-8", total: 40 } },
      { name: "Order Completed", at: at(2 * MS.hour), properties: { cartId: "cart-7", total: 0 } },
      { name: "Order Completed", at: at(MS.day + MS.minute), properties: { cartId: "cart-7", total: 40 } },
    ];
    const r = simulate(cart, contact(), events, { start: START }, { trigger });
    expect(r.steps[1]).toMatchObject({ nodeId: "w", exit: "timeout", outcome: "timeout", until: at(MS.day) });
    expect(path(r)).toEqual(["t", "w", "remind", "x"]);
    expect(r.steps[2]?.at).toBe(at(MS.day));
  });

  it("sees an event from after enrolment but before the wait began (look-back)", () => {
    const lookback = plan(
      [
        { id: "t", kind: "event-tracked", config: { event: "Cart Abandoned" } },
        { id: "d", kind: "delay", config: { durationMs: MS.hour } },
        { id: "w", kind: "wait-for-event", config: { event: "Order Completed", correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: MS.day } },
        exit,
        { id: "x2", kind: "exit" },
      ],
      [
        ["t", "next", "d"],
        ["d", "next", "w"],
        ["w", "matched", "x"],
        ["w", "timeout", "x2"],
      ],
    );
    const oneSecondEarly = [{ name: "Order Completed", at: at(MS.hour - 1000), properties: { cartId: "cart-7" } }];
    const r = simulate(lookback, contact(), oneSecondEarly, { start: START }, { trigger });
    expect(r.steps[2]).toMatchObject({ nodeId: "w", at: at(MS.hour), exit: "matched" });
    expect(r.steps[2]?.until).toBeUndefined();
    const beforeEnrolment = [{ name: "Order Completed", at: at(-1000), properties: { cartId: "cart-7" } }];
    expect(simulate(lookback, contact(), beforeEnrolment, { start: START }, { trigger }).steps[2]?.exit).toBe("timeout");
  });

  it("takes the correlation value from the triggering event when no payload is given", () => {
    const events = [
      { name: "Cart Abandoned", at: at(-MS.minute), properties: { cartId: "cart-9" } },
      { name: "Order Completed", at: at(MS.hour), properties: { cartId: "cart-9", total: 5 } },
    ];
    expect(simulate(cart, contact(), events, { start: START }).steps[1]?.exit).toBe("matched");
  });

  it("does not let one event satisfy the same wait twice on a loop", () => {
    const loop = plan(
      [manual, { id: "w", kind: "wait-for-event", config: { event: "Ping", timeoutMs: MS.day } }, { id: "a", kind: "add-tag", config: { tag: "pinged" } }, exit],
      [
        ["t", "next", "w"],
        ["w", "matched", "a"],
        ["a", "next", "w"],
        ["w", "timeout", "x"],
      ],
    );
    const pings = [
      { name: "Ping", at: at(MS.hour) },
      { name: "Ping", at: at(2 * MS.hour) },
    ];
    const r = simulate(loop, contact(), pings, { start: START });
    expect(r.steps.map((s) => `${s.nodeId}:${s.exit}`)).toEqual(["t:next", "w:matched", "a:next", "w:matched", "a:next", "w:timeout", "x:null"]);
    expect(r.steps[5]?.until).toBe(at(2 * MS.hour + MS.day));
  });

  it("matches nothing when the trigger lacks the correlated property", () => {
    const events = [{ name: "Order Completed", at: at(MS.hour), properties: { total: 5 } }];
    expect(simulate(cart, contact(), events, { start: START }, { trigger: {} }).steps[1]?.exit).toBe("timeout");
  });
});

describe("simulate: time windows and dates", () => {
  const windowed = (config: Record<string, unknown>) =>
    plan(
      [manual, { id: "w", kind: "wait-window", config: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00", ...config } }, send("s", "promo"), exit],
      [
        ["t", "next", "w"],
        ["w", "next", "s"],
        ["s", "next", "x"],
      ],
    );

  it("waits from Friday evening to Monday 09:00 New York time across the DST change", () => {
    // Friday 2026-03-06 18:00 EST; clocks spring forward on Sunday; Monday 09:00 EDT = 13:00Z.
    const r = simulate(windowed({}), contact(), [], { start: "2026-03-06T23:00:00Z" });
    expect(r.steps[1]).toMatchObject({ nodeId: "w", outcome: "waited", until: "2026-03-09T13:00:00.000Z" });
    expect(r.steps[2]).toMatchObject({ nodeId: "s", at: "2026-03-09T13:00:00.000Z" });
    expect(r.steps[1]?.detail).toContain("mon 09:00 local");
  });

  it("continues at once inside the window", () => {
    const r = simulate(windowed({}), contact(), [], { start: START });
    expect(r.steps[1]).toMatchObject({ outcome: "continued", at: START });
    expect(r.steps[2]?.at).toBe(START);
  });

  it("uses the contact's zone first, then the node's, then the workspace default", () => {
    const start = "2026-03-02T12:00:00Z"; // 07:00 New York, 13:00 Oslo, 21:00 Tokyo
    expect(simulate(windowed({ timeZone: "Asia/Tokyo" }), contact({ timeZone: "Europe/Oslo" }), [], { start }).steps[1]?.outcome).toBe("continued");
    expect(simulate(windowed({ timeZone: "Asia/Tokyo" }), contact({ timeZone: null }), [], { start }).steps[1]?.until).toBe("2026-03-03T00:00:00.000Z");
    expect(simulate(windowed({}), contact({ timeZone: "Not/AZone" }), [], { start }, { defaultTimeZone: "America/New_York" }).steps[1]?.until).toBe(
      "2026-03-02T14:00:00.000Z",
    );
  });

  const until = (config: Record<string, unknown>) =>
    plan(
      [manual, { id: "u", kind: "wait-until", config }, send("s", "renewal"), exit],
      [
        ["t", "next", "u"],
        ["u", "next", "s"],
        ["s", "next", "x"],
      ],
    );

  it("waits until a date attribute minus an offset, at the local time of day", () => {
    const p = until({ mode: "attribute", attribute: "renewsOn", offsetMs: -3 * MS.day, time: "08:00" });
    const r = simulate(p, contact({ attributes: { renewsOn: "2026-03-20" } }), [], { start: START });
    // 2026-03-17 08:00 EDT = 12:00Z.
    expect(r.steps[1]).toMatchObject({ outcome: "waited", until: "2026-03-17T12:00:00.000Z" });
  });

  it("continues at once when the date has passed or is missing", () => {
    const p = until({ mode: "attribute", attribute: "renewsOn" });
    expect(simulate(p, contact({ attributes: { renewsOn: "2020-01-01" } }), [], { start: START }).steps[1]?.outcome).toBe("continued");
    const missing = simulate(p, contact(), [], { start: START }).steps[1];
    expect(missing).toMatchObject({ outcome: "continued", at: START });
    expect(missing?.detail).toMatch(/no usable date/);
  });

  it("waits until a fixed date", () => {
    const r = simulate(until({ mode: "date", at: "2026-04-01T09:00:00+02:00" }), contact(), [], { start: START });
    expect(r.steps[2]?.at).toBe("2026-04-01T07:00:00.000Z");
  });
});

describe("simulate: conditions", () => {
  const branching = plan(
    [
      manual,
      {
        id: "c",
        kind: "condition",
        config: {
          mode: "branches",
          branches: [
            { id: "vip", label: "VIP", rules: [{ type: "tag", tag: "vip" }] },
            { id: "member", label: "In segment", rules: [{ type: "segment", segmentId: "seg-1" }] },
            {
              id: "rich",
              label: "Big spender or recent buyer",
              match: "any",
              rules: [
                { type: "attribute", attribute: "ltv", op: "gte", value: 1000 },
                { type: "event", event: "Order Completed", filters: [{ property: "total", op: "gt", value: 50 }], withinMs: 30 * MS.day },
              ],
            },
          ],
        },
      },
      { id: "x1", kind: "exit" },
      { id: "x2", kind: "exit" },
      { id: "x3", kind: "exit" },
      { id: "x4", kind: "exit" },
    ],
    [
      ["t", "next", "c"],
      ["c", "branch:vip", "x1"],
      ["c", "branch:member", "x2"],
      ["c", "branch:rich", "x3"],
      ["c", "else", "x4"],
    ],
  );
  const branch = (c: SimContact, events: { name: string; at: string; properties?: Record<string, unknown> }[] = []) =>
    simulate(branching, c, events, { start: START }).steps[1]?.exit;

  it("takes the first matching branch", () => {
    expect(branch(contact({ tags: ["VIP"], segments: ["seg-1"] }))).toBe("branch:vip");
    expect(branch(contact({ segments: ["seg-1"] }))).toBe("branch:member");
    expect(branch(contact({ attributes: { ltv: 1500 } }))).toBe("branch:rich");
    expect(branch(contact({ attributes: { ltv: "999" } }))).toBe("else");
  });

  it("evaluates event-happened rules within their window and filters", () => {
    expect(branch(contact(), [{ name: "Order Completed", at: at(-2 * MS.day), properties: { total: 80 } }])).toBe("branch:rich");
    expect(branch(contact(), [{ name: "Order Completed", at: at(-40 * MS.day), properties: { total: 80 } }])).toBe("else");
    expect(branch(contact(), [{ name: "Order Completed", at: at(-2 * MS.day), properties: { total: 20 } }])).toBe("else");
    expect(branch(contact(), [{ name: "Order Completed", at: at(MS.day), properties: { total: 80 } }])).toBe("else");
  });

  it("sees tags and attributes changed earlier in the run", () => {
    const p = plan(
      [
        manual,
        { id: "a", kind: "add-tag", config: { tag: "vip" } },
        { id: "r", kind: "remove-tag", config: { tag: "trial" } },
        { id: "u", kind: "update-attribute", config: { attribute: "score", op: "increment", value: 5 } },
        {
          id: "c",
          kind: "condition",
          config: {
            mode: "yes-no",
            rules: [
              { type: "tag", tag: "vip" },
              { type: "tag", tag: "trial", has: false },
              { type: "attribute", attribute: "score", op: "eq", value: 7 },
            ],
          },
        },
        { id: "yes", kind: "exit" },
        { id: "no", kind: "exit" },
      ],
      [
        ["t", "next", "a"],
        ["a", "next", "r"],
        ["r", "next", "u"],
        ["u", "next", "c"],
        ["c", "yes", "yes"],
        ["c", "no", "no"],
      ],
    );
    const r = simulate(p, contact({ tags: ["trial"], attributes: { score: 2 } }), [], { start: START });
    expect(path(r)).toEqual(["t", "a", "r", "u", "c", "yes"]);
    expect(r.steps[3]?.detail).toBe("Would increment score → 7");
    expect(simulate(p, contact({ tags: ["trial"], attributes: { score: 3 } }), [], { start: START }).steps[4]?.exit).toBe("no");
  });
});

describe("simulate: split, webhook, goal, exit, visit cap", () => {
  const split = plan(
    [
      manual,
      { id: "r", kind: "random-split", config: { branches: [{ id: "a", label: "A", weight: 1 }, { id: "b", label: "B", weight: 1 }] } },
      { id: "xa", kind: "exit" },
      { id: "xb", kind: "exit" },
    ],
    [
      ["t", "next", "r"],
      ["r", "split:a", "xa"],
      ["r", "split:b", "xb"],
    ],
  );

  it("splits deterministically with the exported hash", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const id = `contact-${i}`;
      const expected = pickSplitBranch(id, "r", [{ id: "a", weight: 1 }, { id: "b", weight: 1 }]).id;
      const first = simulate(split, contact({ id }), [], { start: START });
      const again = simulate(split, contact({ id }), [], { start: at(MS.day) });
      expect(first.steps[1]?.exit).toBe(`split:${expected}`);
      expect(again.steps[1]?.exit).toBe(first.steps[1]?.exit);
      seen.add(first.steps[1]?.exit ?? "");
    }
    expect(seen).toEqual(new Set(["split:a", "split:b"]));
  });

  it("records a webhook call without making it", () => {
    const p = plan(
      [manual, { id: "h", kind: "webhook", config: { url: "https://hooks.example.com/in" } }, exit],
      [
        ["t", "next", "h"],
        ["h", "next", "x"],
      ],
    );
    expect(simulate(p, contact(), [], { start: START }).steps[1]).toMatchObject({ outcome: "done", detail: "Would call POST https://hooks.example.com/in" });
  });

  it("ends at an exit with its reason", () => {
    const p = plan([manual, { id: "x", kind: "exit", config: { reason: "not eligible" } }], [["t", "next", "x"]]);
    const r = simulate(p, contact(), [], { start: START });
    expect(r.endedBy).toBe("exit");
    expect(r.steps[1]).toMatchObject({ outcome: "exit", exit: null, detail: "Exited: not eligible" });
  });

  it("leaves a wait for the goal when the goal event happens", () => {
    const p = plan(
      [
        manual,
        { id: "d", kind: "delay", config: { durationMs: 3 * MS.day } },
        send("s", "nudge"),
        exit,
        { id: "g", kind: "goal", config: { name: "Upgraded", event: { name: "Plan Upgraded", filters: [] } } },
      ],
      [
        ["t", "next", "d"],
        ["d", "next", "s"],
        ["s", "next", "x"],
      ],
    );
    const r = simulate(p, contact(), [{ name: "Plan Upgraded", at: at(MS.day) }], { start: START });
    expect(r.endedBy).toBe("goal");
    expect(path(r)).toEqual(["t", "d", "g"]);
    expect(r.steps[1]).toMatchObject({ outcome: "interrupted", until: at(MS.day) });
    expect(r.steps.some((s) => s.kind === "send-email")).toBe(false);
    // Without the event the nudge goes out after three days.
    expect(simulate(p, contact(), [], { start: START }).steps[2]).toMatchObject({ nodeId: "s", at: at(3 * MS.day) });
  });

  it("stops a loop at the visit cap", () => {
    const p = plan(
      [
        manual,
        send("s", "weekly"),
        { id: "d", kind: "delay", config: { durationMs: 7 * MS.day } },
        { id: "c", kind: "condition", config: { mode: "yes-no", rules: [{ type: "tag", tag: "done" }] } },
        exit,
      ],
      [
        ["t", "next", "s"],
        ["s", "next", "d"],
        ["d", "next", "c"],
        ["c", "no", "s"],
        ["c", "yes", "x"],
      ],
      3,
    );
    const r = simulate(p, contact(), [], { start: START });
    expect(r.endedBy).toBe("visit-cap");
    expect(r.steps.filter((s) => s.outcome === "sent")).toHaveLength(3);
    expect(r.steps[r.steps.length - 1]).toMatchObject({ nodeId: "s", outcome: "visit-cap" });
    expect(r.endedAt).toBe(at(21 * MS.day));
  });

  it("records the trigger as the first step", () => {
    expect(simulate(drip, contact(), [], { start: START }).steps[0]).toEqual({
      nodeId: "t",
      kind: "manual-enrol",
      at: START,
      exit: "next",
      outcome: "enrolled",
      detail: "Entered: Manual or API enrol",
    });
  });
});

describe("simulate: notify team and the send-within limit", () => {
  const A = "00000000-0000-4000-8000-00000000000a";
  const B = "00000000-0000-4000-8000-00000000000b";
  const notify = plan(
    [manual, { id: "n", kind: "notify-team", config: { memberIds: [A, B], message: "Hot lead" } }, exit],
    [
      ["t", "next", "n"],
      ["n", "next", "x"],
    ],
  );

  it("would notify every chosen member, or only those still members when the workspace's are known", () => {
    expect(simulate(notify, contact(), [], { start: START }).steps[1]).toMatchObject({ outcome: "done", exit: "next", detail: "Would notify 2 members" });
    const known = simulate(notify, contact(), [], { start: START }, { members: [B.toUpperCase()] });
    expect(known.steps[1]?.detail).toBe("Would notify 1 member (1 no longer a member, skipped)");
    expect(path(known)).toEqual(["t", "n", "x"]);
  });

  it("asks the send gate with the node's limit and when the contact reached it", () => {
    const p = plan(
      [manual, { id: "s", kind: "send-email", config: { templateId: "tpl", sendWithinHours: 6 } }, exit],
      [
        ["t", "next", "s"],
        ["s", "next", "x"],
      ],
    );
    const asked: { sendWithinHours: number | null; reachedAt: number; at: number }[] = [];
    const r = simulate(p, contact(), [], { start: START }, {
      sendGate: (q) => {
        asked.push({ sendWithinHours: q.sendWithinHours, reachedAt: q.reachedAt, at: q.at });
        return asked.length === 1 ? { kind: "defer", until: q.at + MS.hour, detail: "Deferred" } : { kind: "skip", detail: "Not sent: held" };
      },
    });
    expect(asked).toEqual([
      { sendWithinHours: 6, reachedAt: Date.parse(START), at: Date.parse(START) },
      { sendWithinHours: 6, reachedAt: Date.parse(START), at: Date.parse(START) + MS.hour },
    ]);
    expect(r.steps[1]).toMatchObject({ outcome: "skipped", exit: "next" });
  });
});
