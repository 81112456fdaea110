import type { Db } from "../db/client";
import { writeTrackingBatch, type TrackingWrite } from "../db/queries/tracking";
import { commitStats } from "./stats";

export type GroupCommitterOptions = {
  db: Db;
  /** Most messages in one commit. */
  maxGroup?: number;
  /** Commits in flight at once (1 on the embedded database, which runs one statement at a time). */
  writers?: number;
  /** After each commit: whether it held an identify or alias (waiting events may now have a contact). */
  onCommitted?: (links: boolean) => void;
};

/**
 * Grouped commit, sized by the load, shared by the ingest process and the app's tracking route:
 * requests queue their writes; a free writer takes everything queued (up to maxGroup) into one
 * commit and answers all of them when it commits. Under load every writer is busy, so what
 * arrives during a commit becomes the next group; when idle, a request is written on the next
 * turn of the event loop, with whatever arrived beside it.
 */
export function groupCommitter(opts: GroupCommitterOptions) {
  const maxGroup = opts.maxGroup ?? 1000;
  const writers = opts.writers ?? 2;
  type Pending = { writes: TrackingWrite[]; done: (err?: Error) => void };
  const queue: Pending[] = [];
  const stats = commitStats();
  let active = 0;
  let kicked = false;
  const idleWaiters: (() => void)[] = [];
  const kick = () => {
    if (kicked || active >= writers || queue.length === 0) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      while (active < writers && queue.length) void drain();
    });
  };
  async function drain() {
    active++;
    const group: Pending[] = [];
    let n = 0;
    while (queue.length && (n === 0 || n + queue[0]!.writes.length <= maxGroup)) {
      const p = queue.shift()!;
      group.push(p);
      n += p.writes.length;
    }
    try {
      await writeGroup(group);
      opts.onCommitted?.(group.some((p) => p.writes.some((w) => w.type === "identify" || w.type === "alias")));
    } finally {
      active--;
      if (queue.length) kick();
      else if (active === 0) idleWaiters.splice(0).forEach((r) => r());
    }
  }
  // A group that fails is written again request by request, so one request the database refuses
  // fails alone instead of taking the others' commits with it.
  async function writeGroup(group: Pending[]) {
    const writes = group.length === 1 ? group[0]!.writes : group.flatMap((p) => p.writes);
    const started = performance.now();
    try {
      await writeTrackingBatch(opts.db, writes);
      stats.record(writes.length, performance.now() - started);
      for (const p of group) p.done();
    } catch (err) {
      stats.record(writes.length, performance.now() - started, false);
      if (group.length === 1) return group[0]!.done(err as Error);
      for (const p of group) await writeGroup([p]);
    }
  }
  return {
    writers,
    stats,
    /** Resolves once `writes` are committed; rejects with the database's error. */
    commit: (writes: TrackingWrite[]) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ writes, done: (err) => (err ? reject(err) : resolve()) });
        kick();
      }),
    waiting: () => queue.length,
    inFlight: () => active,
    /** Resolves once nothing is queued or being written. */
    flushed: () => (queue.length === 0 && active === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
  };
}

export type GroupCommitter = ReturnType<typeof groupCommitter>;
