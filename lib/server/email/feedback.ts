import "server-only";
import { createHash } from "node:crypto";
import { Resend } from "resend";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  advanceMessageStatus,
  deliveredAt,
  getMessage,
  insertEmailEvent,
  messageByProviderId,
  recentClickCount,
  recordDeliveryFeedback,
  type EmailEventType,
  type MessageRow,
} from "@/db/queries/messages";
import { suppressAddress } from "@/db/queries/suppressions";
import { getWorkspaceSecret } from "@/db/queries/templates";
import { machineReason } from "@/lib/email/tracking";
import { peekTrackingToken, verifyTrackingToken } from "@/lib/email/tracking";
import { storableTime, UNSTORABLE_MESSAGE, unstorablePath } from "@/lib/storable";

/**
 * Delivery feedback: Resend's signed webhooks, our click redirect and open pixel. Each maps to
 * one email_events row, stored once (dedupe key), with machine activity flagged; then a bounce or
 * complaint suppresses the address and withdraws consent, and human engagement becomes an Inngest
 * event that wakes waits and feeds conditions.
 */

export type EmailFeedbackEvent = {
  name: "email/opened" | "email/clicked" | "email/bounced" | "email/complained";
  id: string;
  data: Record<string, unknown>;
};
export type Emit = (events: EmailFeedbackEvent[]) => Promise<void>;

const resendEvent = z.object({
  type: z.string().max(100),
  created_at: z.string().max(100),
  data: z
    .object({
      email_id: z.string().min(1).max(200),
      to: z.array(z.string()).optional(),
      bounce: z.object({ type: z.string().optional(), subType: z.string().optional(), message: z.string().optional() }).loose().optional(),
      click: z.object({ ipAddress: z.string().optional(), link: z.string().optional(), timestamp: z.string().optional(), userAgent: z.string().optional() }).loose().optional(),
    })
    .loose(),
});

const TYPES: Record<string, EmailEventType> = {
  "email.sent": "sent",
  "email.delivered": "delivered",
  "email.delivery_delayed": "delivery_delayed",
  "email.opened": "opened",
  "email.clicked": "clicked",
  "email.bounced": "bounced",
  "email.complained": "complained",
  "email.failed": "failed",
  "email.suppressed": "suppressed",
};

export type WebhookResult = { status: number; body: { ok: boolean; message: string } };

const verifier = new Resend("re_webhook_verify_only");

/** Verifies (resend.webhooks.verify: svix-style signature, 5-minute tolerance) and maps one webhook delivery. */
export async function handleResendWebhook(
  db: Db,
  q: { payload: string; headers: { id: string | null; timestamp: string | null; signature: string | null }; secret: string | undefined; emit: Emit },
): Promise<WebhookResult> {
  if (!q.secret) return { status: 503, body: { ok: false, message: "RESEND_WEBHOOK_SECRET is not configured" } };
  const { id, timestamp, signature } = q.headers;
  if (!id || !timestamp || !signature) return { status: 400, body: { ok: false, message: "svix-id, svix-timestamp and svix-signature headers are required" } };
  if (q.payload.length > 1_000_000) return { status: 413, body: { ok: false, message: "payload too large" } };
  let verified: unknown;
  try {
    verified = verifier.webhooks.verify({ payload: q.payload, headers: { id, timestamp, signature }, webhookSecret: q.secret });
  } catch (err) {
    return { status: 400, body: { ok: false, message: `signature: ${err instanceof Error ? err.message : "invalid"}` } };
  }
  // Signed, yet still text: what Postgres cannot store is refused before it reaches a query.
  const unstorable = unstorablePath(verified);
  if (unstorable !== undefined) return { status: 400, body: { ok: false, message: `${unstorable || "payload"}: ${UNSTORABLE_MESSAGE}` } };
  const parsed = resendEvent.safeParse(verified);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { status: 400, body: { ok: false, message: `${issue.path.join(".") || "payload"}: ${issue.message}` } };
  }
  const ev = parsed.data;
  const type = Object.hasOwn(TYPES, ev.type) ? TYPES[ev.type] : undefined;
  if (!type) return { status: 200, body: { ok: true, message: `ignored: ${ev.type}` } };
  const message = await messageByProviderId(db, ev.data.email_id);
  if (!message) return { status: 200, body: { ok: true, message: "ignored: no message with this id" } };

  const occurredAt = dateOr(ev.data.click?.timestamp ?? ev.created_at, new Date());
  let machine = false;
  let reason: string | null = null;
  if (type === "opened" || type === "clicked") {
    reason = await judge(db, message, {
      kind: type === "opened" ? "open" : "click",
      method: "GET",
      userAgent: ev.data.click?.userAgent ?? (type === "opened" ? "webhook" : null),
      ip: ev.data.click?.ipAddress ?? null,
      at: occurredAt,
    });
    machine = reason !== null;
  }
  const hard = type === "bounced" && /^permanent$/i.test(ev.data.bounce?.type ?? "");
  const dedupeKey = `resend:${id}`;
  const inserted = await insertEmailEvent(db, {
    workspaceId: message.workspaceId,
    messageId: message.id,
    contactId: message.contactId,
    type,
    dedupeKey,
    machine,
    url: ev.data.click?.link ?? null,
    ip: ev.data.click?.ipAddress ?? null,
    userAgent: ev.data.click?.userAgent ?? null,
    data: { provider: "resend", type: ev.type, ...(reason ? { machineReason: reason } : {}), ...(ev.data.bounce ? { bounce: ev.data.bounce } : {}) },
    occurredAt,
  });
  if (inserted) {
    if (type === "delivered" || type === "delivery_delayed" || type === "bounced" || type === "complained" || type === "failed" || type === "suppressed") {
      await advanceMessageStatus(db, {
        workspaceId: message.workspaceId,
        messageId: message.id,
        status: type === "delivery_delayed" ? "delayed" : type,
      });
    }
    if ((hard || type === "complained") && message.contactId) {
      await suppressAddress(db, { workspaceId: message.workspaceId, email: message.toEmail, reason: hard ? "bounced" : "complained", note: `webhook ${ev.type}` });
      await recordDeliveryFeedback(db, {
        workspaceId: message.workspaceId,
        contactId: message.contactId,
        kind: hard ? "bounced" : "complained",
        email: message.toEmail,
        messageId: message.id,
        at: occurredAt,
      });
    }
  }
  // Sent on replays too (same event id, so Inngest keeps one): a failed send earlier is made good.
  const out = feedbackEvent(message, { type, machine, dedupeKey, at: occurredAt, url: ev.data.click?.link, bounceType: ev.data.bounce?.type, hard });
  if (out) await q.emit([out]);
  return { status: 200, body: { ok: true, message: inserted ? `stored ${type}` : "already stored" } };
}

