import "server-only";
import type { Db } from "@/db/client";
import { randomToken } from "@/db/queries/tokens";
import { getEnrollment } from "@/db/queries/enrollments";
import { claimMessage, markMessage, recentMarketingSends, sendingContext } from "@/db/queries/messages";
import { pinnedTemplate } from "@/db/queries/template-versions";
import { checkConsent } from "../consent/check";
import type { UtmOverride } from "@/lib/flows/catalog";
import { env } from "@/lib/env";
import { inboundUnsubscribe, marketingHeaders, mergeContext } from "@/lib/email/message";
import { marketingDeferral, parseSendingPolicy } from "@/lib/email/policy";
import { TemplateError } from "@/lib/email/render";
import { renderMessage } from "./render-pool";
import { campaignSlug } from "@/lib/email/tracking";
import { viewUrl } from "@/lib/email/view-link";
import type { MailTransport } from "./transport";
import { sendPaced } from "./batcher";
import { EmailSendError } from "@/lib/email/types";

export type FlowSendInput = {
  workspaceId: string;
  flowId: string;
  enrollmentId: string;
  contactId: string;
  nodeId: string;
  /** The run's step id: with the enrollment it makes the provider idempotency key. */
  stepId: string;
  templateId: string;
  /** The node's own UTM settings (its config's `utm`); absent: the workspace's. */
  utm?: UtmOverride | null;
  trigger: Record<string, unknown>;
  now: Date;
};

export type FlowSendResult =
  | { outcome: "sent"; messageId: string; providerMessageId: string; detail: string }
  | { outcome: "skipped"; detail: string }
  | { outcome: "deferred"; until: number; detail: string }
  | { outcome: "failed"; messageId: string; detail: string };

/**
 * One send-email node, as the flow runner's step calls it. Everything is checked here, inside the
 * step, right before the provider call: a cancelled run may still be executing a step, and a
 * contact may have unsubscribed while the run waited. Marketing mail the sending policy says
 * "not now" to comes back "deferred" with the next allowed slot; the runner sleeps until then
 * and calls again (same step id, same idempotency key). The hand-off goes through the workspace's
 * paced batches (./batcher.ts). Throws only on errors worth trying again: EmailSendError
 * "rate_limited" (with the provider's delay) and "provider_error" the runner waits out
 * (docs/flows.md#when-a-run-fails), "paced" it sleeps off; anything else the step retries.
 */
