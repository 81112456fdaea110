import { keyOf, matches } from "../cel";
import { concurrencyRules } from "../config";
import { parseDuration } from "../duration";
import type { IncomingEvent, RunEvent } from "../protocol";
import { ulid } from "../ulid";
import { DAY, type EngineContext, type Fn } from "./context";
import { finishRun } from "./runs";
import * as q from "./statements";

/**
 * Ingest: events and everything they cause (docs/inngest-protocol.md#events), stored in the
 * caller's transaction before they are acknowledged.
 */

type ConcurrencyKey = { key: string; limit: number };

type PendingRun = {
  id: string;
  fn_id: string;
  event: RunEvent;
  concurrency: ConcurrencyKey[];
  due_at: number;
  cancels: { idx: number; event_name: string; expr: string | null; expires_at: number }[];
};

/**
 * Batched: one insert for the events, one read each for the waits and cancellations they could
 * touch, and one insert each for the runs, cancellations and first calls they start — a send of
 * 500 events is a handful of statements, not thousands. Per event, in order: dedupe by id,
 * resume waits, cancel runs (including runs started by earlier events of the batch), start runs.
 * Returns the events' internal ids in order.
 */
export async function ingestInTx(ctx: EngineContext, tx: q.Db, events: IncomingEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const now = ctx.now();
  const ids: string[] = [];
  const stored: RunEvent[] = [];
  const rows = events.map((e) => {
    const internalId = ulid(now);
    const event: RunEvent = {
      id: e.id ?? internalId,
      name: e.name,
      data: e.data ?? {},
      ts: e.ts && e.ts > 0 ? e.ts : now,
    };
    if (e.v) event.v = e.v;
    ids.push(internalId);
    stored.push(event);
    return { internal_id: internalId, id: e.id ?? null, name: event.name, data: event.data, ts: event.ts, received_at: now };
  });
  await q.insertEvents(tx, JSON.stringify(rows));

  const names = [...new Set(stored.map((e) => e.name))];
  const waits = await q.waitsFor(tx, names, now);
  const cancels = [...(await q.cancelsFor(tx, names, now))];
  const resumed = new Set<string>();
  const cancelled = new Set<string>();
  const pending: PendingRun[] = [];
  const flush = async () => {
    if (pending.length > 0) await insertRuns(tx, pending.splice(0), now);
  };

  // Event-id de-duplication for the whole batch in one statement (seen within 24 h: skipped).
  const fresh = await claimKeys(
    tx,
    stored.flatMap((e, i) => (events[i]!.id ? [`e:${e.id}`] : [])),
    now,
  );
  for (const [i, event] of stored.entries()) {
    if (events[i]!.id && !fresh.has(`e:${event.id}`)) continue;
    // A repeated id later in the same batch is a duplicate of the first.
    if (events[i]!.id) fresh.delete(`e:${event.id}`);
    for (const w of waits) {
      const key = `${w.run_id}\u0000${w.step_id}`;
      if (w.event_name !== event.name || resumed.has(key)) continue;
      if (!matches(w.expr, { event: w.run_event, async: event })) continue;
      resumed.add(key);
      if ((await q.deleteWait(tx, w.run_id, w.step_id)).length === 0) continue;
      await q.deleteWaitTimeout(tx, w.run_id, w.step_id);
      await q.memoize(tx, w.run_id, w.step_id, event, null);
      await q.enqueueDiscovery(tx, w.run_id, ctx.now());
    }
    for (const c of cancels) {
      if (c.event_name !== event.name || cancelled.has(c.run_id)) continue;
      if (!matches(c.expr, { event: c.run_event, async: event })) continue;
      cancelled.add(c.run_id);
      if (pending.some((p) => p.id === c.run_id)) await flush();
      await finishRun(ctx, tx, c.run_id, "cancelled", { error: { name: "Cancelled", message: `cancelled by ${event.name} ${event.id}` } });
    }
    for (const fn of ctx.fns.values()) {
      const hit = fn.config.triggers.some((t) => "event" in t && nameMatches(t.event, event.name) && matches(t.expression, { event }));
      if (!hit) continue;
      const run = await prepareRun(tx, fn, event, now);
      if (!run) continue;
      pending.push(run);
      // Only events received after a run starts can cancel it: later events of this batch can.
      for (const c of run.cancels) cancels.push({ run_id: run.id, event_name: c.event_name, expr: c.expr, run_event: event });
    }
  }
  await flush();
  return ids;
}

