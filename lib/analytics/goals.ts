import { getPath } from "../flows/filters";

/**
 * Goal rules shared by the goal watcher and tests. Pure.
 */

export type GoalRules = {
  windowMs: number | null;
  windowFrom: "enrollment" | "message";
  attribution: "click" | "click-or-open";
  revenueProperty: string | null;
};

export type EnrollmentFacts = {
  active: boolean;
  enteredAt: number;
  /** The last mail this enrollment sent at or before the event, epoch ms. */
  lastSentAt: number | null;
};

/**
 * Whether an event at `at` converts this enrollment, and the window's start (where attribution
 * looks back to). Events at or before entry never count. Without a window the contact must still
 * be in the flow; with one, the event must fall inside it, in the flow or after leaving it.
 */
export function conversionWindow(rules: GoalRules, e: EnrollmentFacts, at: number): { since: number } | null {
  if (at <= e.enteredAt) return null;
  if (rules.windowMs === null) return e.active ? { since: e.enteredAt } : null;
  const start = rules.windowFrom === "enrollment" ? e.enteredAt : e.lastSentAt;
  if (start === null || at > start + rules.windowMs) return null;
  // Attribution looks at the whole window before the event, bounded by entry.
  return { since: Math.max(e.enteredAt, at - rules.windowMs) };
}

/** The order value from an event property: finite numbers, or numeric strings ("49.90"); rounded to cents. */
export function revenueOf(properties: Record<string, unknown>, path: string | null): number | null {
  if (path === null) return null;
  const v = getPath(properties, path);
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || Math.abs(n) >= 1e12) return null;
  return Math.round(n * 100) / 100;
}

/** An ISO 4217-looking currency from the event (Segment's `currency` property), upper-cased. */
export function currencyOf(properties: Record<string, unknown>): string | null {
  const c = properties.currency;
  return typeof c === "string" && /^[A-Za-z]{3}$/.test(c) ? c.toUpperCase() : null;
}
