import "server-only";
import { Resend } from "resend";
import { insertDevMail } from "../../db/queries/dev-mailbox";
import type { Db } from "../../db/client";
import { env } from "../env";
import { EmailSendError, outgoingEmailSchema, type OutgoingEmail, type SentEmail, type ValidEmail } from "./types";

export interface MailTransport {
  readonly name: SentEmail["transport"];
  send(message: ValidEmail): Promise<SentEmail>;
}

export function resendTransport(opts: { apiKey: string; baseUrl?: string }): MailTransport {
  // Passing baseUrl explicitly: the SDK would otherwise read the environment itself.
  const client = new Resend(opts.apiKey, opts.baseUrl ? { baseUrl: opts.baseUrl } : undefined);
  return {
    name: "resend",
    async send(m) {
      const { data, error, headers } = await client.emails.send(
        {
          from: m.from,
          to: m.to,
          replyTo: m.replyTo,
          subject: m.subject,
          html: m.html,
          text: m.text ?? "",
          headers: m.headers,
          tags: m.tags,
        },
        m.idempotencyKey ? { idempotencyKey: m.idempotencyKey } : undefined,
      );
      if (error || !data) {
        const status = error && "statusCode" in error ? Number(error.statusCode) : undefined;
        if (status === 429) {
          const retryAfter = Number(headers?.["retry-after"] ?? "1");
          throw new EmailSendError(`Resend rate limit: ${error?.message ?? "429"}`, "rate_limited", retryAfter * 1000);
        }
        const code = status !== undefined && status >= 400 && status < 500 ? "rejected" : "provider_error";
        throw new EmailSendError(`Resend: ${error?.message ?? "no data returned"}`, code);
      }
      return { id: data.id, transport: "resend" };
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
  };
}

/** Resend when RESEND_API_KEY is set; otherwise the dev mailbox, only where it is switched on. */
export function configuredTransport(db: Db): MailTransport {
  const e = env();
  if (e.RESEND_API_KEY) return resendTransport({ apiKey: e.RESEND_API_KEY, baseUrl: e.RESEND_BASE_URL });
  if (e.TILLIT_DEV_MAILBOX) return devMailboxTransport(db);
  return {
    name: "resend",
    send: async () => {
      throw new EmailSendError(
        "No mail transport: set RESEND_API_KEY (or TILLIT_DEV_MAILBOX=1 for local development)",
        "not_configured",
      );
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
