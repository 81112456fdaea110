import { describe, expect, expectTypeOf, it } from "vitest";
import type { TriggerKind } from "./catalog";
import type { PlanTrigger } from "./plan";
import { triggerMatches, type TriggerOccurrence } from "./triggers";

describe("triggerMatches", () => {
  it("matches tracked events by name and property filter", () => {
    const t: PlanTrigger = { nodeId: "t", kind: "event-tracked", config: { event: "Cart Abandoned", filters: [{ property: "total", op: "gt", value: 20 }] } };
    expect(triggerMatches(t, { kind: "event-tracked", event: "Cart Abandoned", properties: { total: 30 } })).toBe(true);
    expect(triggerMatches(t, { kind: "event-tracked", event: "Cart Abandoned", properties: { total: 10 } })).toBe(false);
    expect(triggerMatches(t, { kind: "event-tracked", event: "Cart Viewed", properties: { total: 30 } })).toBe(false);
    expect(triggerMatches(t, { kind: "manual-enrol" })).toBe(false);
  });

  it("matches forms, any form, tags (case-insensitive), sources, segments and dates", () => {
    expect(triggerMatches({ nodeId: "t", kind: "form-submitted", config: { formId: "f1" } }, { kind: "form-submitted", formId: "f2" })).toBe(false);
    expect(triggerMatches({ nodeId: "t", kind: "form-submitted", config: { formId: null } }, { kind: "form-submitted", formId: "f2" })).toBe(true);
    expect(triggerMatches({ nodeId: "t", kind: "tag-added", config: { tag: "VIP" } }, { kind: "tag-added", tag: "vip" })).toBe(true);
    expect(triggerMatches({ nodeId: "t", kind: "contact-created", config: { source: "form" } }, { kind: "contact-created", source: "api" })).toBe(false);
    expect(triggerMatches({ nodeId: "t", kind: "contact-created", config: { source: "any" } }, { kind: "contact-created", source: "api" })).toBe(true);
    expect(triggerMatches({ nodeId: "t", kind: "segment-entered", config: { segmentId: "s1" } }, { kind: "segment-entered", segmentId: "s1" })).toBe(true);
    expect(
      triggerMatches({ nodeId: "t", kind: "date-anniversary", config: { attribute: "birthday", offsetDays: 0, time: "09:00" } }, { kind: "date-anniversary", attribute: "signupDate" }),
    ).toBe(false);
    expect(triggerMatches({ nodeId: "t", kind: "manual-enrol", config: {} }, { kind: "manual-enrol" })).toBe(true);
  });

  it("has an occurrence for every trigger kind of the catalog, and only those", () => {
    expectTypeOf<TriggerOccurrence["kind"]>().toEqualTypeOf<TriggerKind>();
    expectTypeOf<Extract<TriggerOccurrence, { kind: "tag-added" }>>().toEqualTypeOf<{ kind: "tag-added" } & { tag: string }>();
  });
});
