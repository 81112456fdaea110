import type { ClaimedAppEvent } from "../db/queries/outbox";
import type { OutboxEvent } from "../db/queries/tracking";
import { inngest } from "../inngest/client";

/**
 * Hands committed events to Inngest as `contact/event.tracked`. The event id is the events row
 * id, so a batch re-sent after a crash is recognised as a duplicate instead of triggering twice.
 */
export async function sendToInngest(batch: OutboxEvent[]): Promise<void> {
  await inngest.send(
    batch.map((e) => ({
      id: e.eventId,
      name: "contact/event.tracked",
      data: {
        workspaceId: e.workspaceId,
        contactId: e.contactId,
        eventId: e.eventId,
        name: e.name,
        properties: e.properties,
        occurredAt: e.occurredAt.getTime(),
      },
    })),
  );
}

/** Hands the app's outbox rows (contact created, tag added, …) to Inngest under their own event ids. */
export async function sendAppEventsToInngest(batch: ClaimedAppEvent[]): Promise<void> {
  await inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data })));
}
