import { z } from "zod";

// Resend's tag rule: ASCII letters, digits, underscore and dash, at most 256 characters.
const tagPart = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "tags allow only letters, digits, _ and -");

export const outgoingEmailSchema = z
  .object({
    from: z.string().min(3),
    to: z.array(z.email()).min(1).max(50),
    replyTo: z.email().optional(),
    subject: z.string().min(1, "subject is required").max(998),
    html: z.string().optional(),
    text: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    tags: z.array(z.object({ name: tagPart, value: tagPart })).default([]),
    /** Stable across retries: the provider sends one message per key (24 h). */
    idempotencyKey: z.string().min(1).max(256).optional(),
    /** Marketing mail needs consent and unsubscribe headers; transactional mail does not. */
    class: z.enum(["marketing", "transactional"]),
  })
  .refine((m) => m.html !== undefined || m.text !== undefined, { message: "html or text is required", path: ["html"] });

export type OutgoingEmail = z.input<typeof outgoingEmailSchema>;
export type ValidEmail = z.output<typeof outgoingEmailSchema>;

export type SentEmail = { id: string; transport: "resend" | "dev-mailbox" };

/**
 * A send that failed; `retryAfterMs` is set when the provider asked us to slow down, or (`paced`)
 * when the workspace's own sending pace has no slot sooner (docs/sending.md).
 */
export class EmailSendError extends Error {
  constructor(
    message: string,
    readonly code: "rate_limited" | "rejected" | "provider_error" | "not_configured" | "paced",
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "EmailSendError";
  }
}
