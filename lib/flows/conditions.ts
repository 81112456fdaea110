import type { ConditionRule, NodeConfig } from "./catalog";
import { compare, getPath, matchesFilters, type PropertyFilter } from "./filters";

/**
 * Condition evaluation over a snapshot of what is known about a contact at one instant.
 * The runner builds the snapshot from the database inside a step; the simulator builds it from
 * the dry-run inputs. Same function, same answer.
 */

export type ContactSnapshot = {
  id: string;
  /** Attributes plus any built-in fields the runner exposes (email, firstName, …). */
  attributes: Record<string, unknown>;
  tags: readonly string[];
  /** Ids of the segments the contact belongs to now. */
  segments: readonly string[];
  timeZone: string | null;
};

export type TrackedEvent = { name: string; at: number; properties: Record<string, unknown> };

export type EmailEngagement = {
  action: "opened" | "clicked";
  at: number;
  templateId: string | null;
  /** The send node of this enrollment that sent the email, when known (from correlation tags). */
  sendNodeId: string | null;
};

export type ConditionContext = {
  contact: ContactSnapshot;
  /** The contact's tracked events; only those at or before `now` count. */
  events: readonly TrackedEvent[];
  emails: readonly EmailEngagement[];
  now: number;
};

export function attributeValue(attributes: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(attributes, name) ? attributes[name] : getPath(attributes, name);
}

export function hasTag(tags: readonly string[], tag: string): boolean {
  // Tags are unique by lower(name) in the database, so "VIP" and "vip" are one tag.
  const wanted = tag.toLowerCase();
  return tags.some((t) => t.toLowerCase() === wanted);
}

export function eventMatches(event: TrackedEvent, name: string, filters: readonly PropertyFilter[]): boolean {
  return event.name === name && matchesFilters(event.properties, filters);
}

export function evaluateRule(rule: ConditionRule, ctx: ConditionContext): boolean {
  const since = (withinMs: number | null) => (withinMs === null ? -Infinity : ctx.now - withinMs);
  switch (rule.type) {
    case "attribute":
      return compare(attributeValue(ctx.contact.attributes, rule.attribute), rule.op, rule.value);
    case "tag":
      return hasTag(ctx.contact.tags, rule.tag) === rule.has;
    case "segment":
      return ctx.contact.segments.includes(rule.segmentId) === rule.member;
    case "event": {
      const from = since(rule.withinMs);
      return ctx.events.some((e) => e.at <= ctx.now && e.at >= from && eventMatches(e, rule.event, rule.filters));
    }
    case "email": {
      const from = since(rule.withinMs);
      return ctx.emails.some(
        (e) =>
          // A click implies the message was opened, even when the open pixel was blocked.
          (e.action === rule.action || (rule.action === "opened" && e.action === "clicked")) &&
          e.at <= ctx.now &&
          e.at >= from &&
          (rule.sendNodeId === null || e.sendNodeId === rule.sendNodeId) &&
          (rule.templateId === null || e.templateId === rule.templateId),
      );
    }
  }
}

export function evaluateRules(match: "all" | "any", rules: readonly ConditionRule[], ctx: ConditionContext): boolean {
  return match === "all" ? rules.every((r) => evaluateRule(r, ctx)) : rules.some((r) => evaluateRule(r, ctx));
}

/** The exit a condition node takes: "yes"/"no", or the first matching "branch:<id>", else "else". */
export function evaluateCondition(config: NodeConfig<"condition">, ctx: ConditionContext): string {
  if (config.mode === "yes-no") return evaluateRules(config.match, config.rules, ctx) ? "yes" : "no";
  for (const branch of config.branches) {
    if (evaluateRules(branch.match, branch.rules, ctx)) return `branch:${branch.id}`;
  }
  return "else";
}

/**
 * Does this event satisfy a wait-for-event node? Name, property filters, and — when the node
 * correlates — the event's property equal to the trigger payload's. A correlation the trigger
 * cannot supply matches nothing, rather than everything.
 */
export function waitForEventMatches(
  config: NodeConfig<"wait-for-event">,
  event: TrackedEvent,
  triggerPayload: Record<string, unknown>,
): boolean {
  if (!eventMatches(event, config.event, config.filters)) return false;
  if (!config.correlate) return true;
  const expected = getPath(triggerPayload, config.correlate.triggerProperty);
  if (expected === undefined || expected === null) return false;
  return compare(getPath(event.properties, config.correlate.eventProperty), "eq", expected as string | number | boolean);
}
