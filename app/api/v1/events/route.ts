import { findContactId, recordContactEvent } from "@/db/queries/contact-events";
import { eventCreate } from "@/lib/api/contacts";
import { ApiError, apiRoute, body, json } from "@/lib/server/api/handler";
import { now } from "@/lib/clock";
import { flushAppEvents } from "@/inngest/emit";

/**
 * Records a behaviour event for a known contact from a server (orders, sign-ups in another
 * system). It triggers flows and wakes waits like a tracked event. Anonymous website behaviour
 * belongs on the Segment-compatible tracking API instead.
 */
export const POST = apiRoute(async (req, ctx) => {
  const input = await body(req, eventCreate);
  const contactId = await findContactId(ctx.db, { workspaceId: ctx.workspaceId, contactId: input.contact_id, email: input.email });
  if (!contactId) throw new ApiError("not_found", "contact not found", input.contact_id ? "contact_id" : "email");
  const at = input.timestamp ? new Date(input.timestamp) : now();
  if (at.getTime() > now().getTime() + 5 * 60_000) throw new ApiError("validation_failed", "timestamp: cannot be in the future", "timestamp");
  const { event, outboxId } = await recordContactEvent(ctx.db, {
    workspaceId: ctx.workspaceId,
    contactId,
    name: input.name,
    properties: input.properties,
    occurredAt: at,
    messageId: input.message_id ?? null,
    source: "api",
  });
  if (outboxId !== null) await flushAppEvents(ctx.db, [outboxId]);
  return json(event.duplicate ? 200 : 201, { data: { id: event.id, contact_id: contactId, duplicate: event.duplicate } });
});
