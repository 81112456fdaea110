import { describe, expect, it } from "vitest";
import { providerBackoff, providerRetry, type ProviderTrouble, type ProviderWait } from "./provider-wait";

const HOUR = 3_600_000;
const outage: ProviderTrouble = { code: "provider_error", message: "Resend: internal_server_error" };
const limited = (retryAfterMs?: number): ProviderTrouble => ({ code: "rate_limited", message: "Resend rate limit: slow down", retryAfterMs });

/** Every attempt until the run gives up: the sleeps between them and the final reason. */
function attempts(trouble: ProviderTrouble, hours: number) {
  let wait: ProviderWait | null = null;
  let at = 0;
  const sleeps: number[] = [];
  for (;;) {
    const r = providerRetry(trouble, wait, at, hours);
    if (!r.retry) return { sleeps, reason: r.reason, at };
    sleeps.push(r.until - at);
    at = r.until;
    wait = r.wait;
  }
}

describe("providerBackoff", () => {
  it("doubles from 30 s for an outage and from 1 s for a rate limit, up to an hour", () => {
    expect([1, 2, 3, 4, 7, 8, 9, 50].map((n) => providerBackoff(outage, n))).toEqual([30_000, 60_000, 120_000, 240_000, 1_920_000, HOUR, HOUR, HOUR]);
    expect([1, 2, 3, 12, 13, 1000].map((n) => providerBackoff(limited(), n))).toEqual([1_000, 2_000, 4_000, 2_048_000, HOUR, HOUR]);
  });

  it("never comes sooner than Retry-After, however long it is", () => {
    expect(providerBackoff(limited(60_000), 1)).toBe(60_000);
    expect(providerBackoff(limited(60_000), 8)).toBe(128_000);
    expect(providerBackoff(limited(5 * HOUR), 20)).toBe(5 * HOUR);
  });
});

describe("providerRetry", () => {
  it("waits out an outage for exactly the allowance, the last sleep cut short, then gives the reason", () => {
    const { sleeps, reason, at } = attempts(outage, 3);
    expect(sleeps).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, HOUR, 3 * HOUR - 3_810_000 - HOUR]);
    expect(at).toBe(3 * HOUR);
    expect(reason).toBe("Resend unavailable for 3 h; last answer: Resend: internal_server_error");
  });

  it("bounds the attempts: a week of a 1 s Retry-After is under 200 tries", () => {
    const week = attempts(limited(1_000), 168);
    expect(week.at).toBe(168 * HOUR);
    expect(week.sleeps.length).toBeLessThan(200);
    expect(attempts(outage, 24).sleeps.length).toBeLessThan(40);
  });

  it("cuts a Retry-After longer than what is left of the allowance", () => {
    const r = providerRetry(limited(48 * HOUR), null, 1_000, 24);
    expect(r).toMatchObject({ retry: true, until: 1_000 + 24 * HOUR, wait: { failures: 1, waitedMs: 24 * HOUR } });
    expect(providerRetry(limited(48 * HOUR), { failures: 1, waitedMs: 24 * HOUR }, 24 * HOUR, 24)).toMatchObject({ retry: false });
  });

  it("says in the trace that it waits for the provider, and until when", () => {
    const r = providerRetry(limited(90_000), null, Date.UTC(2030, 0, 1), 24);
    expect(r.retry && r.detail).toBe("Resend rate limit; retrying at 2030-01-01T00:01:30.000Z (waited 1 minute 30 seconds of 24 h)");
    const o = providerRetry(outage, { failures: 2, waitedMs: 90_000 }, Date.UTC(2030, 0, 1), 24);
    expect(o.retry && o.detail).toBe("Resend unavailable (Resend: internal_server_error); retrying at 2030-01-01T00:02:00.000Z (waited 3 minutes 30 seconds of 24 h)");
  });
});
