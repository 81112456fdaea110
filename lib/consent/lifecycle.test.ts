import { describe, expect, it } from "vitest";
import type { ContactStatus } from "./rules";
import { hasStandingConsent, planConfirmation, planOptIn, planWithdrawal, type StoredConsent } from "./lifecycle";

const facts = (status: ContactStatus, ledger: StoredConsent["ledger"], doubleOptInDefault: boolean | null = true): StoredConsent => ({
  doubleOptInDefault,
  contact: { status, email: "a@example.com" },
  ledger,
});

describe("consent lifecycle", () => {
  it("standing consent is a confirmation or single opt-in after the latest withdrawal", () => {
    expect(hasStandingConsent(["opt_in", "confirmed"])).toBe(true);
    expect(hasStandingConsent(["single_opt_in"])).toBe(true);
    expect(hasStandingConsent(["opt_in", "confirmed", "withdrawn"])).toBe(false);
    expect(hasStandingConsent(["opt_in", "confirmed", "complaint", "opt_in"])).toBe(false);
    expect(hasStandingConsent(["confirmed", "withdrawn", "opt_in", "confirmed"])).toBe(true);
    expect(hasStandingConsent([])).toBe(false);
  });

  it("an opt-in: double opt-in as the form asks, else the workspace default; confirmed consent needs no new confirmation", () => {
    expect(planOptIn(facts("unconfirmed", []), undefined)).toEqual({ refused: null, doubleOptIn: true, status: "unconfirmed", liftSuppression: false });
    expect(planOptIn(facts("unconfirmed", [], false), undefined)).toEqual({ refused: null, doubleOptIn: false, status: "subscribed", liftSuppression: true });
    expect(planOptIn(facts("unconfirmed", [], false), true)).toMatchObject({ doubleOptIn: true, status: "unconfirmed" });
    expect(planOptIn(facts("subscribed", ["opt_in", "confirmed"]), true)).toMatchObject({ doubleOptIn: true, status: "subscribed", liftSuppression: true });
    // Unsubscribed since: a new opt-in must be confirmed again.
    expect(planOptIn(facts("unsubscribed", ["opt_in", "confirmed", "withdrawn"]), true)).toMatchObject({ status: "unconfirmed" });
    expect(planOptIn(facts("erased", []), true)).toEqual({ refused: "erased" });
    expect(planOptIn({ doubleOptInDefault: true, contact: null, ledger: [] }, true)).toEqual({ refused: "missing" });
    expect(planOptIn({ doubleOptInDefault: null, contact: null, ledger: [] }, true)).toEqual({ refused: "missing" });
  });

  it("a confirmation: invalid, already, expired or withdrawn before it confirms", () => {
    const base = { optIn: { kind: "opt_in", contactId: "c" }, contact: { id: "c", status: "unconfirmed" as const }, alreadyConfirmed: false, nowMs: 100, expiresAtMs: 200 };
    expect(planConfirmation(base)).toBe("confirm");
    expect(planConfirmation({ ...base, alreadyConfirmed: true, nowMs: 300 })).toBe("already");
    expect(planConfirmation({ ...base, nowMs: 201 })).toBe("expired");
    expect(planConfirmation({ ...base, contact: { id: "c", status: "unsubscribed" } })).toBe("withdrawn");
    expect(planConfirmation({ ...base, contact: { id: "c", status: "complained" } })).toBe("withdrawn");
    expect(planConfirmation({ ...base, contact: { id: "c", status: "erased" } })).toBe("invalid");
    expect(planConfirmation({ ...base, optIn: { kind: "opt_in", contactId: "someone-else" } })).toBe("invalid");
    expect(planConfirmation({ ...base, optIn: { kind: "withdrawn", contactId: "c" } })).toBe("invalid");
    expect(planConfirmation({ ...base, optIn: null })).toBe("invalid");
  });

  it("a withdrawal is recorded once; a replay records nothing new; an erased contact is left alone", () => {
    expect(planWithdrawal(facts("subscribed", ["opt_in", "confirmed"]))).toBe("withdraw");
    expect(planWithdrawal(facts("unsubscribed", ["opt_in", "confirmed", "withdrawn"]))).toBe("already");
    // Unsubscribed by a bounce-turned-status without a ledger withdrawal: the withdrawal is recorded.
    expect(planWithdrawal(facts("unsubscribed", ["opt_in", "confirmed"]))).toBe("withdraw");
    expect(planWithdrawal(facts("erased", ["erased"]))).toBe("none");
    expect(planWithdrawal({ contact: null, ledger: [] })).toBe("none");
  });
});
