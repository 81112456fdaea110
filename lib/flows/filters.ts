import { z } from "zod";

/**
 * Property filters shared by event triggers, wait-for-event, goals and conditions.
 * One definition of "matches" for the simulator and the runner, so a dry run and a real run
 * agree on which event counts.
 */

export const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof scalarSchema>;

export const filterOps = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "contains",
  "not_contains",
  "starts_with",
  "in",
  "not_in",
  "exists",
  "not_exists",
] as const;
export type FilterOp = (typeof filterOps)[number];

/** Dot path into a payload: "cart.total", "items.0.sku". */
export const propertyPathSchema = z
  .string()
  .min(1, "property is required")
  .max(200)
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "use a property name or a dot path like cart.total");

export const filterValueSchema = z.union([scalarSchema, z.array(scalarSchema)]).optional();

/** Shared by property filters and attribute conditions: which ops need a value, and which a list. */
export function refineComparison(c: { op: FilterOp; value?: Scalar | Scalar[] | undefined }, ctx: z.RefinementCtx): void {
  if (c.op === "exists" || c.op === "not_exists") return;
  const needsList = c.op === "in" || c.op === "not_in";
  if (needsList && !Array.isArray(c.value)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${c.op}" needs a list of values` });
  } else if (!needsList && (c.value === undefined || Array.isArray(c.value))) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `"${c.op}" needs a single value` });
  }
}

/** The op/value pair, spread into objects that add what is compared (a property, an attribute). */
export const comparisonBase = { op: z.enum(filterOps), value: filterValueSchema };

export const propertyFilterSchema = z
  .object({ property: propertyPathSchema, ...comparisonBase })
  .superRefine(refineComparison);
export type PropertyFilter = z.infer<typeof propertyFilterSchema>;

/** All filters must match (an AND list); an empty list matches everything. */
export const propertyFiltersSchema = z.array(propertyFilterSchema).max(20).default([]);

export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    // Own properties only: a filter on "constructor" or "__proto__" must not reach the prototype.
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function compare(actual: unknown, op: FilterOp, expected: Scalar | Scalar[] | undefined): boolean {
  switch (op) {
    case "exists":
      return actual !== undefined && actual !== null;
    case "not_exists":
      return actual === undefined || actual === null;
    case "eq":
      return looseEquals(actual, expected);
    case "neq":
      return !looseEquals(actual, expected);
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return ordered(actual, op, expected);
    case "contains":
      return contains(actual, expected);
    case "not_contains":
      return !contains(actual, expected);
    case "starts_with":
      return typeof actual === "string" && typeof expected === "string" && actual.toLowerCase().startsWith(expected.toLowerCase());
    case "in":
      return Array.isArray(expected) && expected.some((e) => looseEquals(actual, e));
    case "not_in":
      return Array.isArray(expected) && !expected.some((e) => looseEquals(actual, e));
  }
}

export function matchesFilters(payload: unknown, filters: readonly PropertyFilter[]): boolean {
  return filters.every((f) => compare(getPath(payload, f.property), f.op, f.value));
}

/**
 * Tracking payloads arrive as JSON from many sources, so "42" and 42 are the same value;
 * strings compare case-sensitively because ids (cart ids, SKUs) are case-sensitive.
 */
function looseEquals(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return false;
  if (actual === expected) return true;
  if (actual === undefined || actual === null || expected === undefined || expected === null) return false;
  if (typeof actual === "number" && typeof expected === "string") return expected.trim() !== "" && Number(expected) === actual;
  if (typeof actual === "string" && typeof expected === "number") return actual.trim() !== "" && Number(actual) === expected;
  if (typeof actual === "boolean" && typeof expected === "string") return String(actual) === expected;
  if (typeof actual === "string" && typeof expected === "boolean") return actual === String(expected);
  return false;
}

function ordered(actual: unknown, op: "gt" | "gte" | "lt" | "lte", expected: unknown): boolean {
  const a = toComparable(actual);
  const b = toComparable(expected);
  if (a === null || b === null || typeof a !== typeof b) return false;
  switch (op) {
    case "gt":
      return a > b;
    case "gte":
      return a >= b;
    case "lt":
      return a < b;
    case "lte":
      return a <= b;
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Numbers compare as numbers, ISO dates as instants, other strings lexically. */
function toComparable(v: unknown): number | string | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string") {
    if (v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    if (ISO_DATE.test(v)) {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
    return v;
  }
  return null;
}

function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((a) => looseEquals(a, expected));
  if (typeof actual === "string" && typeof expected === "string") return actual.toLowerCase().includes(expected.toLowerCase());
  return false;
}
