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
export type ContactStatus = "unconfirmed" | "subscribed" | "unsubscribed" | "bounced" | "complained" | "erased";
export type SuppressionReason = "unsubscribed" | "bounced" | "complained" | "erased" | "manual";

export type ConsentFacts = {
  status: ContactStatus;
  /** The list-wide ledger (topic null), oldest first. */
  ledger: readonly LedgerKind[];
  suppression: SuppressionReason | null;
  /** The workspace's postal address (CAN-SPAM: required in every marketing message). */
  postalAddress: string | null;
  /**
   * The message's topic and the contact's state in it: subscribed true/false, or null when never
   * asked (then the list-wide consent decides). Absent: a message of no particular topic.
   */
  topic?: { key: string; subscribed: boolean | null };
};

export type ConsentDecision =
  | { allowed: true }
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

export function mayReceive(kind: "marketing" | "transactional", facts: ConsentFacts): ConsentDecision {
  if (facts.status === "erased") return { allowed: false, reason: "erased" };
  if (kind === "transactional") {
    // Transactional mail needs no consent, but mail to a dead or erased address only hurts reputation.
    if (facts.status === "bounced" || facts.suppression === "bounced" || facts.suppression === "erased") {
      return { allowed: false, reason: "undeliverable" };
    }
    return { allowed: true };
  }
  if (facts.suppression !== null) return { allowed: false, reason: "suppressed" };
  if (facts.status !== "subscribed") return { allowed: false, reason: "not_subscribed" };
  let lastWithdrawal = -1;
  facts.ledger.forEach((k, i) => {
    if (WITHDRAWALS.has(k)) lastWithdrawal = i;
  });
  const after = facts.ledger.slice(lastWithdrawal + 1);
  if (lastWithdrawal >= 0 && after.length === 0) return { allowed: false, reason: "withdrawn" };
  // Only a confirmation recorded after the latest withdrawal counts: re-subscribing needs a new one.
  if (!after.includes("confirmed") && !after.includes("single_opt_in")) return { allowed: false, reason: "no_confirmed_opt_in" };
  if (facts.topic && facts.topic.subscribed === false) return { allowed: false, reason: "topic_unsubscribed" };
  if (!facts.postalAddress || facts.postalAddress.trim() === "") return { allowed: false, reason: "no_postal_address" };
  return { allowed: true };
}
