import "server-only";
import type { Db } from "@/db/client";
import { ledgerForRules, topicStateByKey } from "@/db/queries/consent";
import { consentFacts } from "@/db/queries/contacts";
import { mayReceive, type ConsentDecision } from "@/lib/consent/rules";

/**
 * Loads what the rules need and decides. Returns the contact and workspace facts too, so the
 * send step renders from the same read it decided on. `topic` (a topic key, e.g. the template's)
 * adds the contact's state in that topic: someone who left it gets no mail of it.
 */
export async function checkConsent(
  db: Db,
  q: { workspaceId: string; contactId: string; class: "marketing" | "transactional"; topic?: string | null },
) {
  const facts = await consentFacts(db, { workspaceId: q.workspaceId, contactId: q.contactId });
  if (!facts) return { decision: { allowed: false, reason: "erased" } as ConsentDecision, facts: undefined };
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
  return { decision, facts };
}

export type LoadedConsentFacts = NonNullable<Awaited<ReturnType<typeof checkConsent>>["facts"]>;
