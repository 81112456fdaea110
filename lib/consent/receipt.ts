/**
 * The consent receipt of a message in words: which ledger entry let it go out, or why it needed
 * none. Pure, so the contact's timeline, the message page and tests say it the same way. See
 * docs/forms-and-consent.md ("Consent receipts").
 */
import type { ConsentKind } from "./rules";

export type ReceiptFacts = {
  /** messages.permission_basis: "consent", "transactional: <why>", or null (no receipt recorded). */
  permissionBasis: string | null;
  consentEventId: string | null;
  /** The ledger entry the receipt names, as stored now (an erased contact's row keeps only its skeleton). */
  event: {
    kind: ConsentKind;
    occurredAt: Date;
    source: string;
    formId: string | null;
    formName: string | null;
    formVersion: string | null;
    ip: string | null;
  } | null;
};

const SOURCES: Record<string, string> = {
  hosted_form: "the hosted form",
  embedded_form: "an embedded form",
  api: "the REST API",
  import: "a CSV import",
  manual: "a team member",
  double_opt_in: "the confirmation link",
};

/** How a form was reached, beside its name. */
const FORM_SOURCES: Record<string, string> = { hosted_form: "hosted page", embedded_form: "embed" };

const KINDS: Partial<Record<ConsentKind, string>> = { confirmed: "double opt-in confirmation", opt_in: "single opt-in" };

const minute = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 16)} UTC`;

export function describeReceipt(r: ReceiptFacts): string {
  if (r.permissionBasis === null) return "No consent receipt recorded for this message";
  if (r.permissionBasis.startsWith("transactional")) {
    const why = r.permissionBasis.replace(/^transactional:?\s*/, "");
    return `Transactional: needs no consent${why ? ` (${why})` : ""}`;
  }
  const e = r.event;
  if (!e) return "Sent under consent; the ledger entry is no longer held";
  const source = SOURCES[e.source] ?? e.source.replace(/_/g, " ");
  const viaForm = e.formName !== null ? `the form “${e.formName}”` : e.formId !== null ? "a deleted form" : null;
  // With a form named, the source still tells how it was reached (hosted page or embed); a
  // confirmation's source (the confirmation link) is its kind already.
  const details = [
    viaForm !== null && e.source !== "double_opt_in" ? (FORM_SOURCES[e.source] ?? e.source.replace(/_/g, " ")) : undefined,
    KINDS[e.kind],
    e.formVersion !== null ? `wording v${e.formVersion}` : undefined,
    e.ip !== null ? `IP ${e.ip}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const via = viaForm ?? source;
  return `Sent under consent given on ${minute(e.occurredAt)} via ${via}${details.length ? ` (${details.join(", ")})` : ""}`;
}
