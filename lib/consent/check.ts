import "server-only";
import type { Db } from "../../db/client";
import { consentFacts } from "../../db/queries/contacts";
import { mayReceive, type ConsentDecision } from "./rules";

/**
 * Loads what the rules need and decides. Returns the contact and workspace facts too, so the
 * send step renders from the same read it decided on.
 */
export async function checkConsent(db: Db, q: { workspaceId: string; contactId: string; class: "marketing" | "transactional" }) {
  const facts = await consentFacts(db, { workspaceId: q.workspaceId, contactId: q.contactId });
  if (!facts) return { decision: { allowed: false, reason: "erased" } as ConsentDecision, facts: undefined };
  const decision = mayReceive(q.class, {
    status: facts.status,
    ledger: facts.ledger,
    suppression: facts.suppression,
    postalAddress: facts.postalAddress,
  });
  return { decision, facts };
}

export type LoadedConsentFacts = NonNullable<Awaited<ReturnType<typeof checkConsent>>["facts"]>;
