import { inArray, sql } from "drizzle-orm";
import { rows, type Db, type DbOrTx } from "../client";
import { appOutbox } from "../schema/index";

/** An Inngest event the app emits; `id` makes a repeated hand-over a duplicate. */
export type AppEvent = { id: string; name: string; data: Record<string, unknown> };
export type ClaimedAppEvent = AppEvent & { outboxId: number };

/** Stores events to emit; call inside the transaction that made the change they announce. */
export async function enqueueAppEvents(db: DbOrTx, events: readonly AppEvent[]): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await db
    .insert(appOutbox)
    .values(events.map((e) => ({ eventId: e.id, name: e.name, data: e.data })))
    .returning({ id: appOutbox.id });
  return rows.map((r) => r.id);
}

/**
 * Claims up to `limit` unclaimed (or lapsed) rows — only `ids` when given — in a short statement,
 * hands them to `send`, and deletes them once sent. Nothing is held open across the send, so a
 * slow or failing send blocks no one; a failed send leaves the rows for a later claim.
 */
export async function forwardAppOutbox(
  db: Db,
  opts: { limit: number; send: (batch: ClaimedAppEvent[]) => Promise<void>; claimMs?: number; ids?: readonly number[] },
): Promise<number> {
  if (opts.ids && opts.ids.length === 0) return 0;
  const only = opts.ids ? sql`and id in (${sql.join(opts.ids.map((i) => sql`${i}`), sql`, `)})` : sql``;
  const claimed = await rows<{ outboxId: string | number; id: string; name: string; data: Record<string, unknown> }>(db, sql`
    update ${appOutbox} set claimed_until = now() + ${`${opts.claimMs ?? 15_000} milliseconds`}::interval, attempts = attempts + 1
    where id in (
      select id from ${appOutbox}
      where (claimed_until is null or claimed_until < now()) ${only}
      order by id limit ${opts.limit}
      for update skip locked)
    returning id as "outboxId", event_id as "id", name, data`);
  if (claimed.length === 0) return 0;
  const batch = claimed.map((c) => ({ outboxId: Number(c.outboxId), id: c.id, name: c.name, data: c.data })).sort((a, b) => a.outboxId - b.outboxId);
  await opts.send(batch);
  await db.delete(appOutbox).where(inArray(appOutbox.id, batch.map((b) => b.outboxId)));
  return batch.length;
}

/** Rows waiting, for health pages and tests. */
export async function pendingAppEvents(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(appOutbox);
  return r?.n ?? 0;
}
