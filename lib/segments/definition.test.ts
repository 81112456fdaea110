import { describe as group, expect, it } from "vitest";
import { definitionSchema, describe, windowBounds } from "./definition";
import { evaluate, type ContactFacts } from "./evaluate";

const NOW = Date.parse("2025-03-01T12:00:00Z");
const DAY = 86_400_000;
const contact = (over: Partial<ContactFacts> = {}): ContactFacts => ({
  id: "c1",
  status: "subscribed",
  fields: { email: "ada@example.com", first_name: "Ada", last_name: null, external_id: null, time_zone: null },
  attributes: { plan: "pro", seats: 3, vip: true, joined: "2024-06-15" },
  tags: ["VIP"],
  topics: { news: true },
  events: [
    { name: "Order Completed", at: NOW - 2 * DAY, properties: { total: 80 } },
    { name: "Order Completed", at: NOW - 10 * DAY, properties: { total: 20 } },
    { name: "Order Completed", at: NOW - 100 * DAY, properties: { total: 5 } },
  ],
  emails: [{ type: "opened", at: NOW - DAY, machine: true, flowId: null, templateId: null }],
  ...over,
});
const parse = (children: unknown[], match: "all" | "any" = "all") => definitionSchema.parse({ type: "group", match, children });

group("segment definitions", () => {
  it("refuse unknown operators, mistyped values, bad windows and deep nesting, naming the problem", () => {
    expect(definitionSchema.safeParse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "gt", value: "x" } }] }).success).toBe(false);
    const w = definitionSchema.safeParse({ type: "group", match: "all", children: [{ type: "event", name: "X", performed: true, filters: [], window: { kind: "between", from: "2025-02-01", to: "2025-01-01" } }] });
    expect(w.error?.issues[0]?.message).toBe("the start date must not be after the end date");
    const year0 = definitionSchema.safeParse({ type: "group", match: "all", children: [{ type: "event", name: "X", performed: true, filters: [], window: { kind: "between", from: "0000-01-01", to: "2025-01-01" } }] });
    expect(year0.error?.issues[0]).toMatchObject({ path: ["children", 0, "window", "from"], message: "must be a time between the years 0001 and 9999" });
    let deep: unknown = { type: "group", match: "all", children: [] };
    for (let i = 0; i < 5; i++) deep = { type: "group", match: "any", children: [deep] };
    expect(definitionSchema.safeParse(deep).error?.issues[0]?.message).toMatch(/nest at most/);
  });

  it("count windows: ever stops at now, between covers whole UTC days", () => {
    expect(windowBounds({ kind: "ever" }, NOW)).toEqual({ from: null, to: NOW + 1 });
    expect(windowBounds({ kind: "between", from: "2025-01-01", to: "2025-01-31" }, NOW)).toEqual({ from: Date.parse("2025-01-01T00:00:00Z"), to: Date.parse("2025-02-01T00:00:00Z") });
  });

  it("evaluate typed comparisons, counts, engagement (machine opens left out) and erased people", () => {
    expect(evaluate(parse([{ type: "attribute", field: "seats", comparison: { op: "gte", value: 3 } }]), contact(), NOW)).toBe(true);
    // A number is not the string "3".
    expect(evaluate(parse([{ type: "attribute", field: "seats", comparison: { op: "eq", value: "3" } }]), contact(), NOW)).toBe(false);
    expect(evaluate(parse([{ type: "attribute", field: "joined", comparison: { op: "before", value: "2024-07-01" } }]), contact(), NOW)).toBe(true);
    const orders = (op: "gte" | "lte", n: number, days: number) =>
      parse([{ type: "event", name: "Order Completed", performed: true, filters: [], count: { op, n }, window: { kind: "last_days", days } }]);
    expect(evaluate(orders("gte", 2, 30), contact(), NOW)).toBe(true);
    expect(evaluate(orders("gte", 3, 30), contact(), NOW)).toBe(false);
    expect(evaluate(orders("lte", 2, 30), contact(), NOW)).toBe(true);
    expect(evaluate(orders("lte", 2, 365), contact(), NOW)).toBe(false);
    const filtered = parse([{ type: "event", name: "Order Completed", performed: true, filters: [{ property: "total", comparison: { op: "gt", value: 50 } }], window: { kind: "ever" } }]);
    expect(evaluate(filtered, contact(), NOW)).toBe(true);
    const opened = (includeMachine?: boolean) => parse([{ type: "email", action: "opened", performed: true, window: { kind: "last_days", days: 7 }, ...(includeMachine ? { includeMachine } : {}) }]);
    expect(evaluate(opened(), contact(), NOW)).toBe(false);
    expect(evaluate(opened(true), contact(), NOW)).toBe(true);
    expect(evaluate(parse([]), contact({ status: "erased" }), NOW)).toBe(false);
    expect(evaluate(parse([], "any"), contact(), NOW)).toBe(false);
    expect(evaluate(parse([{ type: "tag", tag: "vip", has: true }, { type: "topic", topic: "news", subscribed: true }]), contact(), NOW)).toBe(true);
  });

  it("describe reads like a sentence", () => {
    expect(
      describe(parse([
        { type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } },
        { type: "group", match: "any", children: [{ type: "tag", tag: "VIP", has: true }, { type: "event", name: "Order Completed", performed: true, filters: [], count: { op: "gte", n: 3 }, window: { kind: "last_days", days: 90 } }] },
      ])),
    ).toBe('plan is "pro" and (has tag VIP or did Order Completed at least 3 times in the last 90 days)');
  });
});
