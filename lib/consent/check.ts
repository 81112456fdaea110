import "server-only";
import { createHash } from "node:crypto";
import type { Db } from "../../db/client";
import { consentFacts } from "../../db/queries/contacts";
import { mayReceive, type ConsentDecision } from "./rules";

/** sha256 of the lower-cased, trimmed address: how suppressions store addresses. */
export const emailHash = (email: string) => createHash("sha256").update(email.trim().toLowerCase()).digest("hex");

/**
 * Loads what the rules need and decides. Returns the contact and workspace facts too, so the
 * send step renders from the same read it decided on.
 */
export async function checkConsent(db: Db, q: { workspaceId: string; contactId: string; class: "marketing" | "transactional" }) {
  const facts = await consentFacts(db, { workspaceId: q.workspaceId, contactId: q.contactId, emailHash });
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
