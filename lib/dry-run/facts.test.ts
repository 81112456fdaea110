import { describe, expect, it } from "vitest";
import { compile } from "../flows/compile";
import { MS } from "../flows/duration";
import type { Plan } from "../flows/plan";
import { simulate } from "../flows/simulate";
import { dryRunFactsSchema, planNeeds, simInputs, type DryRunFacts } from "./facts";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const SEG = "33333333-3333-4333-8333-333333333333";
const CONTACT = "44444444-4444-4444-8444-444444444444";
const M1 = "55555555-5555-4555-8555-555555555555";
const M2 = "66666666-6666-4666-8666-666666666666";
const START = Date.parse("2026-03-02T15:00:00.000Z"); // Monday 16:00 in Oslo

function plan(nodes: [string, string, Record<string, unknown>?][], edges: [string, string, string][]): Plan {
  const r = compile({
    nodes: nodes.map(([id, kind, config]) => ({ id, kind, config: config ?? {}, position: { x: 0, y: 0 } })),
    edges: edges.map(([source, sourceHandle, target], i) => ({ id: `e${i}`, source, sourceHandle, target })),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

function facts(over: Partial<DryRunFacts> = {}): DryRunFacts {
  return dryRunFactsSchema.parse({
    at: START,
    workspaceTimeZone: "Europe/Oslo",
    contact: { id: CONTACT, email: "ada@example.com", firstName: "Ada", lastName: null, timeZone: null, attributes: {}, tags: [], segments: [] },
    events: [],
    emails: [],
    consent: { status: "subscribed", ledger: [{ id: "c1", kind: "opt_in" }, { id: "c2", kind: "confirmed" }], suppression: null, postalAddress: "1 Fjord Road" },
    topics: {},
    templates: { [T1]: { class: "marketing", topic: null }, [T2]: { class: "marketing", topic: "news" } },
    recentSends: [],
    sendingPolicy: {},
    members: [M1],
    ...over,
  });
}

const twoSends = plan(
  [
    ["t", "manual-enrol"],
    ["s1", "send-email", { templateId: T1 }],
    ["s2", "send-email", { templateId: T2 }],
    ["x", "exit"],
  ],
  [
    ["t", "next", "s1"],
    ["s1", "next", "s2"],
    ["s2", "next", "x"],
  ],
);

function run(p: Plan, f: DryRunFacts) {
  const i = simInputs(f);
  return simulate(p, i.contact, i.events, { start: f.at }, i.options);
}

describe("the dry run's facts", () => {
  it("lists what a plan reads: templates, event names, segments", () => {
    const p = plan(
      [
        ["t", "event-tracked", { event: "Cart Updated" }],
        ["w", "wait-for-event", { event: "Order Completed", timeoutMs: MS.day }],
        ["c", "condition", { mode: "yes-no", rules: [{ type: "segment", segmentId: SEG, member: true }, { type: "event", event: "Viewed" }] }],
        ["s", "send-email", { templateId: T1 }],
        ["x", "exit"],
      ],
      [
        ["t", "next", "w"],
        ["w", "matched", "c"],
        ["w", "timeout", "x"],
        ["c", "yes", "s"],
        ["c", "no", "x"],
        ["s", "next", "x"],
      ],
    );
    expect(planNeeds(p)).toEqual({ templates: [T1], events: ["Cart Updated", "Order Completed", "Viewed"], segments: [SEG] });
  });

  it("refuses a malformed answer", () => {
    expect(dryRunFactsSchema.safeParse({ ...facts(), consent: { status: "vip" } }).success).toBe(false);
    expect(dryRunFactsSchema.safeParse({ ...facts(), events: "all" }).success).toBe(false);
  });

  it("sends to a contact with a confirmed opt-in", () => {
    expect(run(twoSends, facts()).steps.map((s) => s.outcome)).toEqual(["enrolled", "sent", "sent", "exit"]);
  });

  it("skips as the runner does when consent refuses: not subscribed, suppressed, no postal address, withdrawn", () => {
    const base = facts();
    const cases: [Partial<DryRunFacts["consent"]>, string][] = [
      [{ status: "unsubscribed" }, "Not sent: not_subscribed"],
      [{ suppression: "manual" }, "Not sent: suppressed"],
      [{ postalAddress: null }, "Not sent: no_postal_address"],
      [{ ledger: [...base.consent.ledger, { id: "c3", kind: "withdrawn" }] }, "Not sent: withdrawn"],
    ];
    for (const [consent, detail] of cases) {
      const r = run(twoSends, facts({ consent: { ...base.consent, ...consent } }));
      expect(r.steps[1]).toMatchObject({ nodeId: "s1", outcome: "skipped", exit: "next", detail });
      expect(r.steps[3]?.nodeId).toBe("x");
    }
  });

  it("skips a template of a topic the contact left, and sends the others", () => {
    const r = run(twoSends, facts({ topics: { news: false } }));
    expect(r.steps.map((s) => s.outcome)).toEqual(["enrolled", "sent", "skipped", "exit"]);
    expect(r.steps[2]?.detail).toBe("Not sent: topic_unsubscribed");
  });

  it("transactional mail goes out without consent, but not to a bounced address", () => {
    const transactional = { [T1]: { class: "transactional" as const, topic: null }, [T2]: { class: "transactional" as const, topic: null } };
    const consent = { ...facts().consent, status: "unsubscribed" as const };
    expect(run(twoSends, facts({ templates: transactional, consent })).steps[1]?.outcome).toBe("sent");
    expect(run(twoSends, facts({ templates: transactional, consent: { ...consent, status: "bounced" } })).steps[1]?.detail).toBe("Not sent: undeliverable");
  });

  it("a template it cannot pin is not sent", () => {
    expect(run(twoSends, facts({ templates: {} })).steps[1]?.detail).toMatch(/^Not sent: template .* not pinned/);
  });

  it("defers a send in quiet hours to the next allowed slot in the contact's zone", () => {
    // 16:00 in Oslo: quiet from 15:00 to 08:00, so both sends wait for Tuesday 08:00 Oslo (07:00 UTC).
    const r = run(twoSends, facts({ sendingPolicy: { quietHours: { start: "15:00", end: "08:00" } } }));
    expect(r.steps[1]).toMatchObject({ outcome: "sent", until: "2026-03-03T07:00:00.000Z" });
    expect(r.steps[1]?.detail).toContain("Deferred by the quiet hours until 2026-03-03T07:00:00.000Z");
    expect(r.steps[2]?.at).toBe("2026-03-03T07:00:00.000Z");
  });

  it("counts the contact's recent sends and its own against the frequency cap", () => {
    const cap = { frequencyCap: { max: 1, windowHours: 24 } };
    // One send an hour ago: s1 waits 23 hours; then s2 waits 24 more for s1's send to leave the window.
    const r = run(twoSends, facts({ sendingPolicy: cap, recentSends: [START - MS.hour] }));
    expect(r.steps[1]).toMatchObject({ outcome: "sent", until: new Date(START + 23 * MS.hour + 1).toISOString() });
    expect(r.steps[1]?.detail).toContain("frequency cap (1 per 24 h)");
    expect(r.steps[2]).toMatchObject({ outcome: "sent", until: new Date(START + 47 * MS.hour + 2).toISOString() });
    // A skipped send does not count.
    const skipped = run(twoSends, facts({ sendingPolicy: cap, topics: {}, templates: { [T2]: { class: "marketing", topic: null } } }));
    expect(skipped.steps.map((s) => [s.outcome, s.until ?? null])).toEqual([
      ["enrolled", null],
      ["skipped", null],
      ["sent", null],
      ["exit", null],
    ]);
  });

  it("conditions see segments, past events, human opens and the contact's own fields", () => {
    const p = plan(
      [
        ["t", "manual-enrol"],
        ["c", "condition", {
          mode: "branches",
          branches: [
            { id: "all", label: "All", rules: [{ type: "segment", segmentId: SEG, member: true }, { type: "email", action: "opened", templateId: T1 }, { type: "attribute", attribute: "firstName", op: "eq", value: "Ada" }, { type: "event", event: "Viewed" }] },
          ],
        }],
        ["x", "exit"],
        ["y", "exit"],
      ],
      [
        ["t", "next", "c"],
        ["c", "branch:all", "x"],
        ["c", "else", "y"],
      ],
    );
    const f = facts({
      contact: { ...facts().contact, segments: [SEG] },
      emails: [{ templateId: T1, action: "opened", at: START - MS.day }],
      events: [{ name: "Viewed", at: START - MS.hour, properties: {} }],
    });
    expect(run(p, f).steps[1]?.exit).toBe("branch:all");
    expect(run(p, { ...f, emails: [] }).steps[1]?.exit).toBe("else");
    expect(run(p, { ...f, contact: { ...f.contact, segments: [] } }).steps[1]?.exit).toBe("else");
    expect(run(p, { ...f, events: [] }).steps[1]?.exit).toBe("else");
  });

  it("skips a send the frequency cap would hold past its send-within limit, as the runner does, and goes on", () => {
    const cap = { frequencyCap: { max: 1, windowHours: 24 } };
    const limited = (hours: number) =>
      plan(
        [
          ["t", "manual-enrol"],
          ["s1", "send-email", { templateId: T1 }],
          ["s2", "send-email", { templateId: T1, sendWithinHours: hours }],
          ["x", "exit"],
        ],
        [
          ["t", "next", "s1"],
          ["s1", "next", "s2"],
          ["s2", "next", "x"],
        ],
      );
    const late = run(limited(12), facts({ sendingPolicy: cap }));
    expect(late.steps.map((s) => `${s.nodeId}:${s.outcome}`)).toEqual(["t:enrolled", "s1:sent", "s2:skipped", "x:exit"]);
    expect(late.steps[2]).toMatchObject({ exit: "next", detail: "Not sent: the frequency cap held it past its 12-hour send-within limit" });
    expect(late.steps[2]?.until).toBeUndefined();
    // Within the limit: waits for the slot and sends.
    const inTime = run(limited(48), facts({ sendingPolicy: cap }));
    expect(inTime.steps[2]).toMatchObject({ outcome: "sent", until: new Date(START + 24 * MS.hour + 1).toISOString() });
  });

  it("predicts how many members a notify-team node tells, skipping those no longer in the workspace", () => {
    const p = plan(
      [
        ["t", "manual-enrol"],
        ["n", "notify-team", { memberIds: [M1, M2], message: "Hot lead: call today" }],
        ["x", "exit"],
      ],
      [
        ["t", "next", "n"],
        ["n", "next", "x"],
      ],
    );
    expect(run(p, facts({ members: [M1, M2] })).steps[1]).toMatchObject({ outcome: "done", exit: "next", detail: "Would notify 2 members" });
    expect(run(p, facts()).steps[1]?.detail).toBe("Would notify 1 member (1 no longer a member, skipped)");
  });
});
