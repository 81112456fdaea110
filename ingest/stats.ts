/**
 * The ingest's grouped commits over the last minute, for GET /health: how many, how big, and how
 * long they took (p50/p99 from a fixed histogram, so recording costs two increments). Kept in
 * one-second buckets; a bucket older than the window is reset when its second comes round again.
 */
const BOUNDS_MS = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, 5000, Infinity];

type Bucket = { second: number; commits: number; events: number; failed: number; hist: number[] };

export type CommitSummary = {
  windowSeconds: number;
  commits: number;
  events: number;
  failedCommits: number;
  meanGroup: number;
  /** Upper bounds of the histogram bucket holding the percentile, in ms (null: no commits). */
  commitP50Ms: number | null;
  commitP99Ms: number | null;
};

export function commitStats(windowSeconds = 60, now: () => number = Date.now) {
  const buckets: Bucket[] = Array.from({ length: windowSeconds }, () => ({ second: -1, commits: 0, events: 0, failed: 0, hist: BOUNDS_MS.map(() => 0) }));
  const bucketAt = (second: number) => {
    const b = buckets[second % windowSeconds]!;
    if (b.second !== second) {
      b.second = second;
      b.commits = b.events = b.failed = 0;
      b.hist.fill(0);
    }
    return b;
  };
  return {
    record(events: number, ms: number, ok = true) {
      const b = bucketAt(Math.floor(now() / 1000));
      if (!ok) return void b.failed++;
      b.commits++;
      b.events += events;
      b.hist[BOUNDS_MS.findIndex((bound) => ms <= bound)]!++;
    },
    summary(): CommitSummary {
      const current = Math.floor(now() / 1000);
      const hist = BOUNDS_MS.map(() => 0);
      let commits = 0;
      let events = 0;
      let failed = 0;
      for (const b of buckets) {
        if (b.second < 0 || current - b.second >= windowSeconds) continue;
        commits += b.commits;
        events += b.events;
        failed += b.failed;
        b.hist.forEach((n, i) => (hist[i]! += n));
      }
      const percentile = (q: number) => {
        if (commits === 0) return null;
        let seen = 0;
        for (let i = 0; i < hist.length; i++) {
          seen += hist[i]!;
          if (seen >= q * commits) return BOUNDS_MS[i] === Infinity ? BOUNDS_MS[i - 1]! : BOUNDS_MS[i]!;
        }
        return null;
      };
      return {
        windowSeconds,
        commits,
        events,
        failedCommits: failed,
        meanGroup: commits ? Math.round((events / commits) * 10) / 10 : 0,
        commitP50Ms: percentile(0.5),
        commitP99Ms: percentile(0.99),
      };
    },
  };
}