/** Starts a run of `fn` for `event` (a cron's timer); undefined if idempotency skipped it. */
export async function createRun(tx: q.Db, fn: Fn, event: RunEvent, now: number): Promise<string | undefined> {
  const run = await prepareRun(tx, fn, event, now);
  if (run) await insertRuns(tx, [run], now);
  return run?.id;
}

/** The keys of `keys` that were free (or expired) and are now held for 24 h, in one statement. */
async function claimKeys(tx: q.Db, keys: string[], now: number): Promise<Set<string>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return new Set();
  const r = await q.claimKeys(tx, unique, now, now + DAY);
  return new Set(r.map((x) => x.key));
}

/** True if the key was free (or expired) and is now held for 24 h. */
export async function claimKey(tx: q.Db, key: string, now: number): Promise<boolean> {
  return (await claimKeys(tx, [key], now)).has(key);
}

/** Idempotency and throttle (which need their own rows now); the run itself is inserted later. */
async function prepareRun(tx: q.Db, fn: Fn, event: RunEvent, now: number): Promise<PendingRun | undefined> {
  const f = fn.config;
  if (f.idempotency !== undefined && !(await claimKey(tx, `f:${f.id}:${keyOf(f.idempotency, { event })}`, now))) return undefined;
  const concurrency: ConcurrencyKey[] = concurrencyRules(f).map((c, i) => {
    const value = c.key ? keyOf(c.key, { event }) : "";
    return {
      key: c.scope === "env" ? `env:${c.key ?? ""}:${value}` : `fn:${f.id}:${i}:${value}`,
      limit: c.limit,
    };
  });
  let dueAt = now;
  if (f.throttle) {
    const period = parseDuration(f.throttle.period)!;
    const interval = period / f.throttle.limit;
    const tolerance = interval * (f.throttle.limit + (f.throttle.burst ?? 0) - 1);
    const key = `${f.id}:${f.throttle.key ? keyOf(f.throttle.key, { event }) : ""}`;
    const r = await q.lockThrottle(tx, key);
    const tat = Math.max(r[0] ? Number(r[0].tat) : now, now);
    dueAt = Math.max(now, Math.ceil(tat - tolerance));
    const next = Math.max(tat, dueAt) + interval;
    await q.setThrottle(tx, key, Math.ceil(next));
  }
  const cancels = (f.cancel ?? []).map((c, idx) => {
    const t = c.timeout;
    const expires = t === undefined ? now + 365 * DAY : parseDuration(t) !== undefined ? now + parseDuration(t)! : Date.parse(t);
    return { idx, event_name: c.event, expr: c.if ?? null, expires_at: expires };
  });
  return { id: ulid(now), fn_id: f.id, event, concurrency, due_at: dueAt, cancels };
}

async function insertRuns(tx: q.Db, runs: PendingRun[], now: number): Promise<void> {
  const runRows = JSON.stringify(runs.map((r) => ({ id: r.id, fn_id: r.fn_id, event: r.event, concurrency: r.concurrency, due_at: r.due_at })));
  await q.insertRuns(tx, runRows, now);
  const cancelRows = runs.flatMap((r) => r.cancels.map((c) => ({ run_id: r.id, ...c })));
  if (cancelRows.length > 0) await q.insertCancels(tx, JSON.stringify(cancelRows));
  await q.insertFirstCalls(tx, runRows, now);
}

/** Inngest allows a trailing wildcard in trigger names ("contact/*"). */
function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
