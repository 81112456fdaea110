import "server-only";
import type { Db } from "@/db/client";
import {
  batchRecipientFacts,
  broadcastForSending,
  broadcastMessageKey,
  claimBroadcastMessages,
  markMessagesSent,
  markRecipients,
  recentMarketingSendsOf,
  type BroadcastForSending,
  type RecipientFacts,
  type RecipientOutcome,
} from "@/db/queries/broadcast-sending";
import { markMessage } from "@/db/queries/messages";
import { suppressionsFor } from "@/db/queries/suppressions";
import { randomToken } from "@/db/queries/tokens";
import { mayReceive, permissionBasis, TRANSACTIONAL_WHY, type ConsentDecision } from "@/lib/consent/rules";
import { env } from "@/lib/env";
import { utmOverrideSchema } from "@/lib/flows/catalog";
import { inboundUnsubscribe, marketingHeaders, mergeContext } from "@/lib/email/message";
import { marketingDeferral, parseSendingPolicy } from "@/lib/email/policy";
import type { MergeContext, TemplateInput } from "@/lib/email/render";
import { TemplateError } from "@/lib/email/render";
import { campaignSlug } from "@/lib/email/tracking";
import type { OutgoingEmail } from "@/lib/email/types";
import { viewUrl } from "@/lib/email/view-link";
import { sendFrozenBatch, type BatchItem, type BatchResult } from "./batcher";
import { renderMessages } from "./render-pool";
import type { MailTransport } from "./transport";

/**
 * One batch of a broadcast (docs/broadcasts.md, "Sending"): its queued recipients re-checked,
 * claimed, rendered from the pinned template version in one render-pool job, and handed to the
 * provider as one frozen request at the workspace's pace. Throws what the batcher throws for the
 * run to wait out (`paced`, `rate_limited`, `provider_error`); the retried step finds the message
 * rows and the frozen batch of the try before and sends those bytes again.
 */

export type BatchSendResult =
  | { stopped: true; status: string | null }
  | { stopped: false; sent: number; skipped: number; failed: number; deferred: number; deferUntil: number | null };

/**
 * The marketing rules (lib/consent/rules.ts mayReceive) for every recipient of the batch, from
 * facts read in three statements; the same decision and receipt as checkConsent, which reads them
 * one contact at a time (the audience test holds the two together).
 */
export async function batchConsent(
  db: Db,
  q: { workspaceId: string; postalAddress: string | null; class: "marketing" | "transactional"; topic: string | null; recipients: RecipientFacts[] },
): Promise<Map<string, { decision: ConsentDecision; permissionBasis: string | null }>> {
  const suppressed = await suppressionsFor(db, { workspaceId: q.workspaceId, emails: q.recipients.map((r) => r.email) });
  const out = new Map<string, { decision: ConsentDecision; permissionBasis: string | null }>();
  for (const r of q.recipients) {
    const decision = mayReceive(q.class, {
      status: r.status,
      ledger: r.ledger,
      suppression: suppressed.get(r.email.trim().toLowerCase()) ?? null,
      postalAddress: q.postalAddress,
      ...(q.topic ? { topic: { key: q.topic, subscribed: r.topicSubscribed } } : {}),
    });
    out.set(r.contactId, { decision, permissionBasis: decision.allowed ? permissionBasis(decision.receipt, TRANSACTIONAL_WHY.template) : null });
  }
  return out;
}

/** The `From:` of a broadcast: its own sender identity, else the workspace's, else the app's. */
function sender(b: BroadcastForSending): { from: string; replyTo: string | null } {
  const email = b.fromEmail ?? b.workspace.fromEmail;
  const name = b.fromEmail ? b.fromName : (b.fromName ?? b.workspace.fromName);
  return { from: email ? (name ? `${name} <${email}>` : email) : env().MAIL_FROM, replyTo: b.replyTo ?? b.workspace.replyTo };
}