function dateOr(s: string | undefined, fallback: Date): Date {
  const t = s ? new Date(s) : undefined;
  return t && storableTime(t) ? t : fallback;
}

async function judge(db: Db, m: MessageRow, a: { kind: "open" | "click"; method: string; userAgent: string | null; ip: string | null; at: Date }) {
  const delivered = await deliveredAt(db, { workspaceId: m.workspaceId, messageId: m.id });
  const recentClicks = a.kind === "click" ? await recentClickCount(db, { workspaceId: m.workspaceId, messageId: m.id, since: new Date(a.at.getTime() - 2_000) }) : 0;
  return machineReason({
    kind: a.kind,
    method: a.method,
    userAgent: a.userAgent,
    ip: a.ip,
    at: a.at.getTime(),
    sentAt: m.sentAt?.getTime() ?? null,
    deliveredAt: delivered?.getTime() ?? null,
    recentClicks,
  });
}

function feedbackEvent(
  m: MessageRow,
  e: { type: EmailEventType; machine: boolean; dedupeKey: string; at: Date; url?: string; bounceType?: string; hard: boolean },
): EmailFeedbackEvent | null {
  if (!m.contactId) return null;
  const base = {
    workspaceId: m.workspaceId,
    contactId: m.contactId,
    messageId: m.id,
    enrollmentId: m.enrollmentId,
    nodeId: m.nodeId,
    templateId: m.templateId,
    flowId: m.flowId,
    machine: e.machine,
    occurredAt: e.at.getTime(),
  };
  const id = `email-${createHash("sha256").update(`${m.workspaceId}:${e.dedupeKey}`).digest("hex").slice(0, 40)}`;
  // Human engagement only: machine opens and clicks are stored but wake nothing.
  if (e.type === "opened" && !e.machine) return { name: "email/opened", id, data: base };
  if (e.type === "clicked" && !e.machine) return { name: "email/clicked", id, data: { ...base, url: e.url ?? "" } };
  if (e.type === "bounced") return { name: "email/bounced", id, data: { ...base, bounceType: e.bounceType ?? "unknown", hard: e.hard } };
  if (e.type === "complained") return { name: "email/complained", id, data: base };
  return null;
}

export type TrackingHit = { kind: "open" | "click"; token: string; method: string; userAgent: string | null; ip: string | null; now: Date };

/**
 * A click on a tracked link or a fetch of the open pixel. Returns the destination for clicks
 * (null: the token is forged or unknown, so there is nowhere safe to send the visitor).
 * Scanner, HEAD, burst and privacy-proxy hits are stored, flagged, and wake nothing.
 */
export async function recordTrackingHit(db: Db, hit: TrackingHit, emit: Emit): Promise<{ url: string | null; stored: boolean }> {
  const peek = peekTrackingToken(hit.token);
  if (!peek || (hit.kind === "click") !== (peek.url !== undefined)) return { url: null, stored: false };
  const secret = await getWorkspaceSecret(db, { workspaceId: peek.workspaceId });
  if (!secret) return { url: null, stored: false };
  const token = verifyTrackingToken(secret, hit.token);
  if (!token) return { url: null, stored: false };
  const message = await getMessage(db, { workspaceId: token.workspaceId, messageId: token.messageId });
  // The signature proves we minted the link; the destination is safe to follow even if the message is gone.
  if (!message) return { url: token.url ?? null, stored: false };
  const reason = await judge(db, message, { kind: hit.kind, method: hit.method, userAgent: hit.userAgent, ip: hit.ip, at: hit.now });
  const type = hit.kind === "open" ? "opened" : "clicked";
  // A replayed request (same client, same link, same second) is one event.
  const who = createHash("sha256")
    .update(`${hit.ip ?? ""}|${hit.userAgent ?? ""}|${hit.method}|${token.url ?? ""}`)
    .digest("hex")
    .slice(0, 24);
  const dedupeKey = `${hit.kind}:${message.id}:${who}:${Math.floor(hit.now.getTime() / 1000)}`;
  const stored = await insertEmailEvent(db, {
    workspaceId: message.workspaceId,
    messageId: message.id,
    contactId: message.contactId,
    type,
    dedupeKey,
    machine: reason !== null,
    url: token.url ?? null,
    ip: hit.ip?.slice(0, 100) ?? null,
    userAgent: hit.userAgent?.slice(0, 500) ?? null,
    data: { source: "tracking", method: hit.method, ...(reason ? { machineReason: reason } : {}) },
    occurredAt: hit.now,
  });
  if (stored) {
    const out = feedbackEvent(message, { type, machine: reason !== null, dedupeKey, at: hit.now, url: token.url, hard: false });
    if (out) await emit([out]).catch(() => undefined);
  }
  return { url: token.url ?? null, stored };
}
