import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import { enqueueAppEvents, forwardAppOutbox, type AppEvent, type ClaimedAppEvent } from "../db/queries/outbox";
import { inngest } from "./client";

export type { AppEvent };

/** Hands claimed outbox rows to Inngest, keeping each row's event id. */
export async function sendAppEvents(batch: readonly ClaimedAppEvent[]): Promise<void> {
  await inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data })));
}

/**
 * Emits events for a change already committed (or made in `db` itself, outside a transaction):
 * stores them in the outbox, then hands them over at once. If Inngest cannot be reached the rows
 * stay and the forwarder (ingest process, cron sweep) sends them later — the change never fails
 * because of it.
 */
export async function emit(db: Db, events: readonly AppEvent[]): Promise<void> {
  const ids = await enqueueAppEvents(db, events);
  await flushAppEvents(db, ids);
}

/** Hands over outbox rows written inside a transaction, once it has committed. */
export async function flushAppEvents(db: Db, ids: readonly number[]): Promise<void> {
  try {
    await forwardAppOutbox(db, { limit: ids.length, ids, send: sendAppEvents });
  } catch (err) {
    console.warn(`tillit: events kept for the forwarder (${(err as Error).message})`);
  }
}

/** `contact/created` for a contact made by hand or through the API (an import announces its new contacts a thousand at a time: `contacts/imported`): starts "contact created" flows once. */
export const contactCreatedEvent = (workspaceId: string, contactId: string, source: string): AppEvent => ({
  id: `contact-created:${contactId}`,
  name: "contact/created",
  data: { workspaceId, contactId, source },
});

/**
 * An `emit` callback for code that hands events to a function (webhooks, tracking hits, forms):
 * through the outbox, so an event is never lost to a moment Inngest is unreachable. Events without
 * an id get one; give ids wherever a retry could repeat the call.
 */
export function outboxEmitter(db: Db) {
  return async (events: readonly { id?: string; name: string; data?: unknown }[]): Promise<void> => {
    if (events.length === 0) return;
    await emit(
      db,
      events.map((e) => ({ id: e.id ?? randomUUID(), name: e.name, data: (e.data ?? {}) as Record<string, unknown> })),
    );
  };
}
