import { RateLimiter } from "./rate-limit";

/**
 * The public form endpoint's limits, per server process. Per IP: a burst of 20 submissions, then
 * 10 a minute — an office behind one NAT signing up together fits, a script does not. Per
 * address (per workspace): 3 at once, then one every 20 minutes, so nobody can flood someone
 * else's inbox with confirmation mail.
 */
export const perIp = new RateLimiter({ burst: 20, perMinute: 10 });
export const perAddress = new RateLimiter({ burst: 3, perMinute: 1 / 20 });
