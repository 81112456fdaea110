import { builtinFields, windowBounds, type BuiltinField, type Comparison, type Node, type PropertyFilter, type Window } from "./definition";

/**
 * The plain in-memory reading of a segment definition over everything known about one contact.
 * The SQL compiler (db/queries/segments) must give the same answer; the property test holds it to it.
 */

export type ContactFacts = {
  id: string;
  status: "unconfirmed" | "subscribed" | "unsubscribed" | "bounced" | "complained" | "erased";
  fields: Record<BuiltinField, string | null>;
  attributes: Record<string, unknown>;
  /** Tag names (case does not matter). */
  tags: readonly string[];
  /** Topic key → subscribed; a missing key means never asked. */
  topics: Readonly<Record<string, boolean>>;
  events: readonly { name: string; at: number; properties: Record<string, unknown> }[];
  emails: readonly { type: string; at: number; machine: boolean; flowId: string | null; templateId: string | null }[];
};

const DATE = /^\d{4}-\d{2}-\d{2}/;

export function compare(v: unknown, c: Comparison): boolean {
  switch (c.op) {
    case "exists":
      return v !== undefined && v !== null;
    case "not_exists":
      return v === undefined || v === null;
    case "eq":
      return typeof v === "string" && v === c.value;
    case "neq":
      return !(typeof v === "string" && v === c.value);
    case "contains":
      return typeof v === "string" && v.toLowerCase().includes(c.value.toLowerCase());
    case "not_contains":
      return !(typeof v === "string" && v.toLowerCase().includes(c.value.toLowerCase()));
    case "starts_with":
      return typeof v === "string" && v.toLowerCase().startsWith(c.value.toLowerCase());
    case "num_eq":
      return typeof v === "number" && v === c.value;
    case "num_neq":
      return typeof v === "number" && v !== c.value;
    case "gt":
      return typeof v === "number" && v > c.value;
    case "gte":
      return typeof v === "number" && v >= c.value;
    case "lt":
      return typeof v === "number" && v < c.value;
    case "lte":
      return typeof v === "number" && v <= c.value;
    case "is":
      return typeof v === "boolean" && v === c.value;
    case "before":
    case "after":
    case "on": {
      if (typeof v !== "string" || !DATE.test(v)) return false;
      const d = v.slice(0, 10);
      return c.op === "before" ? d < c.value : c.op === "after" ? d > c.value : d === c.value;
    }
  }
}

const own = (o: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

export function matchesFilters(properties: Record<string, unknown>, filters: readonly PropertyFilter[]): boolean {
  return filters.every((f) => compare(own(properties, f.property), f.comparison));
}

function inWindow(at: number, w: Window, now: number): boolean {
  const { from, to } = windowBounds(w, now);
  return (from === null || at >= from) && at < to;
}

export function evaluate(node: Node, c: ContactFacts, now: number): boolean {
  // Erased people are kept only so references stay valid: they are in no segment.
  if (c.status === "erased") return false;
  return evalNode(node, c, now);
}

function evalNode(n: Node, c: ContactFacts, now: number): boolean {
  switch (n.type) {
    case "group":
      return n.match === "all" ? n.children.every((x) => evalNode(x, c, now)) : n.children.some((x) => evalNode(x, c, now));
    case "attribute": {
      const v = (builtinFields as readonly string[]).includes(n.field) ? c.fields[n.field as BuiltinField] : own(c.attributes, n.field);
      return compare(v, n.comparison);
    }
    case "tag": {
      const t = n.tag.toLowerCase();
      return c.tags.some((x) => x.toLowerCase() === t) === n.has;
    }
    case "topic":
      return (c.topics[n.topic] === true) === n.subscribed;
    case "consent":
      return (n.statuses as readonly string[]).includes(c.status);
    case "event": {
      const hits = c.events.filter((e) => e.name === n.name && inWindow(e.at, n.window, now) && matchesFilters(e.properties, n.filters)).length;
      if (!n.performed) return hits === 0;
      if (!n.count) return hits >= 1;
      return n.count.op === "gte" ? hits >= n.count.n : hits >= 1 && hits <= n.count.n;
    }
    case "email": {
      const hit = c.emails.some(
        (e) =>
          (e.type === n.action || (n.action === "opened" && e.type === "clicked")) &&
          (n.includeMachine === true || !e.machine) &&
          (n.flowId === undefined || e.flowId === n.flowId) &&
          (n.templateId === undefined || e.templateId === n.templateId) &&
          inWindow(e.at, n.window, now),
      );
      return hit === n.performed;
    }
  }
}
