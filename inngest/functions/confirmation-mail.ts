import type { Inngest } from "inngest";
import { now } from "@/lib/clock";
import { sendConfirmationMail } from "@/lib/server/consent/confirmation";
import { confirmationMailRequested } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";

/**
 * The double opt-in mail, retried (docs/forms-and-consent.md): a form or the REST API hands it
 * here when the inline attempt failed (no transport, the provider down). A failed send throws, so
 * the step retries with back-off; the message's idempotency key (the opt-in event id) makes sure
 * the contact gets one mail however many attempts it takes.
 */
export function createConfirmationMail(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "confirmation-mail",
      name: "Double opt-in mail (retry)",
      triggers: [confirmationMailRequested],
      concurrency: [{ key: "event.data.optInEventId", limit: 1 }],
      retries: 10,
    },
    async ({ event, step }) => {
      const { workspaceId, contactId, optInEventId } = eventData(event, confirmationMailRequested);
      return step.run("send", async () => {
        const r = await sendConfirmationMail(deps.db(), deps.transport(), { workspaceId, contactId, optInEventId, at: now() });
        return { sent: r.sent, detail: r.detail };
      });
    },
  );
}
