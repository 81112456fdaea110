import { and, asc, desc, eq, gt, inArray, lte } from "drizzle-orm";
import type { Db } from "../client";
import { events } from "../schema/index";

export type StoredEvent = { id: string; name: string; properties: Record<string, unknown>; occurredAt: Date };

/**
 * A contact's events of these names in (after, upTo], oldest first: by default the first `limit`
 * (the look-back a wait-for-event does before it waits, because step.waitForEvent only sees events
 * that arrive after the wait began); with `newest`, the latest `limit` (what a condition — "in the
 * last 7 days", "at least N times in 30 days" — must see for a contact with a long history).
 */
export async function contactEventsBetween(
  db: Db,
  q: { workspaceId: string; contactId: string; names: string[]; after: Date | null; upTo: Date; limit?: number; newest?: boolean },
): Promise<StoredEvent[]> {
  if (q.names.length === 0) return [];
  const found = await db
    .select({ id: events.id, name: events.name, properties: events.properties, occurredAt: events.occurredAt })
    .from(events)
    .where(
      and(
        eq(events.workspaceId, q.workspaceId),
        eq(events.contactId, q.contactId),
        inArray(events.name, q.names),
        q.after ? gt(events.occurredAt, q.after) : undefined,
        lte(events.occurredAt, q.upTo),
      ),
    )
    .orderBy(...(q.newest ? [desc(events.occurredAt), desc(events.id)] : [asc(events.occurredAt), asc(events.id)]))
    .limit(q.limit ?? 1000);
  return q.newest ? found.reverse() : found;
}

/** Stores a tracked event; a repeated messageId returns the first row (Segment retries). */
export async function insertEvent(
  db: Db,
  q: { workspaceId: string; contactId: string; name: string; properties: Record<string, unknown>; occurredAt: Date; messageId?: string; source?: string },
): Promise<{ id: string; inserted: boolean }> {
  const [row] = await db
    .insert(events)
    .values({
      workspaceId: q.workspaceId,
      contactId: q.contactId,
      name: q.name,
      properties: q.properties,
      occurredAt: q.occurredAt,
      messageId: q.messageId ?? null,
      source: q.source ?? "api",
    })
    .onConflictDoNothing()
    .returning({ id: events.id });
  if (row) return { id: row.id, inserted: true };
  const [existing] = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.workspaceId, q.workspaceId), eq(events.messageId, q.messageId ?? "")));
  if (!existing) throw new Error("event insert conflicted but no row was found");
  return { id: existing.id, inserted: false };
}
