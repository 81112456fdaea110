import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { appOutbox, contacts, events } from "../schema/index";

export type RecordedEvent = { id: string; duplicate: boolean };

/**
 * Records a behaviour event for a known contact (the REST API's POST /events) and queues its
 * `contact/event.tracked` hand-over in the same transaction, under the event row's id — the same
 * contract as the tracking ingest. A repeated message id returns the first event.
 */
export async function recordContactEvent(
  db: Db,
  q: {
    workspaceId: string;
    contactId: string;
    name: string;
    properties: Record<string, unknown>;
    occurredAt: Date;
    messageId: string | null;
    source: string;
  },
): Promise<{ event: RecordedEvent; outboxId: number | null }> {
  return db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(events)
      .values({
        workspaceId: q.workspaceId,
        contactId: q.contactId,
        name: q.name,
        type: "track",
        properties: q.properties,
        messageId: q.messageId,
        occurredAt: q.occurredAt,
        source: q.source,
      })
      .onConflictDoNothing()
      .returning({ id: events.id });
    if (!inserted) {
      const [first] = await tx
        .select({ id: events.id })
        .from(events)
        .where(and(eq(events.workspaceId, q.workspaceId), eq(events.messageId, q.messageId!)));
      return { event: { id: first!.id, duplicate: true }, outboxId: null };
    }
    const [row] = await tx
      .insert(appOutbox)
      .values({
        eventId: inserted.id,
        name: "contact/event.tracked",
        data: {
          workspaceId: q.workspaceId,
          contactId: q.contactId,
          eventId: inserted.id,
          name: q.name,
          properties: q.properties,
          occurredAt: q.occurredAt.getTime(),
        },
      })
      .returning({ id: appOutbox.id });
    return { event: { id: inserted.id, duplicate: false }, outboxId: row!.id };
  });
}

/** A contact's events, newest first, keyset-paged on (occurred_at, id). */
export async function listContactEvents(
  db: Db,
  q: { workspaceId: string; contactId: string; limit: number; name?: string; before?: { occurredAt: string; id: string } },
) {
  const rows = await db
    .select({
      id: events.id,
      name: events.name,
      type: events.type,
      properties: events.properties,
      occurredAt: events.occurredAt,
      cursorAt: sql<string>`to_char(${events.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      source: events.source,
    })
    .from(events)
    .where(
      and(
        eq(events.workspaceId, q.workspaceId),
        eq(events.contactId, q.contactId),
        q.name ? eq(events.name, q.name) : undefined,
        q.before
          ? or(
              lt(events.occurredAt, sql`${q.before.occurredAt}::timestamptz`),
              and(eq(events.occurredAt, sql`${q.before.occurredAt}::timestamptz`), lt(events.id, q.before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(events.occurredAt), desc(events.id))
    .limit(q.limit + 1);
  return { rows: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
}

/** Finds a contact by id or address, for APIs that accept either. */
export async function findContactId(db: Db, q: { workspaceId: string; contactId?: string; email?: string }): Promise<string | undefined> {
  const [row] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(
      and(
        eq(contacts.workspaceId, q.workspaceId),
        q.contactId ? eq(contacts.id, q.contactId) : sql`lower(${contacts.email}) = lower(${q.email ?? ""})`,
      ),
    );
  return row?.id;
}
