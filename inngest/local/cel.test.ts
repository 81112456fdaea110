import { describe, expect, it } from "vitest";
import { keyOf, matches } from "./cel";

const event = {
  name: "contact/created",
  data: { contactId: "c1", source: "signup", seats: 5, amount: 150.5, tags: ["vip"], accountId: 42 },
};

describe("matches", () => {
  it("evaluates trigger and wait expressions", () => {
    expect(matches("event.data.source == 'signup'", { event })).toBe(true);
    expect(matches("event.data.source == 'import'", { event })).toBe(false);
    expect(matches("event.data.contactId == async.data.contactId", { event, async: { data: { contactId: "c1" } } })).toBe(true);
    expect(matches("event.data.contactId == async.data.contactId", { event, async: { data: { contactId: "c2" } } })).toBe(false);
  });
  it("mixes JSON integers with int literals (BigInt conversion)", () => {
    expect(matches("event.data.seats + 1 == 6", { event })).toBe(true);
    expect(matches("event.data.amount > 100", { event })).toBe(true);
  });
  it("treats evaluation and parse errors as no match", () => {
    expect(matches("event.data.phone == 'x'", { event })).toBe(false);
    expect(matches("async.data.x == 1", { event })).toBe(false);
    expect(matches("event.data. ==", { event })).toBe(false);
  });
  it("matches when there is no expression", () => {
    expect(matches(undefined, { event })).toBe(true);
  });
});

describe("keyOf", () => {
  it("gives canonical key strings", () => {
    expect(keyOf("event.data.contactId", { event })).toBe('"c1"');
    expect(keyOf("event.data.accountId", { event })).toBe('"42"');
    expect(keyOf("event.data.missing", { event })).toBe("");
  });
});
