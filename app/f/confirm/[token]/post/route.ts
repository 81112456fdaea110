import { getDb } from "@/db/client";
import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { confirmOptIn } from "@/lib/server/consent/record";
import { requestIp } from "@/lib/client-ip";
import { htmlPage, userAgentOf } from "@/lib/forms/request";
import { emitFormSubmitted } from "@/lib/server/forms/submit";

/**
 * POST /f/confirm/[token] (rewritten here by next.config.js): the Confirm button. Appends the
 * confirmation to the ledger, subscribes the contact, and only then lets form-triggered flows
 * start (the welcome mail follows a confirmed address, never an unconfirmed one). Pressing it
 * twice changes nothing.
 */
export async function POST(req: Request, route: { params: Promise<{ token: string }> }) {
  const { token } = await route.params;
  try {
    const db = getDb();
    const r = await confirmOptIn(db, { token: token.slice(0, 2000), ip: requestIp(req), userAgent: userAgentOf(req), at: now() });
    if (r.outcome === "confirmed") {
      if (r.formId) {
        await emitFormSubmitted(outboxEmitter(db), {
          workspaceId: r.workspaceId,
          contactId: r.contactId,
          formId: r.formId,
          fields: r.fields,
        });
      }
      return htmlPage(200, "You are subscribed", `<p role="status" data-testid="confirmed">Thanks for confirming. You can leave at any time with the link in every email.</p>`);
    }
    if (r.outcome === "already") return htmlPage(200, "You are subscribed", `<p role="status" data-testid="confirmed">You had already confirmed: nothing more to do.</p>`);
    if (r.outcome === "expired") return htmlPage(410, "This link has expired", "<p>Confirmation links work for 7 days. Sign up again to get a new one.</p>");
    if (r.outcome === "withdrawn") return htmlPage(409, "You unsubscribed", "<p>You unsubscribed after signing up, so this older link no longer subscribes you. Sign up again if you changed your mind.</p>");
    return htmlPage(404, "This link does not work", "<p>It may have been copied incompletely. Sign up again to get a new one.</p>");
  } catch (err) {
    console.error("forms: confirmation failed", err);
    return htmlPage(503, "Please try again", "<p>We could not record your confirmation just now. Please press the button again in a moment.</p>");
  }
}
