import "server-only";
import type { Db } from "@/db/client";
import { workspaceForConsent } from "@/db/queries/consent";
import { claimMessage, markMessage } from "@/db/queries/messages";
import { sendEmail, type MailTransport } from "../email/transport";
import { env } from "@/lib/env";
import { confirmationToken } from "@/lib/forms/tokens";
import { TRANSACTIONAL_WHY } from "@/lib/consent/rules";
import { checkConsent } from "./check";
import { recordOptIn, type ConsentEmit, type OptInInput } from "./record";
import { escapeHtml } from "@/lib/html";

/** How long a confirmation link works. */
export const CONFIRMATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const confirmationUrl = (token: string) => `${env().appUrl}/f/confirm/${token}`;


/**
 * The double opt-in mail: transactional (it asks for consent, so it needs none), one per opt-in
 * (the opt-in event id keys it, so a retry never sends two). Its link opens a page with a Confirm
 * button; only that button's POST confirms.
 */
export async function sendConfirmationMail(
  db: Db,
  transport: MailTransport,
  q: { workspaceId: string; contactId: string; optInEventId: string; listName?: string; at: Date; /** A re-permission request asking (one mail per contact per request). */ requestId?: string },
): Promise<{ sent: boolean; detail: string; url?: string }> {
  const ws = await workspaceForConsent(db, { workspaceId: q.workspaceId });
  const { decision, facts, receipt } = await checkConsent(db, {
    workspaceId: q.workspaceId,
    contactId: q.contactId,
    class: "transactional",
    transactionalWhy: TRANSACTIONAL_WHY.confirmation,
  });
  if (!ws || !facts || !decision.allowed || !receipt) return { sent: false, detail: `Not sent: ${decision.allowed ? "contact missing" : decision.reason}` };
  const token = confirmationToken(ws.secret, {
    workspaceId: q.workspaceId,
    contactId: q.contactId,
    optInEventId: q.optInEventId,
    expiresAtMs: q.at.getTime() + CONFIRMATION_TTL_MS,
    requestId: q.requestId,
  });
  const url = confirmationUrl(token);
  const list = q.listName ?? ws.name;
  const subject = `Confirm your subscription to ${list}`;
  const idempotencyKey = q.requestId ? `repermission:${q.requestId}:${q.contactId}` : `confirm:${q.optInEventId}`;
  const message = await claimMessage(db, {
    workspaceId: q.workspaceId,
    idempotencyKey,
    contactId: q.contactId,
    templateId: null,
    flowId: null,
    enrollmentId: null,
    nodeId: null,
    class: "transactional",
    toEmail: facts.email,
    subject,
    unsubscribeToken: null,
    ...receipt,
  });
  if (message.status === "sent") return { sent: true, detail: "Sent (earlier attempt)", url };
  const from = ws.fromEmail ? (ws.fromName ? `${ws.fromName} <${ws.fromEmail}>` : ws.fromEmail) : env().MAIL_FROM;
  const text = [
    `Please confirm that you want to receive email from ${ws.name}.`,
    "",
    `Open this link and press Confirm: ${url}`,
    "",
    "The link works for 7 days. If you did not sign up, ignore this message: you will not hear from us again.",
    ws.postalAddress ? `\n${ws.name} · ${ws.postalAddress}` : "",
  ].join("\n");
  const html = `<p>Please confirm that you want to receive email from <strong>${escapeHtml(ws.name)}</strong>.</p>
<p><a href="${escapeHtml(url)}" style="display:inline-block;padding:10px 18px;background:#2563eb;color:#fff;border-radius:6px;text-decoration:none">Confirm my subscription</a></p>
<p style="color:#555;font-size:13px">The link works for 7 days. If you did not sign up, ignore this message: you will not hear from us again.</p>
${ws.postalAddress ? `<p style="color:#888;font-size:12px">${escapeHtml(ws.name)} · ${escapeHtml(ws.postalAddress)}</p>` : ""}`;
  const sent = await sendEmail(transport, {
    from,
    to: [facts.email],
    replyTo: ws.replyTo ?? undefined,
    subject,
    html,
    text,
    tags: [
      { name: "workspace", value: q.workspaceId },
      { name: "contact", value: q.contactId },
      { name: "kind", value: q.requestId ? "repermission" : "double_opt_in" },
    ],
    idempotencyKey,
    class: "transactional",
  });
  await markMessage(db, { workspaceId: q.workspaceId, messageId: message.id, status: "sent", providerMessageId: sent.id, at: q.at });
  return { sent: true, detail: `Sent "${subject}" to ${facts.email}`, url };
}

/** Hands a confirmation mail to the `confirmation-mail` function (one event per opt-in). */
export const confirmationMailEvent = (q: { workspaceId: string; contactId: string; optInEventId: string }) => ({
  id: `confirm-mail:${q.optInEventId}`,
  name: "contacts/confirmation.requested",
  data: { workspaceId: q.workspaceId, contactId: q.contactId, optInEventId: q.optInEventId },
});

/**
 * What became of a confirmation mail: `sent` (the provider took it), `queued` (the inline attempt
 * failed and the mail is retried in the background), `not_sent` (the consent check refused it).
 */
export type ConfirmationMailOutcome = "sent" | "queued" | "not_sent";

/**
 * The confirmation mail for an opt-in just committed (a form's signup, a contact created through
 * the API): tried at once, and when that fails (no transport configured, the provider down) handed
 * to the `confirmation-mail` function, which retries until the provider takes it. The signup itself
 * never fails because of the mail, and the opt-in event id keys the message, so the contact gets one.
 */
export async function sendConfirmationOrRetry(
  db: Db,
  transport: MailTransport,
  emit: ConsentEmit,
  q: { workspaceId: string; contactId: string; optInEventId: string; at: Date },
): Promise<ConfirmationMailOutcome> {
  try {
    const mail = await sendConfirmationMail(db, transport, q);
    return mail.sent ? "sent" : "not_sent";
  } catch (err) {
    console.warn(`consent: confirmation mail for opt-in ${q.optInEventId} will be retried (${(err as Error).message})`);
    await emit([confirmationMailEvent(q)]);
    return "queued";
  }
}

/**
 * The one call for entry paths that create contacts in bulk or by API (CSV import, REST): records
 * the opt-in under the workspace's double opt-in default (or `doubleOptIn` when given) and, when
 * a confirmation is due, sends the confirmation mail (or hands it on to be retried, see
 * `sendConfirmationOrRetry`). Import passes `source: "import"` and its stated lawful source in `data`.
 */
export async function recordOptInAndConfirm(db: Db, transport: MailTransport, emit: ConsentEmit, input: OptInInput & { at: Date }) {
  const optIn = await recordOptIn(db, input);
  const confirmation = optIn.needsConfirmation
    ? await sendConfirmationOrRetry(db, transport, emit, { workspaceId: input.workspaceId, contactId: input.contactId, optInEventId: optIn.optInEventId, at: input.at })
    : null;
  return { ...optIn, confirmation, confirmationSent: confirmation === "sent" };
}
