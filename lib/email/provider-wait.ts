import { formatDuration } from "@/lib/flows/duration";

/**
 * Waiting out the mail provider at one send-email node (docs/flows.md#when-a-run-fails): a rate
 * limit (429) or an outage (5xx, no answer) is not the flow's fault, so the run sleeps and tries
 * the same message again instead of spending its retries — for as long as the flow allows
 * (`flows.provider_wait_hours`), then the run fails.
 *
 * The back-off doubles from 1 s (429) or 30 s (5xx) up to an hour, and never comes sooner than
 * the provider's Retry-After: a day of waiting is ~35 attempts, a week ~180, whatever the
 * provider answers.
 */

export type ProviderTrouble = { code: "rate_limited" | "provider_error"; message: string; retryAfterMs?: number };

/** The provider's trouble so far at one node: consecutive failures, and the time slept for them. */
export type ProviderWait = { failures: number; waitedMs: number };

export const PROVIDER_BACKOFF = { rateLimitedFirstMs: 1_000, errorFirstMs: 30_000, maxMs: 3_600_000 } as const;

export type ProviderRetry =
  | { retry: true; until: number; wait: ProviderWait; detail: string }
  | { retry: false; reason: string };

/** How long to sleep after failure number `failures` (1-based), before the allowance clamps it. */
export function providerBackoff(trouble: Pick<ProviderTrouble, "code" | "retryAfterMs">, failures: number): number {
  const first = trouble.code === "rate_limited" ? PROVIDER_BACKOFF.rateLimitedFirstMs : PROVIDER_BACKOFF.errorFirstMs;
  const grown = Math.min(PROVIDER_BACKOFF.maxMs, first * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return trouble.code === "rate_limited" ? Math.max(grown, trouble.retryAfterMs ?? 0) : grown;
}

/**
 * After a failed attempt at `at` (epoch ms): when to try again, or — once the waiting has used the
 * whole allowance — the reason the run fails. The last wait is cut short so that the final
 * attempt falls exactly at the end of the allowance.
 */
export function providerRetry(trouble: ProviderTrouble, before: ProviderWait | null, at: number, allowanceHours: number): ProviderRetry {
  const allowanceMs = allowanceHours * 3_600_000;
  const failures = (before?.failures ?? 0) + 1;
  const waitedMs = before?.waitedMs ?? 0;
  if (waitedMs >= allowanceMs) {
    return { retry: false, reason: `Resend unavailable for ${allowanceHours} h; last answer: ${trouble.message}` };
  }
  const delay = Math.max(1, Math.min(providerBackoff(trouble, failures), allowanceMs - waitedMs));
  const until = at + delay;
  const wait = { failures, waitedMs: waitedMs + delay };
  const when = `retrying at ${new Date(until).toISOString()}`;
  const spent = `waited ${formatDuration(wait.waitedMs)} of ${allowanceHours} h`;
  const detail = trouble.code === "rate_limited" ? `Resend rate limit; ${when} (${spent})` : `Resend unavailable (${trouble.message}); ${when} (${spent})`;
  return { retry: true, until, wait, detail };
}
