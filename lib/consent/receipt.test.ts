import { describe, expect, it } from "vitest";
import { describeReceipt, type ReceiptFacts } from "./receipt";

const at = new Date("2026-03-02T14:03:27Z");
const confirmation: NonNullable<ReceiptFacts["event"]> = {
  kind: "confirmed",
  occurredAt: at,
  source: "double_opt_in",
  formId: "5d7c1a3e-0000-4000-8000-000000000001",
  formName: "Spring signup",
  formVersion: "3",
  ip: "203.0.113.9",
};

describe("describeReceipt", () => {
  it("names the consent's time, form, wording version and IP", () => {
    expect(describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: confirmation })).toBe(
      "Sent under consent given on 2026-03-02 14:03 UTC via the form “Spring signup” (double opt-in confirmation, wording v3, IP 203.0.113.9)",
    );
  });
  it("shows what is left of an erased contact's redacted ledger row: kind, time, source, form version", () => {
    expect(describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: { ...confirmation, ip: null } })).toBe(
      "Sent under consent given on 2026-03-02 14:03 UTC via the form “Spring signup” (double opt-in confirmation, wording v3)",
    );
  });
  it("names the source when no form was involved, and a deleted form as such", () => {
    expect(
      describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: { ...confirmation, kind: "opt_in", source: "api", formId: null, formName: null, formVersion: null, ip: null } }),
    ).toBe("Sent under consent given on 2026-03-02 14:03 UTC via the REST API (single opt-in)");
    expect(describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: { ...confirmation, formName: null } })).toBe(
      "Sent under consent given on 2026-03-02 14:03 UTC via a deleted form (double opt-in confirmation, wording v3, IP 203.0.113.9)",
    );
    expect(
      describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: { ...confirmation, kind: "opt_in", source: "custom_sync", formId: null, formName: null, formVersion: null, ip: null } }),
    ).toBe("Sent under consent given on 2026-03-02 14:03 UTC via custom sync (single opt-in)");
    // A single opt-in through a form: the form, and how it was reached.
    expect(describeReceipt({ permissionBasis: "consent", consentEventId: "e1", event: { ...confirmation, kind: "opt_in", source: "embedded_form", ip: null } })).toBe(
      "Sent under consent given on 2026-03-02 14:03 UTC via the form “Spring signup” (embed, single opt-in, wording v3)",
    );
  });
  it("says transactional mail needs no consent, and why", () => {
    expect(describeReceipt({ permissionBasis: "transactional: confirmation of a sign-up request", consentEventId: null, event: null })).toBe(
      "Transactional: needs no consent (confirmation of a sign-up request)",
    );
  });
  it("says so when there is no receipt or its ledger entry is gone", () => {
    expect(describeReceipt({ permissionBasis: null, consentEventId: null, event: null })).toBe("No consent receipt recorded for this message");
    expect(describeReceipt({ permissionBasis: "consent", consentEventId: null, event: null })).toBe("Sent under consent; the ledger entry is no longer held");
  });
});
