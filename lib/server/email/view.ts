import "server-only";
import { createHash } from "node:crypto";
import type { Db } from "@/db/client";
import { messageForView } from "@/db/queries/message-view";
import { getWorkspaceSecret } from "@/db/queries/templates";
import { env } from "@/lib/env";
import { mergeContext } from "@/lib/email/message";
import { TemplateError } from "@/lib/email/render";
import { peekViewToken, verifyViewToken, viewUrl } from "@/lib/email/view-link";
import { renderMessage } from "./render-pool";

/**
 * The "view in browser" page's server side (docs/broadcasts.md#results-and-view-in-browser).
 * A token that does not verify, or names no message of its workspace, is null (the page answers
 * 404). The message is rendered again from the template version it was sent from, with the
 * contact's current fields, in the render pool, and without the tracking scope: no open pixel,
 * no click redirects, so viewing the page records nothing. An erased or deleted contact's
 * message shows nothing personal ("gone").
 */

export type MessageView =
  | { kind: "ok"; subject: string; html: string; workspaceName: string }
  | { kind: "gone"; workspaceName: string }
  | { kind: "unavailable"; workspaceName: string };

export async function viewMessage(db: Db, token: string): Promise<MessageView | null> {
  const peek = peekViewToken(token);
  if (!peek) return null;
  const secret = await getWorkspaceSecret(db, { workspaceId: peek.workspaceId });
  if (!secret) return null;
  const t = verifyViewToken(secret, token);
  if (!t) return null;
  const m = await messageForView(db, { workspaceId: t.workspaceId, messageId: t.messageId });
  if (!m) return null;
  const workspaceName = m.workspaceName;
  if (!m.contactId || m.contactStatus === "erased" || m.email === null) return { kind: "gone", workspaceName };
  // Mail sent before template versions were pinned has no content to render again.
  if (!m.version) return { kind: "unavailable", workspaceName };
  const appUrl = env().appUrl;
  const v = m.version;
  // The compiled-template cache is keyed by id and stamp: a broadcast's own subject makes another entry.
  const contentKey = createHash("sha256").update(`${v.subject}\0${v.preheader}`).digest("hex").slice(0, 16);
  try {
    const rendered = await renderMessage({
      template: { id: `${v.id}:${contentKey}`, updatedAt: v.createdAt, class: v.class, subject: v.subject, preheader: v.preheader, body: v.body },
      ctx: mergeContext(
        { email: m.email, firstName: m.firstName, lastName: m.lastName, timeZone: m.timeZone, attributes: m.attributes ?? {}, workspaceName, postalAddress: m.postalAddress },
        {
          contactId: m.contactId,
          // Flow mail's trigger data is not kept with the message: its tags render empty here.
          trigger: {},
          unsubscribeUrl: m.unsubscribeToken ? `${appUrl}/u/${m.unsubscribeToken}` : "",
          viewUrl: viewUrl(appUrl, secret, t),
        },
      ),
    });
    return { kind: "ok", subject: m.subjectSent, html: rendered.html, workspaceName };
  } catch (err) {
    if (err instanceof TemplateError) return { kind: "unavailable", workspaceName };
    throw err;
  }
}
