import "server-only";
import type { Db } from "@/db/client";
import { env } from "@/lib/env";
import { devMailboxTransport, resendTransport, type MailTransport } from "./send";
import { EmailSendError } from "@/lib/email/types";

export { devMailboxTransport, resendTransport, sendBatch, sendEmail, type MailTransport } from "./send";

/** Resend when RESEND_API_KEY is set; otherwise the dev mailbox, only where it is switched on. */
export function configuredTransport(db: Db): MailTransport {
  const e = env();
  if (e.RESEND_API_KEY) return resendTransport({ apiKey: e.RESEND_API_KEY, baseUrl: e.RESEND_BASE_URL });
  if (e.TILLIT_DEV_MAILBOX) return devMailboxTransport(db);
  const refuse = (): Promise<never> =>
    Promise.reject(new EmailSendError("No mail transport: set RESEND_API_KEY (or TILLIT_DEV_MAILBOX=1 for local development)", "not_configured"));
  return { name: "resend", send: refuse, sendBatch: refuse };
}

