import "server-only";
import type { Db } from "@/db/client";
import { upsertSignupContact, workspaceForConsent } from "@/db/queries/consent";
import type { FormRow } from "@/db/queries/forms";
import { suppressionsFor } from "@/db/queries/suppressions";
import { sendConfirmationOrRetry } from "../consent/confirmation";
import { recordOptIn, type ConsentEmit } from "../consent/record";
import type { MailTransport } from "../email/transport";
import { HONEYPOT_FIELD, parseSubmission, readFormConfig, STAMP_FIELD, type RawFields } from "@/lib/forms/config";
import { perAddress } from "@/lib/forms/limits";
import { readRenderStamp } from "@/lib/forms/tokens";

export type SubmitOutcome =
  | { outcome: "accepted"; contactId: string; needsConfirmation: boolean }
  /** The honeypot was filled: answered like a success, nothing stored. */
  | { outcome: "discarded" }
  | { outcome: "refused"; status: 400 | 422 | 429; field?: string; message: string; retryAfter?: number };

/**
 * One signup: spam checks → fields → contact created or updated → opt-in in the ledger (with the
 * form, its wording version, IP, user agent and source) → the confirmation mail (double opt-in)
 * or the `form/submitted` event that starts flows (single opt-in; with double opt-in it is sent
 * on confirmation instead).
 */
export async function submitForm(
  db: Db,
  q: {
    form: FormRow;
    fields: RawFields;
    ip: string;
    userAgent: string | null;
    source: "hosted_form" | "embedded_form";
    page: string | null;
    now: Date;
    transport: MailTransport;
    emit: ConsentEmit;
  },
): Promise<SubmitOutcome> {
  const config = readFormConfig(q.form.config);
  if ((q.fields[HONEYPOT_FIELD] ?? []).some((v) => v.trim() !== "")) return { outcome: "discarded" };
  const ws = await workspaceForConsent(db, { workspaceId: q.form.workspaceId });
  if (!ws) return { outcome: "refused", status: 400, message: "this form is not available" };
  const stamp = q.fields[STAMP_FIELD]?.[0];
  // The hosted page and both of its embeds (script and iframe) render a fresh signed stamp. Only the
  // static plain HTML embed cannot, so a stampless signup is taken only by a form whose owner chose
  // to accept that embed (the builder says what it costs): otherwise dropping `_t` would skip the
  // minimum fill time.
  if (stamp === undefined) {
    if (!config.plainHtmlEmbed)
      return { outcome: "refused", status: 400, field: STAMP_FIELD, message: "this form takes signups only from its own page and embeds: reload the page and try again" };
  } else {
    const renderedAt = readRenderStamp(ws.secret, q.form.id, stamp);
    if (renderedAt === undefined) return { outcome: "refused", status: 400, field: STAMP_FIELD, message: "the form is out of date: reload the page and try again" };
    if (q.now.getTime() - renderedAt < config.minFillSeconds * 1000) {
      return { outcome: "refused", status: 422, field: STAMP_FIELD, message: "submitted too quickly: please take a moment and try again" };
    }
  }
  const parsed = parseSubmission(config, q.fields);
  if (!parsed.ok) return { outcome: "refused", status: 400, field: parsed.field, message: parsed.message };
  const s = parsed.value;
  const wait = perAddress.take(`${q.form.workspaceId}:${s.email}`);
  if (wait > 0) return { outcome: "refused", status: 429, field: "email", message: "too many signups for this address: try again later", retryAfter: wait };

  const suppressed = (await suppressionsFor(db, { workspaceId: q.form.workspaceId, emails: [s.email] })).get(s.email);
  const { contact } = await upsertSignupContact(db, {
    workspaceId: q.form.workspaceId,
    email: s.email,
    firstName: s.firstName,
    lastName: s.lastName,
    attributes: s.attributes,
    source: q.source,
  });
  const submitted = { email: s.email, first_name: s.firstName, last_name: s.lastName, ...s.attributes, topics: s.topics };
  const optIn = await recordOptIn(db, {
    workspaceId: q.form.workspaceId,
    contactId: contact.id,
    email: s.email,
    source: q.source,
    doubleOptIn: q.form.doubleOptIn,
    formId: q.form.id,
    formVersion: String(q.form.wordingVersion),
    wording: q.form.consentWording,
    privacyNoticeUrl: config.privacyNoticeUrl,
    ip: q.ip,
    userAgent: q.userAgent,
    topics: s.topics,
    data: { fields: submitted, ...(q.page ? { page: q.page.slice(0, 500) } : {}), ...(suppressed === "erased" ? { previously_erased: true } : {}) },
    at: q.now,
  });
  if (optIn.needsConfirmation) {
    // The signup is committed: a failed mail is retried in the background, never a failed signup.
    await sendConfirmationOrRetry(db, q.transport, q.emit, { workspaceId: q.form.workspaceId, contactId: contact.id, optInEventId: optIn.optInEventId, at: q.now });
  } else {
    await emitFormSubmitted(q.emit, { workspaceId: q.form.workspaceId, contactId: contact.id, formId: q.form.id, fields: submitted });
  }
  return { outcome: "accepted", contactId: contact.id, needsConfirmation: optIn.needsConfirmation };
}

/** Starts flows with a form trigger. Consent is already committed: a failed send is logged, not fatal. */
export async function emitFormSubmitted(
  emit: ConsentEmit,
  d: { workspaceId: string; contactId: string; formId: string; fields: Record<string, unknown> },
) {
  await emit([{ name: "form/submitted", data: d }]).catch((err: unknown) => console.error("forms: could not send form/submitted", err));
}
