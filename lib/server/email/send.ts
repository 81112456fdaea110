/**
 * Mail transports (Resend through its SDK, the dev mailbox) and the validated hand-off. Free of
 * configuration reads so scripts (the benchmark) can use it; lib/server/email/transport.ts picks the
 * configured transport for the app.
 */
import { Resend } from "resend";
import { insertDevMail } from "@/db/queries/dev-mailbox";
import type { Db } from "@/db/client";
import { EmailSendError, outgoingEmailSchema, type OutgoingEmail, type SentEmail, type ValidEmail } from "@/lib/email/types";

export interface MailTransport {
  readonly name: SentEmail["transport"];
  send(message: ValidEmail): Promise<SentEmail>;
  /** One request for up to 100 messages with one idempotency key (test sends, broadcasts). */
  sendBatch(messages: ValidEmail[], idempotencyKey?: string): Promise<SentEmail[]>;
}

const toResend = (m: ValidEmail) => ({
  from: m.from,
  to: m.to,
  replyTo: m.replyTo,
  subject: m.subject,
  html: m.html,
  text: m.text ?? "",
  headers: m.headers,
  tags: m.tags,
});

function providerError(error: { message?: string; statusCode?: number | null } | null, headers: Record<string, string> | null | undefined): EmailSendError {
  const status = error && "statusCode" in error ? Number(error.statusCode) : undefined;
  if (status === 429) {
    const retryAfter = Number(headers?.["retry-after"] ?? "1");
    return new EmailSendError(`Resend rate limit: ${error?.message ?? "429"}`, "rate_limited", (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000);
  }
  const code = status !== undefined && status >= 400 && status < 500 ? "rejected" : "provider_error";
  return new EmailSendError(`Resend: ${error?.message ?? "no data returned"}`, code);
}

export function resendTransport(opts: { apiKey: string; baseUrl?: string }): MailTransport {
  // Passing baseUrl explicitly: the SDK would otherwise read the environment itself.
  const client = new Resend(opts.apiKey, opts.baseUrl ? { baseUrl: opts.baseUrl } : undefined);
  return {
    name: "resend",
    async send(m) {
      const { data, error, headers } = await client.emails.send(toResend(m), m.idempotencyKey ? { idempotencyKey: m.idempotencyKey } : undefined);
      if (error || !data) throw providerError(error, headers);
      return { id: data.id, transport: "resend" };
    },
    async sendBatch(ms, idempotencyKey) {
      const { data, error, headers } = await client.batch.send(ms.map(toResend), idempotencyKey ? { idempotencyKey } : undefined);
      if (error || !data) throw providerError(error, headers);
      return data.data.map((d) => ({ id: d.id, transport: "resend" as const }));
    },
  };
}

export function devMailboxTransport(db: Db): MailTransport {
  return {
    name: "dev-mailbox",
    async send(m) {
      const id = await insertDevMail(db, m);
      return { id, transport: "dev-mailbox" };
    },
    async sendBatch(ms, idempotencyKey) {
      const out: SentEmail[] = [];
      for (const [i, m] of ms.entries()) {
        const id = await insertDevMail(db, { ...m, idempotencyKey: idempotencyKey ? `${idempotencyKey}:${i}` : undefined });
        out.push({ id, transport: "dev-mailbox" });
      }
      return out;
    },
  };
}

/** Validates a message and hands it to the transport. */
export async function sendEmail(transport: MailTransport, message: OutgoingEmail): Promise<SentEmail> {
  const parsed = outgoingEmailSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EmailSendError(`Invalid email: ${issue.path.join(".") || "message"} — ${issue.message}`, "rejected");
  }
  return transport.send(parsed.data);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Validates up to 100 messages and hands them over in one batch request. On a 429 it waits the
 * provider's retry-after (at most `maxWaitMs` in all) and tries again with the same key, so a
 * retry can never send twice.
 */
export async function sendBatch(
  transport: MailTransport,
  messages: OutgoingEmail[],
  opts: { idempotencyKey?: string; maxWaitMs?: number; wait?: (ms: number) => Promise<void> } = {},
): Promise<SentEmail[]> {
  if (messages.length === 0) return [];
  if (messages.length > 100) throw new EmailSendError("Invalid batch: at most 100 messages per request", "rejected");
  const valid: ValidEmail[] = messages.map((m, i) => {
    const parsed = outgoingEmailSchema.safeParse(m);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EmailSendError(`Invalid email ${i}: ${issue.path.join(".") || "message"} — ${issue.message}`, "rejected");
    }
    return parsed.data;
  });
  let budget = opts.maxWaitMs ?? 30_000;
  const wait = opts.wait ?? sleep;
  for (;;) {
    try {
      return await transport.sendBatch(valid, opts.idempotencyKey);
    } catch (err) {
      if (!(err instanceof EmailSendError) || err.code !== "rate_limited") throw err;
      const delay = Math.max(100, err.retryAfterMs ?? 1000);
      if (delay > budget) throw err;
      budget -= delay;
      await wait(delay);
    }
  }
}
