import { describe, expect, it } from "vitest";
import { mayReceive, permissionBasis, TRANSACTIONAL_WHY, type ConsentFacts, type LedgerEntry, type LedgerKind } from "./rules";

/** A ledger of these kinds, oldest first, with ids e1, e2, … */
const L = (...kinds: LedgerKind[]): LedgerEntry[] => kinds.map((kind, i) => ({ id: `e${i + 1}`, kind }));
const allowed = (consentEventId: string) => ({ allowed: true, receipt: { basis: "consent", consentEventId } });

const ok: ConsentFacts = { status: "subscribed", ledger: L("opt_in", "confirmed"), suppression: null, postalAddress: "1 Fjord Road" };

describe("mayReceive", () => {
  it("allows marketing to a subscribed contact with a confirmed opt-in and a postal address", () => {
    expect(mayReceive("marketing", ok)).toEqual(allowed("e2"));
  });
  it("refuses marketing without a confirmation, after a withdrawal, when suppressed, or without an address", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in") })).toEqual({ allowed: false, reason: "no_confirmed_opt_in" });
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "withdrawn") })).toEqual({ allowed: false, reason: "withdrawn" });
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "withdrawn", "opt_in") })).toEqual({
      allowed: false,
      reason: "no_confirmed_opt_in",
    });
    expect(mayReceive("marketing", { ...ok, ledger: L("confirmed", "complaint", "opt_in", "confirmed") })).toEqual(allowed("e4"));
    expect(mayReceive("marketing", { ...ok, suppression: "unsubscribed" })).toEqual({ allowed: false, reason: "suppressed" });
    expect(mayReceive("marketing", { ...ok, status: "unsubscribed" })).toEqual({ allowed: false, reason: "not_subscribed" });
    expect(mayReceive("marketing", { ...ok, postalAddress: " " })).toEqual({ allowed: false, reason: "no_postal_address" });
    expect(mayReceive("marketing", { ...ok, status: "erased" })).toEqual({ allowed: false, reason: "erased" });
  });
  it("lets transactional mail through without consent, but not to erased or bounced addresses", () => {
    expect(mayReceive("transactional", { ...ok, status: "unsubscribed", ledger: [] })).toEqual({ allowed: true, receipt: { basis: "transactional", consentEventId: null } });
    expect(mayReceive("transactional", { ...ok, status: "bounced" })).toEqual({ allowed: false, reason: "undeliverable" });
    expect(mayReceive("transactional", { ...ok, status: "erased" })).toEqual({ allowed: false, reason: "erased" });
  });
  it("counts an opt-in given without double opt-in as confirmed, but never one from before a withdrawal", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in") })).toEqual(allowed("e1"));
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in", "withdrawn") })).toEqual({ allowed: false, reason: "withdrawn" });
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in", "withdrawn", "opt_in") })).toEqual({ allowed: false, reason: "no_confirmed_opt_in" });
  });
  it("refuses mail of a topic the contact left, and lets topics never asked about follow the list", () => {
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: false } })).toEqual({ allowed: false, reason: "topic_unsubscribed" });
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: null } })).toEqual(allowed("e2"));
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: true } })).toEqual(allowed("e2"));
    // A topic subscription does not outlive leaving the whole list.
    expect(mayReceive("marketing", { ...ok, status: "unsubscribed", topic: { key: "news", subscribed: true } })).toEqual({ allowed: false, reason: "not_subscribed" });
    // Transactional mail ignores topics.
    expect(mayReceive("transactional", { ...ok, topic: { key: "news", subscribed: false } })).toEqual({ allowed: true, receipt: { basis: "transactional", consentEventId: null } });
  });
});

describe("the consent receipt (which ledger entry let a marketing message go out)", () => {
  it("is the confirmation, not the signup it confirms", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed") })).toEqual(allowed("e2"));
  });
  it("after a re-subscription, is the new confirmation, never one from before the withdrawal", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "withdrawn", "opt_in", "confirmed") })).toEqual(allowed("e5"));
    // A complaint and an erasure count as withdrawals too.
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in", "complaint", "single_opt_in") })).toEqual(allowed("e3"));
  });
  it("is a single opt-in (double opt-in off) itself, which needs no confirmation", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in") })).toEqual(allowed("e1"));
    // A later double opt-in signup still waiting for its confirmation does not replace it.
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in", "opt_in") })).toEqual(allowed("e1"));
  });
  it("is the latest standing permission when several were given since the latest withdrawal", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "opt_in", "confirmed") })).toEqual(allowed("e4"));
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "single_opt_in") })).toEqual(allowed("e3"));
    expect(mayReceive("marketing", { ...ok, ledger: L("single_opt_in", "opt_in", "confirmed") })).toEqual(allowed("e3"));
  });
  it("stays the list-wide entry when the message's topic is one the contact chose", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed"), topic: { key: "news", subscribed: true } })).toEqual(allowed("e2"));
  });
  it("is never given for a refusal", () => {
    expect(mayReceive("marketing", { ...ok, ledger: L("opt_in", "confirmed", "withdrawn") })).not.toHaveProperty("receipt");
    expect(mayReceive("marketing", { ...ok, postalAddress: null })).not.toHaveProperty("receipt");
  });
});

describe("permissionBasis", () => {
  it("reads `consent` for marketing under a ledger entry and `transactional: <why>` for mail that needs none", () => {
    expect(permissionBasis({ basis: "consent", consentEventId: "e2" }, TRANSACTIONAL_WHY.template)).toBe("consent");
    expect(permissionBasis({ basis: "transactional", consentEventId: null }, TRANSACTIONAL_WHY.confirmation)).toBe(
      "transactional: confirmation of a sign-up request",
    );
    expect(permissionBasis({ basis: "transactional", consentEventId: null }, TRANSACTIONAL_WHY.template)).toMatch(/^transactional: /);
  });
});
