import type { Db } from "../db/client";
import { forwardAppOutbox, type ClaimedAppEvent } from "../db/queries/outbox";
import { forwardOutbox, type OutboxEvent } from "../db/queries/tracking";

export type Senders = {
  /** Tracked events, as `contact/event.tracked` (ingest/forward.ts). */
  send: (batch: OutboxEvent[]) => Promise<void>;
  /** The app's own outbox (events emitted by server actions and the REST API). */
  sendApp?: (batch: ClaimedAppEvent[]) => Promise<void>;
  /** How long a pass's claim on outbox rows lasts: after a crash, its rows wait this long. */
  claimMs: number;
  /** Checked between batches: a stopping forwarder leaves the rest to the next one. */
  stopped?: () => boolean;
};

/**
 * One forwarding pass over both outboxes until they are empty, batch by batch (each `send` is one
 * batch Inngest accepted). The ingest's forwarder runs it after commits and on a timer; the app's
 * tracking route runs it after answering, where no ingest process runs.
 */
export async function drainOutboxes(db: Db, s: Senders): Promise<void> {
  const stopped = s.stopped ?? (() => false);
  while (!stopped() && (await forwardOutbox(db, 500, s.send, s.claimMs)).rows > 0);
  if (s.sendApp) {
    const send = s.sendApp;
    while (!stopped() && (await forwardAppOutbox(db, { limit: 500, send, claimMs: s.claimMs })) > 0);
  }
}

/**
 * A committed tracked event as Inngest's `contact/event.tracked`. The event id is the events row
 * id, so a batch re-sent after a crash is recognised as a duplicate instead of triggering twice.
 */
export const trackedEvent = (e: OutboxEvent) => ({
  id: e.eventId,
  name: "contact/event.tracked" as const,
  data: { workspaceId: e.workspaceId, contactId: e.contactId, eventId: e.eventId, name: e.name, properties: e.properties, occurredAt: e.occurredAt.getTime() },
});
