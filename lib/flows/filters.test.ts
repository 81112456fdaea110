import { describe, expect, it } from "vitest";
import { compare, getPath, matchesFilters, propertyFilterSchema } from "./filters";

describe("getPath", () => {
  it("walks dot paths through objects and arrays", () => {
    expect(getPath({ cart: { items: [{ sku: "A1" }] } }, "cart.items.0.sku")).toBe("A1");
    expect(getPath({ cart: null }, "cart.id")).toBeUndefined();
  });
  it("does not reach the prototype", () => {
    expect(getPath({}, "constructor")).toBeUndefined();
    expect(getPath({}, "__proto__")).toBeUndefined();
  });
});

describe("compare", () => {
  it.each([
    [42, "eq", "42", true],
    ["42", "eq", 42, true],
    ["abc", "eq", "ABC", false],
    [true, "eq", "true", true],
    [null, "eq", null, true],
    [undefined, "neq", "x", true],
    [10, "gt", 9, true],
    ["10", "gt", 9, true],
    ["b", "gt", "a", true],
    ["2026-03-02", "lt", "2026-03-10T00:00:00Z", true],
    ["x", "gt", 1, false],
    [5, "lte", 5, true],
    ["Hello World", "contains", "world", true],
    [["a", "b"], "contains", "b", true],
    ["Hello", "not_contains", "z", true],
    ["Prefix-1", "starts_with", "prefix", true],
    ["pro", "in", ["free", "pro"], true],
    ["team", "not_in", ["free", "pro"], true],
    ["", "exists", undefined, true],
    [null, "exists", undefined, false],
    [undefined, "not_exists", undefined, true],
  ] as const)("%j %s %j → %s", (actual, op, expected, result) => {
    expect(compare(actual, op, expected as never)).toBe(result);
  });
});

describe("matchesFilters", () => {
  it("needs every filter to match; none matches all", () => {
    const props = { plan: "pro", total: 120 };
    expect(matchesFilters(props, [])).toBe(true);
    expect(matchesFilters(props, [{ property: "plan", op: "eq", value: "pro" }, { property: "total", op: "gte", value: 100 }])).toBe(true);
    expect(matchesFilters(props, [{ property: "plan", op: "eq", value: "pro" }, { property: "total", op: "gte", value: 200 }])).toBe(false);
  });
  it("validates filters by op", () => {
    expect(propertyFilterSchema.safeParse({ property: "a", op: "exists" }).success).toBe(true);
    expect(propertyFilterSchema.safeParse({ property: "a", op: "eq" }).success).toBe(false);
    expect(propertyFilterSchema.safeParse({ property: "a", op: "in", value: "x" }).success).toBe(false);
    expect(propertyFilterSchema.safeParse({ property: "a b", op: "exists" }).success).toBe(false);
  });
});
