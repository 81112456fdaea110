import "server-only";
import type { Db } from "@/db/client";
import { ledgerForRules, topicStateByKey } from "@/db/queries/consent";
import { consentFacts } from "@/db/queries/contacts";
import { mayReceive, permissionBasis, TRANSACTIONAL_WHY, type ConsentDecision } from "@/lib/consent/rules";

/** What a messages row records of the decision that let it go out (docs/forms-and-consent.md, "Consent receipts"). */
export type MessageReceipt = { consentEventId: string | null; permissionBasis: string };

/**
 * Loads what the rules need and decides. Returns the contact and workspace facts too, so the
 * send step renders from the same read it decided on, and, when allowed, the receipt to record on
 * the message: the ledger entry in force (marketing) or `transactional: <why>` (`transactionalWhy`,
 * the template's class by default). `topic` (a topic key, e.g. the template's) adds the contact's
 * state in that topic: someone who left it gets no mail of it.
 */
export async function checkConsent(
  db: Db,
  q: { workspaceId: string; contactId: string; class: "marketing" | "transactional"; topic?: string | null; transactionalWhy?: string },
): Promise<{ decision: ConsentDecision; facts: Awaited<ReturnType<typeof consentFacts>>; receipt: MessageReceipt | null }> {
  const facts = await consentFacts(db, { workspaceId: q.workspaceId, contactId: q.contactId });
  if (!facts) return { decision: { allowed: false, reason: "erased" }, facts: undefined, receipt: null };
  const [ledger, topicState] = await Promise.all([
    ledgerForRules(db, { workspaceId: q.workspaceId, contactId: q.contactId }),
    q.topic ? topicStateByKey(db, { workspaceId: q.workspaceId, contactId: q.contactId, key: q.topic }) : Promise.resolve(null),
  ]);
  const decision = mayReceive(q.class, {
    status: facts.status,
    ledger,
    suppression: facts.suppression,
    postalAddress: facts.postalAddress,
    ...(q.topic ? { topic: { key: q.topic, subscribed: topicState } } : {}),
  });
  const receipt = decision.allowed
    ? { consentEventId: decision.receipt.consentEventId, permissionBasis: permissionBasis(decision.receipt, q.transactionalWhy ?? TRANSACTIONAL_WHY.template) }
    : null;
  return { decision, facts, receipt };
}

export type LoadedConsentFacts = NonNullable<Awaited<ReturnType<typeof checkConsent>>["facts"]>;
