import { z } from "zod";
import { storableTime, UNSTORABLE_TIME_MESSAGE } from "../storable";

/**
 * A segment definition: a tree of AND/OR groups over conditions on who a contact is (attributes,
 * tags, topics, consent state) and what they did (tracked events, email engagement). Pure: the
 * database compiles it to one SQL query (db/queries/segments), and evaluate() is the plain
 * in-memory reading of the same rules that the tests hold the SQL to.
 */

export const MAX_DEPTH = 4;
export const MAX_CONDITIONS = 50;

/** Built-in contact fields a condition may name besides the typed attributes. */
export const builtinFields = ["email", "first_name", "last_name", "external_id", "time_zone"] as const;
export type BuiltinField = (typeof builtinFields)[number];

export const contactStatuses = ["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained"] as const;
export type SegmentContactStatus = (typeof contactStatuses)[number];

const key = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, "use letters, digits and _ (e.g. plan_tier)");

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "use a date as YYYY-MM-DD")
  .refine((v) => !Number.isNaN(Date.parse(v)), "not a real date")
  .refine((v) => storableTime(new Date(v)) && storableTime(new Date(Date.parse(v) + 86_400_000)), UNSTORABLE_TIME_MESSAGE);

/** Typed comparisons: the operator says which type the value must have for the contact to match. */
export const comparisonSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("exists") }),
  z.object({ op: z.literal("not_exists") }),
  z.object({ op: z.enum(["eq", "neq", "contains", "not_contains", "starts_with"]), value: z.string().max(500) }),
  z.object({ op: z.enum(["num_eq", "num_neq", "gt", "gte", "lt", "lte"]), value: z.number().finite() }),
  z.object({ op: z.literal("is"), value: z.boolean() }),
  z.object({ op: z.enum(["before", "after", "on"]), value: isoDate }),
]);
export type Comparison = z.infer<typeof comparisonSchema>;
export type ComparisonOp = Comparison["op"];

export const operatorLabels: Record<ComparisonOp, string> = {
  exists: "exists",
  not_exists: "does not exist",
  eq: "is",
  neq: "is not",
  contains: "contains",
  not_contains: "does not contain",
  starts_with: "starts with",
  num_eq: "=",
  num_neq: "≠",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  is: "is",
  before: "is before",
  after: "is after",
  on: "is on",
};

/** When: ever, the last N days before now, or between two dates (from inclusive, to inclusive, UTC days). */
export const windowSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ever") }),
  z.object({ kind: z.literal("last_days"), days: z.number().int().min(1, "at least 1 day").max(3650) }),
  z
    .object({ kind: z.literal("between"), from: isoDate, to: isoDate })
    .refine((w) => w.from <= w.to, { message: "the start date must not be after the end date", path: ["to"] }),
]);
export type Window = z.infer<typeof windowSchema>;

export const propertyFilterSchema = z.object({ property: key, comparison: comparisonSchema });
export type PropertyFilter = z.infer<typeof propertyFilterSchema>;

const attributeCondition = z.object({
  type: z.literal("attribute"),
  /** A built-in field (email, first_name, …) or a typed attribute name. */
  field: key,
  comparison: comparisonSchema,
});
const tagCondition = z.object({ type: z.literal("tag"), tag: z.string().trim().min(1, "tag is required").max(100), has: z.boolean() });
const topicCondition = z.object({ type: z.literal("topic"), topic: z.string().trim().min(1, "topic is required").max(100), subscribed: z.boolean() });
const consentCondition = z.object({
  type: z.literal("consent"),
  statuses: z.array(z.enum(contactStatuses)).min(1, "pick at least one consent state"),
});
const eventCondition = z.object({
  type: z.literal("event"),
  name: z.string().trim().min(1, "event name is required").max(200),
  /** false: did not perform it (in the window, with the filters). */
  performed: z.boolean(),
  filters: z.array(propertyFilterSchema).max(10),
  /** Only with performed: how many times (≥ N, or 1 … N for ≤ N). Absent: at least once. */
  count: z.object({ op: z.enum(["gte", "lte"]), n: z.number().int().min(1).max(1000) }).optional(),
  window: windowSchema,
});
const emailCondition = z.object({
  type: z.literal("email"),
  /** A click counts as an open too: the pixel may have been blocked. */
  action: z.enum(["opened", "clicked"]),
  performed: z.boolean(),
  flowId: z.uuid().optional(),
  templateId: z.uuid().optional(),
  window: windowSchema,
  /** Scanner and privacy-proxy activity is left out unless this is set. */
  includeMachine: z.boolean().optional(),
});