export async function sendFlowEmail(db: Db, transport: MailTransport, input: FlowSendInput): Promise<FlowSendResult> {
  const enrollment = await getEnrollment(db, { workspaceId: input.workspaceId, enrollmentId: input.enrollmentId });
  if (!enrollment || enrollment.status !== "active") {
    return { outcome: "skipped", detail: `Not sent: the enrollment has ended (${enrollment?.exitReason ?? enrollment?.status ?? "missing"})` };
  }
  // The content the enrollment's flow version pinned at publish, never the template as edited
  // since (docs/flows.md, "Publishing pins templates"); rendered and cached by the version's id.
  const pinned = await pinnedTemplate(db, { workspaceId: input.workspaceId, flowVersionId: enrollment.flowVersionId, templateId: input.templateId });
  if (!pinned) return { outcome: "skipped", detail: `Not sent: template ${input.templateId} is not pinned by this flow version: publish the flow again` };
  const template = { id: pinned.versionId, updatedAt: pinned.createdAt, class: pinned.class, topic: pinned.topic, subject: pinned.subject, preheader: pinned.preheader, body: pinned.body };
  const { decision, facts, receipt } = await checkConsent(db, { workspaceId: input.workspaceId, contactId: input.contactId, class: template.class, topic: template.topic });
  if (!decision.allowed || !facts || !receipt) return { outcome: "skipped", detail: `Not sent: ${decision.allowed ? "contact missing" : decision.reason}` };
  const ctx = await sendingContext(db, { workspaceId: input.workspaceId, flowId: input.flowId });
  if (!ctx) return { outcome: "skipped", detail: "Not sent: workspace missing" };
  const policy = parseSendingPolicy(ctx.sendingPolicy);

  const idempotencyKey = `${input.enrollmentId}:${input.stepId}`;
  if (template.class === "marketing") {
    const windowMs = (policy.frequencyCap?.windowHours ?? 0) * 3_600_000;
    const recent = policy.frequencyCap
      ? await recentMarketingSends(db, { workspaceId: input.workspaceId, contactId: input.contactId, since: new Date(input.now.getTime() - windowMs) })
      : [];
    const deferral = marketingDeferral(policy, {
      now: input.now.getTime(),
      timeZone: facts.timeZone ?? facts.workspaceTimeZone,
      recentSends: recent,
    });
    if (deferral !== null) return { outcome: "deferred", until: deferral.until, detail: deferral.detail };
  }

  const message = await claimMessage(db, {
    workspaceId: input.workspaceId,
    idempotencyKey,
    contactId: input.contactId,
    templateId: pinned.templateId,
    templateVersionId: pinned.versionId,
    flowId: input.flowId,
    enrollmentId: input.enrollmentId,
    nodeId: input.nodeId,
    class: template.class,
    toEmail: facts.email,
    subject: template.subject,
    unsubscribeToken: template.class === "marketing" ? randomToken() : null,
    ...receipt,
  });
  // An earlier attempt got through to the provider and recorded it: never send twice, even after
  // the provider's 24 h idempotency window.
  if (message.status !== "queued" && message.providerMessageId) {
    return { outcome: "sent", messageId: message.id, providerMessageId: message.providerMessageId, detail: "Sent (earlier attempt)" };
  }

  const appUrl = env().appUrl;
  const unsubscribeUrl = message.unsubscribeToken ? `${appUrl}/u/${message.unsubscribeToken}` : "";
  let rendered;
  try {
    // Rendered (links tracked too) in the render pool, within the per-message budget.
    rendered = await renderMessage({
      template,
      ctx: mergeContext(facts, {
        contactId: input.contactId,
        trigger: input.trigger,
        unsubscribeUrl,
        viewUrl: viewUrl(appUrl, ctx.secret, { workspaceId: input.workspaceId, messageId: message.id }),
      }),
      tracking: {
        appUrl,
        secret: ctx.secret,
        workspaceId: input.workspaceId,
        messageId: message.id,
        settings: policy.tracking,
        campaign: ctx.flowName ? campaignSlug(ctx.flowName) : null,
        content: input.nodeId,
        utm: input.utm,
      },
    });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    await markMessage(db, { workspaceId: input.workspaceId, messageId: message.id, status: "failed", error: err.message, at: input.now });
    return { outcome: "failed", messageId: message.id, detail: `Template error: ${err.message}` };
  }
  const from = facts.fromEmail ? (facts.fromName ? `${facts.fromName} <${facts.fromEmail}>` : facts.fromEmail) : env().MAIL_FROM;
  try {
    const email = {
      from,
      to: [facts.email],
      replyTo: facts.replyTo ?? undefined,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: template.class === "marketing" ? marketingHeaders(unsubscribeUrl, inboundUnsubscribe(message.unsubscribeToken)) : {},
      tags: [
        { name: "workspace", value: input.workspaceId },
        { name: "flow", value: input.flowId },
        { name: "enrollment", value: input.enrollmentId },
        { name: "node", value: input.nodeId.replace(/[^A-Za-z0-9_-]/g, "_") },
        { name: "contact", value: input.contactId },
      ],
      idempotencyKey,
      class: template.class,
    };
    // In the workspace's next provider batch, at its sending pace (docs/sending.md).
    const sent = await sendPaced(db, transport, { workspaceId: input.workspaceId, messageId: message.id, batchId: message.batchId, email, messageKey: idempotencyKey, pace: policy.pace, at: input.now });
    await markMessage(db, { workspaceId: input.workspaceId, messageId: message.id, status: "sent", providerMessageId: sent.id, at: input.now, subject: rendered.subject, receipt });
    return { outcome: "sent", messageId: message.id, providerMessageId: sent.id, detail: `Sent "${rendered.subject}" to ${facts.email}` };
  } catch (err) {
    if (err instanceof EmailSendError && err.code === "rejected") {
      // The provider refused this message for good; retrying would only repeat it.
      await markMessage(db, { workspaceId: input.workspaceId, messageId: message.id, status: "failed", error: err.message, at: input.now, subject: rendered.subject, receipt });
      return { outcome: "failed", messageId: message.id, detail: err.message };
    }
    throw err;
  }
}
