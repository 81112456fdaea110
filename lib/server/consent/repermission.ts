import "server-only";
import type { Db } from "@/db/client";
import { workspaceForConsent } from "@/db/queries/consent";
import { claimMessage, markMessage } from "@/db/queries/messages";
import { createRepermissionRequest, type RepermissionRequest, type RepermissionSource } from "@/db/queries/repermission";
import { getTemplateById } from "@/db/queries/templates";
import { TRANSACTIONAL_WHY } from "@/lib/consent/rules";
import { repermissionTemplateProblem, repermissionWording } from "@/lib/consent/repermission";
import { env } from "@/lib/env";
import { confirmationToken } from "@/lib/forms/tokens";
import { mergeContext } from "@/lib/email/message";
import { TemplateError } from "@/lib/email/render";
import { renderMessage } from "../email/render-pool";
import { sendEmail, type MailTransport } from "../email/transport";
import { checkConsent } from "./check";
import { CONFIRMATION_TTL_MS, confirmationUrl, sendConfirmationMail } from "./confirmation";

/**
 * Re-permission (docs/forms-and-consent.md#re-permission): asking unconfirmed contacts of an
 * import, a segment or an API call to confirm, with the double opt-in machinery (its token, its
 * confirmation page and the ledger's `confirmed` event, whose source names the request's kind).
 */

/** A custom re-permission template was refused; `message` says why. */
export class RepermissionTemplateError extends Error {}

/** Checks a custom template can carry the ask (transactional, with {{ confirm_url }}). */
export async function checkRepermissionTemplate(db: Db, q: { workspaceId: string; templateId: string }) {
  const t = await getTemplateById(db, q);
  if (!t) throw new RepermissionTemplateError("template not found");
  const problem = repermissionTemplateProblem(t);
  if (problem) throw new RepermissionTemplateError(problem);
  return t;
}

/** Stores a request (after checking its template); the caller emits `contacts/repermission.requested`. */
export async function createRequest(
  db: Db,
  q: {
    workspaceId: string;
    source: RepermissionSource;
    importId?: string;
    segmentId?: string;
    contactIds?: string[];
    templateId?: string | null;
    createdBy?: string | null;
    apiKeyId?: string | null;
    at: Date;
  },
): Promise<RepermissionRequest> {
  if (q.templateId) await checkRepermissionTemplate(db, { workspaceId: q.workspaceId, templateId: q.templateId });
  const ws = await workspaceForConsent(db, { workspaceId: q.workspaceId });
  if (!ws) throw new Error("workspace not found");
  return createRepermissionRequest(db, { ...q, wording: repermissionWording(ws.name) });
}

/** The event that starts the request's run: one per request (its id keys it). */
export const repermissionEvent = (r: { workspaceId: string; id: string }) => ({
  id: `repermission:${r.id}`,
  name: "contacts/repermission.requested",
  data: { workspaceId: r.workspaceId, requestId: r.id },
});

/**
 * Sends one contact the request's mail: the workspace's standard confirmation mail, or the
 * request's transactional template with `{{ confirm_url }}`. One message per contact per request
 * (its idempotency key), so a retried batch never sends twice.
 */
export async function askContact(
  db: Db,
  transport: MailTransport,
  q: { request: Pick<RepermissionRequest, "id" | "workspaceId" | "templateId">; contactId: string; optInEventId: string; at: Date },
): Promise<{ sent: boolean; detail: string }> {
  const { request } = q;
  if (!request.templateId) {
    return sendConfirmationMail(db, transport, { workspaceId: request.workspaceId, contactId: q.contactId, optInEventId: q.optInEventId, at: q.at, requestId: request.id });
  }
  const t = await getTemplateById(db, { workspaceId: request.workspaceId, templateId: request.templateId });
  const problem = t ? repermissionTemplateProblem(t) : "template not found";
  if (!t || problem) return { sent: false, detail: `Not sent: ${problem}` };
  const ws = await workspaceForConsent(db, { workspaceId: request.workspaceId });
  const { decision, facts, receipt } = await checkConsent(db, {
    workspaceId: request.workspaceId,
    contactId: q.contactId,
    class: "transactional",
    transactionalWhy: TRANSACTIONAL_WHY.confirmation,
  });
  if (!ws || !facts || !decision.allowed || !receipt) return { sent: false, detail: `Not sent: ${decision.allowed ? "contact missing" : decision.reason}` };
  const token = confirmationToken(ws.secret, {
    workspaceId: request.workspaceId,
    contactId: q.contactId,
    optInEventId: q.optInEventId,
    expiresAtMs: q.at.getTime() + CONFIRMATION_TTL_MS,
    requestId: request.id,
  });
  const idempotencyKey = `repermission:${request.id}:${q.contactId}`;
  const message = await claimMessage(db, {
    workspaceId: request.workspaceId,
    idempotencyKey,
    contactId: q.contactId,
    templateId: t.id,
    flowId: null,
    enrollmentId: null,
    nodeId: null,
    class: "transactional",
    toEmail: facts.email,
    subject: t.subject,
    unsubscribeToken: null,
    ...receipt,
  });
  if (message.status === "sent") return { sent: true, detail: "Sent (earlier attempt)" };
  let rendered;
  try {
    rendered = await renderMessage({
      template: { id: t.id, updatedAt: t.updatedAt, class: "transactional", subject: t.subject, preheader: t.preheader, body: t.body },
      ctx: mergeContext(facts, { contactId: q.contactId, trigger: {}, unsubscribeUrl: "", confirmUrl: confirmationUrl(token) }),
    });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    await markMessage(db, { workspaceId: request.workspaceId, messageId: message.id, status: "failed", error: err.message, at: q.at });
    return { sent: false, detail: `Template error: ${err.message}` };
  }
  const from = ws.fromEmail ? (ws.fromName ? `${ws.fromName} <${ws.fromEmail}>` : ws.fromEmail) : env().MAIL_FROM;
  const sent = await sendEmail(transport, {
    from,
    to: [facts.email],
    replyTo: ws.replyTo ?? undefined,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    tags: [
      { name: "workspace", value: request.workspaceId },
      { name: "contact", value: q.contactId },
      { name: "kind", value: "repermission" },
    ],
    idempotencyKey,
    class: "transactional",
  });
  await markMessage(db, { workspaceId: request.workspaceId, messageId: message.id, status: "sent", providerMessageId: sent.id, at: q.at, subject: rendered.subject, receipt });
  return { sent: true, detail: `Sent "${rendered.subject}" to ${facts.email}` };
}