export async function sendBroadcastBatch(
  db: Db,
  transport: MailTransport,
  q: { workspaceId: string; broadcastId: string; batchNo: number; now: Date },
): Promise<BatchSendResult> {
  const b = await broadcastForSending(db, { workspaceId: q.workspaceId, broadcastId: q.broadcastId });
  // Paused or cancelled: only batches already handing off finish; this one has not started.
  if (!b || b.status !== "sending") return { stopped: true, status: b?.status ?? null };
  const version = b.version;
  if (!version) throw new Error(`broadcast ${q.broadcastId} is sending without a pinned template version`);
  const policy = parseSendingPolicy(b.workspace.sendingPolicy);
  const recipients = await batchRecipientFacts(db, { workspaceId: q.workspaceId, broadcastId: q.broadcastId, batchNo: q.batchNo, topic: version.topic });
  const consent = await batchConsent(db, { workspaceId: q.workspaceId, postalAddress: b.workspace.postalAddress, class: version.class, topic: version.topic, recipients });

  const outcomes: RecipientOutcome[] = [];
  // A message an earlier attempt froze (or the provider took) is in flight: it goes as frozen.
  let allowed = recipients.filter((r) => {
    const c = consent.get(r.contactId)!;
    if (!c.decision.allowed && !r.inFlight) outcomes.push({ contactId: r.contactId, status: "skipped", reason: c.decision.reason, messageId: null });
    return c.decision.allowed || r.inFlight;
  });

  // Quiet hours and the frequency cap, unless the broadcast bypasses them: a recipient they hold
  // stays queued and this batch tries it again at the earliest time one is allowed.
  let deferUntil: number | null = null;
  if (version.class === "marketing" && !b.bypassCaps && (policy.frequencyCap || policy.quietHours)) {
    const windowMs = (policy.frequencyCap?.windowHours ?? 0) * 3_600_000;
    const recent = policy.frequencyCap
      ? await recentMarketingSendsOf(db, { workspaceId: q.workspaceId, contactIds: allowed.map((r) => r.contactId), since: new Date(q.now.getTime() - windowMs) })
      : new Map<string, number[]>();
    allowed = allowed.filter((r) => {
      if (r.inFlight) return true;
      const d = marketingDeferral(policy, { now: q.now.getTime(), timeZone: r.timeZone ?? b.workspace.timeZone, recentSends: recent.get(r.contactId) ?? [] });
      if (d) deferUntil = Math.min(deferUntil ?? d.until, d.until);
      return d === null;
    });
  }

  const subjectSource = b.subject ?? version.subject;
  const claimed = await claimBroadcastMessages(db, {
    workspaceId: q.workspaceId,
    broadcastId: q.broadcastId,
    templateId: version.templateId,
    templateVersionId: version.id,
    class: version.class,
    subject: subjectSource,
    claims: allowed.map((r) => {
      const c = consent.get(r.contactId)!;
      return {
        contactId: r.contactId,
        toEmail: r.email,
        unsubscribeToken: version.class === "marketing" ? randomToken() : null,
        consentEventId: c.decision.allowed ? c.decision.receipt.consentEventId : null,
        // Refused now but in flight: its row (with the receipt it went with) exists and is kept.
        permissionBasis: c.permissionBasis ?? "consent",
      };
    }),
  });
  const messageOf = new Map(claimed.map((m) => [m.contactId!, m]));

  // Rendered in one pool job; a message an earlier attempt got through is not sent again.
  const appUrl = env().appUrl;
  const template: TemplateInput & { id: string } = {
    id: version.id,
    updatedAt: version.createdAt,
    class: version.class,
    subject: subjectSource,
    preheader: b.preheader ?? version.preheader,
    body: version.body,
  };
  const utm = utmOverrideSchema.nullable().catch(null).parse(b.utm ?? null);
  const toSend = allowed.filter((r) => {
    const m = messageOf.get(r.contactId);
    if (m?.providerMessageId) outcomes.push({ contactId: r.contactId, status: "sent", reason: null, messageId: m.id });
    else if (m && m.status !== "queued") outcomes.push({ contactId: r.contactId, status: "failed", reason: m.status, messageId: m.id });
    return m !== undefined && !m.providerMessageId && m.status === "queued";
  });
  const unsubscribeUrlOf = (token: string | null) => (token ? `${appUrl}/u/${token}` : "");
  const rendered = await renderMessages(
    toSend.map((r) => {
      const m = messageOf.get(r.contactId)!;
      // `{{ view_url }}`: the unguessable page showing this message (lib/email/view-link.ts).
      const ctx: MergeContext = mergeContext(
        { ...r, workspaceName: b.workspace.name, postalAddress: b.workspace.postalAddress },
        { contactId: r.contactId, trigger: {}, unsubscribeUrl: unsubscribeUrlOf(m.unsubscribeToken), viewUrl: viewUrl(appUrl, b.workspace.secret, { workspaceId: q.workspaceId, messageId: m.id }) },
      );
      return {
        template,
        ctx,
        tracking: {
          appUrl,
          secret: b.workspace.secret,
          workspaceId: q.workspaceId,
          messageId: m.id,
          settings: policy.tracking,
          campaign: campaignSlug(b.name),
          content: null,
          utm,
        },
      };
    }),
  );

  const { from, replyTo } = sender(b);
  const items: BatchItem[] = [];
  const subjects = new Map<string, string>();
  toSend.forEach((r, i) => {
    const m = messageOf.get(r.contactId)!;
    const out = rendered[i]!;
    if (out instanceof TemplateError) {
      outcomes.push({ contactId: r.contactId, status: "failed", reason: `template: ${out.message}`.slice(0, 200), messageId: m.id });
      return;
    }
    subjects.set(m.id, out.subject);
    const email: OutgoingEmail = {
      from,
      to: [r.email],
      replyTo: replyTo ?? undefined,
      subject: out.subject,
      html: out.html,
      text: out.text,
      headers: version.class === "marketing" ? marketingHeaders(unsubscribeUrlOf(m.unsubscribeToken), inboundUnsubscribe(m.unsubscribeToken)) : {},
      tags: [
        { name: "workspace", value: q.workspaceId },
        { name: "broadcast", value: q.broadcastId },
        { name: "contact", value: r.contactId },
      ],
      idempotencyKey: broadcastMessageKey(q.broadcastId, r.contactId),
      class: version.class,
    };
    items.push({ messageId: m.id, batchId: m.batchId, email, messageKey: email.idempotencyKey! });
  });
  for (const o of outcomes) {
    if (o.status === "failed" && o.messageId && o.reason?.startsWith("template:")) {
      await markMessage(db, { workspaceId: q.workspaceId, messageId: o.messageId, status: "failed", error: o.reason, at: q.now });
    }
  }

  const results = items.length > 0 ? await sendFrozenBatch(db, transport, { workspaceId: q.workspaceId, pace: policy.pace, at: q.now, items }) : (new Map() as BatchResult);
  const contactOf = new Map(toSend.map((r) => [messageOf.get(r.contactId)!.id, r.contactId]));
  const sent: { messageId: string; providerMessageId: string; subject: string }[] = [];
  for (const item of items) {
    const r = results.get(item.messageId);
    const contactId = contactOf.get(item.messageId)!;
    if (!r) throw new Error(`message ${item.messageId}: no outcome from the provider batch`);
    if ("rejected" in r) {
      await markMessage(db, { workspaceId: q.workspaceId, messageId: item.messageId, status: "failed", error: r.rejected, at: q.now });
      outcomes.push({ contactId, status: "failed", reason: r.rejected.slice(0, 200), messageId: item.messageId });
    } else {
      // A batch the provider took marked its members sent already; only those sent alone are left.
      if (r.alone) sent.push({ messageId: item.messageId, providerMessageId: r.id, subject: subjects.get(item.messageId)! });
      outcomes.push({ contactId, status: "sent", reason: null, messageId: item.messageId });
    }
  }
  await markMessagesSent(db, { workspaceId: q.workspaceId, at: q.now, sent });
  await markRecipients(db, { workspaceId: q.workspaceId, broadcastId: q.broadcastId, outcomes });
  const count = (s: RecipientOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
  return { stopped: false, sent: count("sent"), skipped: count("skipped"), failed: count("failed"), deferred: recipients.length - outcomes.length, deferUntil };
}
