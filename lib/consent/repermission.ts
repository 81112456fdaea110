/**
 * Re-permission's pure decisions (docs/forms-and-consent.md#re-permission): whether a custom
 * template can carry the ask, the wording a confirmation records, and whether one listed contact
 * may be asked now.
 */

/** `{{ confirm_url }}`, with or without filters and whitespace control. */
const CONFIRM_URL_TAG = /\{\{-?\s*confirm_url\s*(?:\|[^}]*)?-?\}\}/;

export type RepermissionTemplate = {
  class: "marketing" | "transactional";
  subject: string;
  preheader: string;
  body: unknown;
  archivedAt: Date | null;
};

/** Why a template cannot be the re-permission mail, or null when it can. */
export function repermissionTemplateProblem(t: RepermissionTemplate): string | null {
  if (t.archivedAt) return "this template is archived: restore it or choose another";
  if (t.class !== "transactional") return "a re-permission mail must be a transactional template (it asks for consent, so it cannot need it)";
  const text = [t.subject, t.preheader, JSON.stringify(t.body ?? {})].join("\n");
  if (!CONFIRM_URL_TAG.test(text)) return "the template has no {{ confirm_url }}: add the confirmation link to its body";
  return null;
}

/** The statement the confirmation page shows and each `confirmed` ledger event keeps. */
export function repermissionWording(workspaceName: string): string {
  return `I want to receive email from ${workspaceName}. I can leave at any time with the link in every email.`;
}

export type AskFacts = {
  /** The contact's status now (it may have changed since it was listed). */
  status: string;
  /** The address's suppression reason, if any. */
  suppressed: string | null;
  /** Asked by another request within the re-ask window. */
  askedRecently: boolean;
  /** The opt-in the confirmation confirms; none recorded: nothing to confirm. */
  optInEventId: string | null;
};

export type AskDecision = { ask: true; optInEventId: string } | { ask: false; reason: string };

/** Never ask a suppressed, withdrawn, erased or already subscribed contact, nor one asked within the window. */
export function decideAsk(f: AskFacts): AskDecision {
  if (f.status !== "unconfirmed") return { ask: false, reason: f.status === "subscribed" ? "already confirmed" : f.status };
  if (f.suppressed) return { ask: false, reason: `suppressed (${f.suppressed})` };
  if (f.askedRecently) return { ask: false, reason: "asked in the last 7 days" };
  if (!f.optInEventId) return { ask: false, reason: "no opt-in on record" };
  return { ask: true, optInEventId: f.optInEventId };
}
