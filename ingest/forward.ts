import type { ClaimedAppEvent } from "../db/queries/outbox";
import type { OutboxEvent } from "../db/queries/tracking";
import { inngest } from "../inngest/client";
import { trackedEvent } from "./outbox";

/** Hands committed tracked events to Inngest as `contact/event.tracked`, under their event ids. */
export async function sendToInngest(batch: OutboxEvent[]): Promise<void> {
  await inngest.send(batch.map(trackedEvent));
}

/** Hands the app's outbox rows (contact created, tag added, …) to Inngest under their own event ids. */
export async function sendAppEventsToInngest(batch: ClaimedAppEvent[]): Promise<void> {
  await inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data })));
}
