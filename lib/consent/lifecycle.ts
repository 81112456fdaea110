import type { ContactStatus, LedgerKind } from "./rules";

/**
 * What an opt-in, a confirmation or a withdrawal does, decided from the facts the database holds
 * (pure: lib/server/consent/record.ts fetches the facts once, asks here, and writes what is
 * decided). rules.ts decides whether a message may go out; this decides how consent changes.
 */

const WITHDRAWALS = new Set<LedgerKind>(["withdrawn", "complaint", "erased"]);

/** Has the list-wide ledger a confirmation (or single opt-in) since the latest withdrawal? */
export function hasStandingConsent(ledger: readonly LedgerKind[]): boolean {
  let last = -1;
  ledger.forEach((k, i) => {
    if (WITHDRAWALS.has(k)) last = i;
  });
  return ledger.slice(last + 1).some((k) => k === "confirmed" || k === "single_opt_in");
}

/** A contact's consent as stored: null where the workspace or the contact does not exist. */
export type StoredConsent = {
  doubleOptInDefault: boolean | null;
  contact: { status: ContactStatus; email: string } | null;
  /** The list-wide ledger (topic null), oldest first. */
  ledger: readonly LedgerKind[];
};

export type OptInPlan =
  | { refused: "missing" | "erased" }
  | {
      refused: null;
      doubleOptIn: boolean;
      /** Subscribed now (single opt-in, or consent already confirmed), or unconfirmed until the confirmation. */
      status: "subscribed" | "unconfirmed";
      /** A fresh opt-in outweighs an earlier unsubscribe or complaint (erasures are never lifted). */
      liftSuppression: boolean;
    };

/**
 * An opt-in: double opt-in as the form asks (`requested`) or the workspace's default. A contact
 * who already holds confirmed consent stays subscribed and need not confirm again.
 */
export function planOptIn(facts: StoredConsent, requested: boolean | undefined): OptInPlan {
  if (facts.doubleOptInDefault === null || !facts.contact) return { refused: "missing" };
  if (facts.contact.status === "erased") return { refused: "erased" };
  const doubleOptIn = requested ?? facts.doubleOptInDefault;
  const standing = facts.contact.status === "subscribed" && hasStandingConsent(facts.ledger);
  return !doubleOptIn || standing
    ? { refused: null, doubleOptIn, status: "subscribed", liftSuppression: true }
    : { refused: null, doubleOptIn, status: "unconfirmed", liftSuppression: false };
}

export type ConfirmationFacts = {
  /** The opt-in the link names, as stored. */
  optIn: { kind: string; contactId: string } | null;
  contact: { id: string; status: ContactStatus } | null;
  /** A `confirmed` event for this opt-in exists. */
  alreadyConfirmed: boolean;
  nowMs: number;
  expiresAtMs: number;
};

/** The Confirm button's press. A second press changes nothing; an unsubscribe since outranks a stale link. */
export function planConfirmation(f: ConfirmationFacts): "invalid" | "already" | "expired" | "withdrawn" | "confirm" {
  if (!f.optIn || !f.contact || f.optIn.contactId !== f.contact.id || f.optIn.kind !== "opt_in" || f.contact.status === "erased") return "invalid";
  if (f.alreadyConfirmed) return "already";
  if (f.nowMs > f.expiresAtMs) return "expired";
  if (f.contact.status === "unsubscribed" || f.contact.status === "complained") return "withdrawn";
  return "confirm";
}

/**
 * An unsubscribe from everything: nothing for an unknown or erased contact, nothing new when the
 * contact is unsubscribed and the ledger ends in a withdrawal already (a replay), else a withdrawal.
 */
export function planWithdrawal(facts: Pick<StoredConsent, "contact" | "ledger">): "none" | "already" | "withdraw" {
  if (!facts.contact || facts.contact.status === "erased") return "none";
  const last = facts.ledger.at(-1);
  return facts.contact.status === "unsubscribed" && last !== undefined && WITHDRAWALS.has(last) ? "already" : "withdraw";
}
