import { escapeHtml } from "../html";
import type { Role } from "../auth/permissions";

/** The mail that invites someone into a workspace: the link is valid for 7 days, once. */
export function invitationEmail(o: { inviter: string; workspaceName: string; role: Role; link: string }): { subject: string; text: string; html: string } {
  return {
    subject: `${o.inviter} invited you to ${o.workspaceName} on Tillit`,
    text: `${o.inviter} invited you to join ${o.workspaceName} on Tillit as ${o.role}.\n\nAccept the invitation (valid for 7 days, once):\n${o.link}\n`,
    html: `<p>${escapeHtml(o.inviter)} invited you to join <strong>${escapeHtml(o.workspaceName)}</strong> on Tillit as ${o.role}.</p><p><a href="${escapeHtml(o.link)}">Accept the invitation</a> (valid for 7 days, once).</p>`,
  };
}
