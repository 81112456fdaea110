import { describe, expect, it } from "vitest";
import { mayReceive, type ConsentFacts } from "./rules";

const ok: ConsentFacts = { status: "subscribed", ledger: ["opt_in", "confirmed"], suppression: null, postalAddress: "1 Fjord Road" };

describe("mayReceive", () => {
  it("allows marketing to a subscribed contact with a confirmed opt-in and a postal address", () => {
    expect(mayReceive("marketing", ok)).toEqual({ allowed: true });
  });
  it("refuses marketing without a confirmation, after a withdrawal, when suppressed, or without an address", () => {
    expect(mayReceive("marketing", { ...ok, ledger: ["opt_in"] })).toEqual({ allowed: false, reason: "no_confirmed_opt_in" });
    expect(mayReceive("marketing", { ...ok, ledger: ["opt_in", "confirmed", "withdrawn"] })).toEqual({ allowed: false, reason: "withdrawn" });
    expect(mayReceive("marketing", { ...ok, ledger: ["opt_in", "confirmed", "withdrawn", "opt_in"] })).toEqual({
      allowed: false,
      reason: "no_confirmed_opt_in",
    });
    expect(mayReceive("marketing", { ...ok, ledger: ["confirmed", "complaint", "opt_in", "confirmed"] })).toEqual({ allowed: true });
    expect(mayReceive("marketing", { ...ok, suppression: "unsubscribed" })).toEqual({ allowed: false, reason: "suppressed" });
    expect(mayReceive("marketing", { ...ok, status: "unsubscribed" })).toEqual({ allowed: false, reason: "not_subscribed" });
    expect(mayReceive("marketing", { ...ok, postalAddress: " " })).toEqual({ allowed: false, reason: "no_postal_address" });
    expect(mayReceive("marketing", { ...ok, status: "erased" })).toEqual({ allowed: false, reason: "erased" });
  });
  it("lets transactional mail through without consent, but not to erased or bounced addresses", () => {
    expect(mayReceive("transactional", { ...ok, status: "unsubscribed", ledger: [] })).toEqual({ allowed: true });
    expect(mayReceive("transactional", { ...ok, status: "bounced" })).toEqual({ allowed: false, reason: "undeliverable" });
    expect(mayReceive("transactional", { ...ok, status: "erased" })).toEqual({ allowed: false, reason: "erased" });
  });
  it("counts an opt-in given without double opt-in as confirmed, but never one from before a withdrawal", () => {
    expect(mayReceive("marketing", { ...ok, ledger: ["single_opt_in"] })).toEqual({ allowed: true });
    expect(mayReceive("marketing", { ...ok, ledger: ["single_opt_in", "withdrawn"] })).toEqual({ allowed: false, reason: "withdrawn" });
    expect(mayReceive("marketing", { ...ok, ledger: ["single_opt_in", "withdrawn", "opt_in"] })).toEqual({ allowed: false, reason: "no_confirmed_opt_in" });
  });
  it("refuses mail of a topic the contact left, and lets topics never asked about follow the list", () => {
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: false } })).toEqual({ allowed: false, reason: "topic_unsubscribed" });
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: null } })).toEqual({ allowed: true });
    expect(mayReceive("marketing", { ...ok, topic: { key: "news", subscribed: true } })).toEqual({ allowed: true });
    // A topic subscription does not outlive leaving the whole list.
    expect(mayReceive("marketing", { ...ok, status: "unsubscribed", topic: { key: "news", subscribed: true } })).toEqual({ allowed: false, reason: "not_subscribed" });
    // Transactional mail ignores topics.
    expect(mayReceive("transactional", { ...ok, topic: { key: "news", subscribed: false } })).toEqual({ allowed: true });
  });
});
