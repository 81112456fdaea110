import "server-only";
import { RetryAfterError } from "inngest";
import { EmailSendError } from "@/lib/email/types";
import { sendEmail, type MailTransport } from "./transport";

/**
 * The app's own mail to workspace members (failed-run notices, notify-team): transactional, one
 * message per recipient with its own idempotency key, so a retried step sends nobody a second
 * copy. A rate limit retries the step after the provider's delay; a refused address, or no mail
 * transport at all, skips that recipient (a retry would fare no better; the notice stays in the
 * app); anything else throws for the step to retry. Returns how many were accepted.
 */
export async function mailEach(
  transport: MailTransport,
  o: {
    from: string;
    recipients: readonly { userId: string; email: string }[];
    mail: { subject: string; text: string; html: string };
    kind: string;
    key: (userId: string) => string;
  },
): Promise<number> {
  let sent = 0;
  for (const r of o.recipients) {
    try {
      await sendEmail(transport, {
        from: o.from,
        to: [r.email],
        ...o.mail,
        class: "transactional",
        tags: [{ name: "kind", value: o.kind }],
        idempotencyKey: o.key(r.userId),
      });
      sent++;
    } catch (err) {
      if (!(err instanceof EmailSendError)) throw err;
      if (err.code === "rate_limited") throw new RetryAfterError(err.message, Math.max(1000, err.retryAfterMs ?? 1000));
      if (err.code === "rejected" || err.code === "not_configured") continue;
      throw err;
    }
  }
  return sent;
}
