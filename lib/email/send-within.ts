/**
 * A send node's "send within" limit (`sendWithinHours` in lib/flows/catalog.ts): the frequency cap
 * or quiet hours may hold a marketing message for a long time, and some messages are pointless
 * late (a cart reminder after two days). The limit runs from when the contact reached the node;
 * a message the policy would hold past it is skipped, and the run goes on. Waiting out the mail
 * provider (429, 5xx) is not cut by it: that has the flow's own allowance. The flow runner's send
 * step and the dry run (lib/dry-run) both decide with these functions.
 */

const HOUR_MS = 3_600_000;

/** The instant after which the node's message may no longer go out; null: no limit. */
export function sendWithinDeadline(reachedAt: number, hours: number | null | undefined): number | null {
  return hours === null || hours === undefined ? null : reachedAt + hours * HOUR_MS;
}

/** "2-day" for 48 hours, "36-hour" for 36. */
export function sendWithinLabel(hours: number): string {
  return hours % 24 === 0 ? `${hours / 24}-day` : `${hours}-hour`;
}

/**
 * What held the message, read from the policy's deferral detail (`marketingDeferral` in
 * ./policy.ts words it "Deferred by the frequency cap (…)" or "Deferred by the quiet hours …").
 */
export function deferralCause(detail: string): "the frequency cap" | "quiet hours" {
  return detail.startsWith("Deferred by the frequency cap") ? "the frequency cap" : "quiet hours";
}

/**
 * The skip reason when a policy deferral to `until` would hold the message past the limit (or the
 * limit already passed at `at`, a wake-up later than the slot asked for); null: wait for `until`.
 */
export function heldPastLimit(q: { hours: number | null | undefined; deadline: number | null; at: number; until: number; detail: string }): string | null {
  if (q.deadline === null || q.hours === null || q.hours === undefined) return null;
  if (q.until <= q.deadline && q.at <= q.deadline) return null;
  return `Not sent: ${deferralCause(q.detail)} held it past its ${sendWithinLabel(q.hours)} send-within limit`;
}
