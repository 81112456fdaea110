/**
 * Long waits as chains of short sleeps (docs/flows.md#long-waits). Inngest caps one sleep, one
 * waitForEvent timeout, at a year (a week on its free cloud plan); the runner never asks for more
 * than TILLIT_MAX_SLEEP_DAYS at once, and a longer wait is a chain of links that ends at exactly
 * the wait's end. Pure: the runner memoizes `from` and the link length, so a replay computes the
 * same links and the same step ids.
 */

/** How many sleeps of at most `link` ms cover `spanMs` (at least one). */
export function linkCount(spanMs: number, link: number): number {
  return Math.max(1, Math.ceil(spanMs / link));
}

/** The ends of the links from `from` to `until`: every `link` ms, the last one at `until` itself. */
export function sleepLinks(from: number, until: number, link: number): number[] {
  const ends: number[] = [];
  for (let t = from + link; t < until; t += link) ends.push(t);
  ends.push(until);
  return ends;
}

/**
 * The step id of link `k` (1-based) of `count`: the last link keeps the wait's own id, so that id
 * means "the sleep that ends at the wait's end" for runs that began with one long sleep as well.
 */
export function linkStepId(id: string, k: number, count: number): string {
  return k === count ? id : `${id}@${k}`;
}
