import { describe, expect, it } from "vitest";
import { conditionConfig, waitForEventConfig } from "./catalog";
import { evaluateCondition, waitForEventMatches, type ConditionContext } from "./conditions";

const now = Date.parse("2026-03-10T12:00:00Z");
const hour = 3_600_000;
const ctx = (over: Partial<ConditionContext> = {}): ConditionContext => ({
  contact: { id: "c1", attributes: { plan: "pro", address: { country: "NO" } }, tags: ["Trial"], segments: ["s1"], timeZone: null },
  events: [],
  emails: [],
  now,
  ...over,
});
const cond = (rules: unknown[], match = "all") => conditionConfig.parse({ mode: "yes-no", match, rules });

describe("evaluateCondition", () => {
  it("reads attributes, including nested ones", () => {
    expect(evaluateCondition(cond([{ type: "attribute", attribute: "address.country", op: "eq", value: "NO" }]), ctx())).toBe("yes");
    expect(evaluateCondition(cond([{ type: "attribute", attribute: "plan", op: "in", value: ["free"] }]), ctx())).toBe("no");
  });

  it("matches tags case-insensitively and segment membership both ways", () => {
    expect(evaluateCondition(cond([{ type: "tag", tag: "trial" }]), ctx())).toBe("yes");
    expect(evaluateCondition(cond([{ type: "segment", segmentId: "s1", member: false }]), ctx())).toBe("no");
  });

  it("combines rules with all / any", () => {
    const rules = [
      { type: "tag", tag: "trial" },
      { type: "tag", tag: "paid" },
    ];
    expect(evaluateCondition(cond(rules, "all"), ctx())).toBe("no");
    expect(evaluateCondition(cond(rules, "any"), ctx())).toBe("yes");
  });

  it("checks email engagement by send node, template and window", () => {
    const emails = [{ action: "clicked" as const, at: now - 2 * hour, templateId: "t1", sendNodeId: "s1" }];
    expect(evaluateCondition(cond([{ type: "email", action: "opened", sendNodeId: "s1" }]), ctx({ emails }))).toBe("yes");
    expect(evaluateCondition(cond([{ type: "email", action: "opened", sendNodeId: "s2" }]), ctx({ emails }))).toBe("no");
    expect(evaluateCondition(cond([{ type: "email", action: "clicked", templateId: "t2" }]), ctx({ emails }))).toBe("no");
    expect(evaluateCondition(cond([{ type: "email", action: "clicked", withinMs: hour }]), ctx({ emails }))).toBe("no");
    expect(evaluateCondition(cond([{ type: "email", action: "clicked", withinMs: 3 * hour }]), ctx({ emails }))).toBe("yes");
    const openedOnly = [{ action: "opened" as const, at: now - hour, templateId: "t1", sendNodeId: "s1" }];
    expect(evaluateCondition(cond([{ type: "email", action: "clicked" }]), ctx({ emails: openedOnly }))).toBe("no");
  });

  it("ignores events from after the check", () => {
    const events = [{ name: "Signed In", at: now + 1, properties: {} }];
    expect(evaluateCondition(cond([{ type: "event", event: "Signed In" }]), ctx({ events }))).toBe("no");
  });

  it("falls through to else when no branch matches", () => {
    const config = conditionConfig.parse({ mode: "branches", branches: [{ id: "paid", label: "Paid", rules: [{ type: "tag", tag: "paid" }] }] });
    expect(evaluateCondition(config, ctx())).toBe("else");
  });
});

describe("waitForEventMatches", () => {
  const config = waitForEventConfig.parse({ event: "Order Completed", correlate: { eventProperty: "order.cartId", triggerProperty: "cartId" }, timeoutMs: hour });
  const event = (cartId: unknown) => ({ name: "Order Completed", at: now, properties: { order: { cartId } } });

  it("needs the correlated property to equal the trigger's", () => {
    expect(waitForEventMatches(config, event("c-1"), { cartId: "c-1" })).toBe(true);
    expect(waitForEventMatches(config, event("c-2"), { cartId: "c-1" })).toBe(false);
  });
  it("matches nothing when the trigger has no value to correlate on", () => {
    expect(waitForEventMatches(config, event(undefined), {})).toBe(false);
  });
});