export const conditionSchema = z.discriminatedUnion("type", [
  attributeCondition,
  tagCondition,
  topicCondition,
  consentCondition,
  eventCondition,
  emailCondition,
]);
export type Condition = z.infer<typeof conditionSchema>;

export type Group = { type: "group"; match: "all" | "any"; children: Node[] };
export type Node = Condition | Group;

const groupSchema: z.ZodType<Group> = z.lazy(() =>
  z.object({ type: z.literal("group"), match: z.enum(["all", "any"]), children: z.array(nodeSchema).max(MAX_CONDITIONS) }),
);
const nodeSchema: z.ZodType<Node> = z.lazy(() => z.union([groupSchema, conditionSchema]));

/** The stored definition: the root is always a group. */
export const definitionSchema = groupSchema.superRefine((g, ctx) => {
  let conditions = 0;
  const walk = (n: Node, depth: number) => {
    if (n.type !== "group") {
      conditions++;
      return;
    }
    if (depth > MAX_DEPTH) ctx.addIssue({ code: "custom", message: `groups nest at most ${MAX_DEPTH} deep` });
    n.children.forEach((c) => walk(c, depth + 1));
  };
  walk(g, 1);
  if (conditions > MAX_CONDITIONS) ctx.addIssue({ code: "custom", message: `at most ${MAX_CONDITIONS} conditions` });
});
export type Definition = Group;

export const emptyDefinition = (): Definition => ({ type: "group", match: "all", children: [] });

const DAY = 86_400_000;

/** The window as [from, to) epoch ms, given "now"; ever is unbounded below and stops at now. */
export function windowBounds(w: Window, now: number): { from: number | null; to: number } {
  switch (w.kind) {
    case "ever":
      return { from: null, to: now + 1 };
    case "last_days":
      return { from: now - w.days * DAY, to: now + 1 };
    case "between":
      return { from: Date.parse(`${w.from}T00:00:00.000Z`), to: Math.min(Date.parse(`${w.to}T00:00:00.000Z`) + DAY, now + 1) };
  }
}

/** A one-line reading of a definition, for lists and audit entries. */
export function describe(n: Node): string {
  if (n.type === "group") {
    if (n.children.length === 0) return "everyone";
    const parts = n.children.map((c) => (c.type === "group" ? `(${describe(c)})` : describe(c)));
    return parts.join(n.match === "all" ? " and " : " or ");
  }
  const win = (w: Window) => (w.kind === "ever" ? "" : w.kind === "last_days" ? ` in the last ${w.days} days` : ` between ${w.from} and ${w.to}`);
  const cmp = (c: Comparison) => `${operatorLabels[c.op]}${"value" in c ? ` ${JSON.stringify(c.value)}` : ""}`;
  switch (n.type) {
    case "attribute":
      return `${n.field} ${cmp(n.comparison)}`;
    case "tag":
      return `${n.has ? "has" : "lacks"} tag ${n.tag}`;
    case "topic":
      return `${n.subscribed ? "subscribed to" : "not subscribed to"} ${n.topic}`;
    case "consent":
      return `consent is ${n.statuses.join(" or ")}`;
    case "event": {
      const count = n.performed && n.count ? ` ${n.count.op === "gte" ? "at least" : "at most"} ${n.count.n} times` : "";
      const f = n.filters.length ? ` where ${n.filters.map((x) => `${x.property} ${cmp(x.comparison)}`).join(", ")}` : "";
      return `${n.performed ? "did" : "did not do"} ${n.name}${f}${count}${win(n.window)}`;
    }
    case "email":
      return `${n.performed ? "" : "not "}${n.action} an email${n.templateId ? " of a template" : ""}${n.flowId ? " of a flow" : ""}${win(n.window)}`;
  }
}
