/**
 * May this contact receive this kind of message now? Pure, so the send step, the preference
 * centre and tests apply one rule. The send step re-checks it inside the step, right before the
 * provider call, because a run may have waited days since the contact entered.
 */

export type ConsentKind = "opt_in" | "confirmed" | "withdrawn" | "complaint" | "erased";
/**
 * What the rules read from the ledger: the ledger's kinds, plus `single_opt_in` for an opt-in
 * given where double opt-in was off (a form or workspace setting), which needs no confirmation.
 */
export type LedgerKind = ConsentKind | "single_opt_in";
/** One list-wide ledger entry as the rules read it: its id (for the receipt) and kind. */
export type LedgerEntry = { id: string; kind: LedgerKind };
export type ContactStatus = "unconfirmed" | "subscribed" | "unsubscribed" | "bounced" | "complained" | "erased";
export type SuppressionReason = "unsubscribed" | "bounced" | "complained" | "erased" | "manual";

export type ConsentFacts = {
  status: ContactStatus;
  /** The list-wide ledger (topic null), oldest first. */
  ledger: readonly LedgerEntry[];
  suppression: SuppressionReason | null;
  /** The workspace's postal address (CAN-SPAM: required in every marketing message). */
  postalAddress: string | null;
  /**
   * The message's topic and the contact's state in it: subscribed true/false, or null when never
   * asked (then the list-wide consent decides). Absent: a message of no particular topic.
   */
  topic?: { key: string; subscribed: boolean | null };
};

/**
 * Why a message may go out, recorded on its messages row at hand-off: the ledger entry in force
 * (the confirmation, or the single opt-in, after the latest withdrawal) for marketing; none for
 * transactional mail. A topic's own state can refuse a message but is never the receipt: the
 * list-wide entry is.
 */
export type ConsentReceipt = { basis: "consent"; consentEventId: string } | { basis: "transactional"; consentEventId: null };

export type ConsentDecision =
  | { allowed: true; receipt: ConsentReceipt }
  | {
      allowed: false;
      reason:
        | "erased"
        | "suppressed"
        | "not_subscribed"
        | "no_confirmed_opt_in"
        | "withdrawn"
        | "no_postal_address"
        | "topic_unsubscribed"
        | "undeliverable";
    };

const WITHDRAWALS = new Set<LedgerKind>(["withdrawn", "complaint", "erased"]);
const PERMITS = new Set<LedgerKind>(["confirmed", "single_opt_in"]);

/** Why transactional mail needs no consent, as its permission basis says (`transactional: <why>`). */
export const TRANSACTIONAL_WHY = {
  confirmation: "confirmation of a sign-up request",
  template: "service mail from a template marked transactional",
} as const;

/** The messages row's permission_basis for a receipt: "consent", or "transactional: <why>". */
export function permissionBasis(receipt: ConsentReceipt, transactionalWhy: string): string {
  return receipt.basis === "consent" ? "consent" : `transactional: ${transactionalWhy}`;
}

export function mayReceive(kind: "marketing" | "transactional", facts: ConsentFacts): ConsentDecision {
  if (facts.status === "erased") return { allowed: false, reason: "erased" };
  if (kind === "transactional") {
    // Transactional mail needs no consent, but mail to a dead or erased address only hurts reputation.
    if (facts.status === "bounced" || facts.suppression === "bounced" || facts.suppression === "erased") {
      return { allowed: false, reason: "undeliverable" };
    }
    return { allowed: true, receipt: { basis: "transactional", consentEventId: null } };
  }
  if (facts.suppression !== null) return { allowed: false, reason: "suppressed" };
  if (facts.status !== "subscribed") return { allowed: false, reason: "not_subscribed" };
  let lastWithdrawal = -1;
  facts.ledger.forEach((e, i) => {
    if (WITHDRAWALS.has(e.kind)) lastWithdrawal = i;
  });
  const after = facts.ledger.slice(lastWithdrawal + 1);
  if (lastWithdrawal >= 0 && after.length === 0) return { allowed: false, reason: "withdrawn" };
  // Only a confirmation recorded after the latest withdrawal counts: re-subscribing needs a new one.
  // The latest such entry is the one in force, and the message's receipt.
  const permit = after.findLast((e) => PERMITS.has(e.kind));
  if (!permit) return { allowed: false, reason: "no_confirmed_opt_in" };
  if (facts.topic && facts.topic.subscribed === false) return { allowed: false, reason: "topic_unsubscribed" };
  if (!facts.postalAddress || facts.postalAddress.trim() === "") return { allowed: false, reason: "no_postal_address" };
  return { allowed: true, receipt: { basis: "consent", consentEventId: permit.id } };
}
