import "server-only";
import type { Db } from "@/db/client";
import { contactTopicStates, messageByUnsubscribeToken, workspaceForConsent } from "@/db/queries/consent";
import { getContact } from "@/db/queries/contacts";

/**
 * Resolves an unsubscribe token (messages.unsubscribe_token, one per marketing message) to the
 * message, its workspace and contact. Tokens are random and opaque; an unknown one resolves to
 * nothing.
 */
export async function resolveUnsubscribeToken(db: Db, token: string) {
  if (!/^[A-Za-z0-9_-]{16,200}$/.test(token)) return undefined;
  const message = await messageByUnsubscribeToken(db, { token });
  if (!message?.contactId) return undefined;
  const [contact, ws] = await Promise.all([
    getContact(db, { workspaceId: message.workspaceId, contactId: message.contactId }),
    workspaceForConsent(db, { workspaceId: message.workspaceId }),
  ]);
  if (!contact || !ws) return undefined;
  return { message, contact, workspace: ws };
}

export async function preferenceCentre(db: Db, token: string) {
  const r = await resolveUnsubscribeToken(db, token);
  if (!r) return undefined;
  const topics = await contactTopicStates(db, { workspaceId: r.workspace.id, contactId: r.contact.id });
  return { ...r, topics };
}
