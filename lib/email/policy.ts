import { z } from "zod";
import { utmValueSchema } from "../flows/catalog";
import { isValidTimeZone, nextWindowStart, TIME_OF_DAY, weekdays } from "../flows/time-zones";

/**
 * A workspace's sending policy (workspaces.sending_policy), for marketing mail only:
 * transactional mail bypasses it. A message the policy says "not now" to is deferred to the next
 * allowed slot — never dropped.
 */

const timeOfDay = z.string().regex(TIME_OF_DAY, "use HH:MM, e.g. 21:00");

export const frequencyCapSchema = z.object({
  max: z.coerce.number().int("a whole number").min(1, "at least 1").max(100, "at most 100"),
  windowHours: z.coerce.number().int("a whole number of hours").min(1, "at least 1 hour").max(24 * 31, "at most 744 hours (31 days)"),
});

export const quietHoursSchema = z
  .object({ start: timeOfDay, end: timeOfDay })
  .refine((q) => q.start !== q.end, { message: "start and end must differ", path: ["end"] });

export const trackingSchema = z.object({
  opens: z.boolean().default(true),
  clicks: z.boolean().default(true),
  /**
   * Add utm_source/medium/campaign/content to tracked links (campaign = flow, content = node).
   * A send node's own UTM settings, when it has them, take precedence.
   */
  utm: z.boolean().default(true),
  utmSource: utmValueSchema.default("tillit"),
  utmMedium: utmValueSchema.default("email"),
});

/**
 * The workspace's sending pace: requests per second to the mail provider, as its plan allows
 * (Resend's default is 2), each request a batch of up to 100 messages (docs/sending.md). Applies
 * to every message the workspace's flows send, marketing or transactional.
 */
export const paceSchema = z.object({
  requestsPerSecond: z.coerce.number().int("a whole number").min(1, "at least 1").max(1000, "at most 1000"),
});
export const DEFAULT_PACE = { requestsPerSecond: 2 } as const;

export const sendingPolicySchema = z.object({
  frequencyCap: frequencyCapSchema.nullable().optional(),
  quietHours: quietHoursSchema.nullable().optional(),
  tracking: trackingSchema.optional(),
  pace: paceSchema.optional(),
});

export type SendingPolicy = z.infer<typeof sendingPolicySchema>;
export type TrackingSettings = z.infer<typeof trackingSchema>;
export type Pace = z.infer<typeof paceSchema>;

/** Reads the jsonb column: a malformed policy counts as none rather than blocking sends. */
export function parseSendingPolicy(raw: unknown): SendingPolicy & { tracking: TrackingSettings; pace: Pace } {
  const parsed = sendingPolicySchema.safeParse(raw ?? {});
  const policy = parsed.success ? parsed.data : {};
  return { ...policy, tracking: policy.tracking ?? trackingSchema.parse({}), pace: policy.pace ?? { ...DEFAULT_PACE } };
}

/**
 * When may the next marketing message to this contact go out? `null`: now. Otherwise the epoch ms
 * of the next allowed slot: after the oldest of the last `max` sends leaves the window, and
 * outside quiet hours in the contact's zone. `recentSends`: epoch ms of the contact's marketing
 * sends within the last window, any order.
 */
export function nextAllowedSlot(policy: SendingPolicy, q: { now: number; timeZone: string; recentSends: readonly number[] }): number | null {
  let at = q.now;
  const cap = policy.frequencyCap;
  if (cap) {
    const windowMs = cap.windowHours * 3_600_000;
    const inWindow = q.recentSends.filter((t) => t > q.now - windowMs).sort((a, b) => a - b);
    if (inWindow.length >= cap.max) at = Math.max(at, inWindow[inWindow.length - cap.max]! + windowMs + 1);
  }
  const quiet = policy.quietHours;
  if (quiet) {
    const zone = isValidTimeZone(q.timeZone) ? q.timeZone : "UTC";
    // Quiet 21:00–08:00 means sending is allowed 08:00–21:00, every day.
    at = nextWindowStart(at, { days: weekdays, from: quiet.end, to: quiet.start }, zone);
  }
  return at > q.now ? at : null;
}

/**
 * Whether the sending policy defers a marketing message now, and why, in the words the send's
 * trace shows: the flow runner's send step and the dry run (lib/dry-run) both ask this.
 * `recentSends` as for nextAllowedSlot.
 */
export function marketingDeferral(
  policy: SendingPolicy,
  q: { now: number; timeZone: string; recentSends: readonly number[] },
): { until: number; detail: string } | null {
  const until = nextAllowedSlot(policy, q);
  if (until === null) return null;
  const cap = policy.frequencyCap;
  const inWindow = cap ? q.recentSends.filter((t) => t > q.now - cap.windowHours * 3_600_000).length : 0;
  const why = cap && inWindow >= cap.max ? `frequency cap (${cap.max} per ${cap.windowHours} h)` : "quiet hours";
  return { until, detail: `Deferred by the ${why} until ${new Date(until).toISOString()}` };
}
