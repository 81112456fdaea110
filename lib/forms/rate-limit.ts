/**
 * A token bucket per key, in memory: `burst` requests at once, then `perMinute` refilled. Cheap
 * enough to run before anything touches the database, so a flood costs a map lookup per request.
 * Each server process keeps its own buckets; with several app instances behind a balancer the
 * effective limit is multiplied by their number.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly opts: { burst: number; perMinute: number; maxKeys?: number },
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Takes one token; returns 0 when allowed, or the seconds until the next token otherwise. */
  take(key: string): number {
    const now = this.nowMs();
    const rate = this.opts.perMinute / 60_000;
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.opts.burst, b.tokens + (now - b.at) * rate) : this.opts.burst;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / rate / 1000));
    }
    if (!b && this.buckets.size >= (this.opts.maxKeys ?? 100_000)) this.sweep(now, rate);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  /** Full buckets carry no information: drop them (and, past the cap, the oldest ones). */
  private sweep(now: number, rate: number) {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * rate >= this.opts.burst) this.buckets.delete(k);
    }
    const cap = this.opts.maxKeys ?? 100_000;
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < cap) break;
      this.buckets.delete(k);
    }
  }

  get size() {
    return this.buckets.size;
  }
}
