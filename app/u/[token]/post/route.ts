import { getDb } from "@/db/client";
import { contactTopicStates } from "@/db/queries/consent";
import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { setTopicPreferences, withdrawConsent } from "@/lib/server/consent/record";
import { resolveUnsubscribeToken } from "@/lib/server/consent/unsubscribe";
import { BodyError, readFields } from "@/lib/forms/body";
import { requestIp } from "@/lib/client-ip";
import { htmlPage, userAgentOf } from "@/lib/forms/request";
import { escapeHtml } from "@/lib/html";

/**
 * POST /u/[token] (rewritten here by next.config.js). RFC 8058 one-click: a mail client POSTs
 * `List-Unsubscribe=One-Click` (multipart or urlencoded), with no cookies or session: the answer is
 * 200, never a redirect, and a replay changes nothing. The preference centre's own buttons post
 * here too (`action=unsubscribe_all` / `action=preferences`).
 */
export async function POST(req: Request, route: { params: Promise<{ token: string }> }) {
  const { token } = await route.params;
  let fields;
  try {
    fields = await readFields(req, 16 * 1024);
  } catch (err) {
    if (err instanceof BodyError) return htmlPage(err.status, "We could not read that request", `<p>${escapeHtml(err.message)}</p>`);
    throw err;
  }
  const oneClick = fields["List-Unsubscribe"]?.[0] === "One-Click";
  const action = oneClick ? "unsubscribe_all" : fields.action?.[0];
  if (action !== "unsubscribe_all" && action !== "preferences") {
    return htmlPage(400, "We could not read that request", "<p>Send List-Unsubscribe=One-Click, or use the buttons on the preferences page.</p>");
  }
  try {
    const db = getDb();
    const r = await resolveUnsubscribeToken(db, token);
    if (!r) return htmlPage(404, "This link does not work", "<p>It may have been copied incompletely. Use the unsubscribe link in a recent email.</p>");
    const at = now();
    const ip = requestIp(req);
    const userAgent = userAgentOf(req);
    if (action === "unsubscribe_all") {
      await withdrawConsent(db, {
        workspaceId: r.workspace.id,
        contactId: r.contact.id,
        source: oneClick ? "list_unsubscribe" : "unsubscribe_link",
        ip,
        userAgent,
        data: { message_id: r.message.id },
        at,
        emit: outboxEmitter(db),
      });
      return htmlPage(200, "You are unsubscribed", `<p role="status" data-testid="unsubscribed">You will get no more marketing email from ${escapeHtml(r.workspace.name)}.</p>`);
    }
    const ticked = new Set(fields.topics ?? []);
    const all = await contactTopicStates(db, { workspaceId: r.workspace.id, contactId: r.contact.id });
    await setTopicPreferences(db, {
      workspaceId: r.workspace.id,
      contactId: r.contact.id,
      subscribe: all.filter((t) => ticked.has(t.key)).map((t) => t.key),
      unsubscribe: all.filter((t) => !ticked.has(t.key)).map((t) => t.key),
      source: "preference_centre",
      ip,
      userAgent,
      at,
    });
    return htmlPage(200, "Preferences saved", `<p role="status" data-testid="preferences-saved">Your choices are saved. <a href="/u/${escapeHtml(token)}">Back to your preferences</a></p>`);
  } catch (err) {
    console.error("unsubscribe: failed", err);
    return htmlPage(503, "Please try again", "<p>We could not record your choice just now. Please try again in a moment.</p>");
  }
}
