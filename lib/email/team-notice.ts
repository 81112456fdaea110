import { escapeHtml } from "../html";

/**
 * The mail a flow's notify-team node sends each chosen member (docs/flows.md, "Notify team"): the
 * flow's note as the marketer wrote it (plain text, never rendered as a template), which contact,
 * and links to the contact's page and the flow. Transactional system mail, one per member and step.
 */
export function teamNoticeEmail(o: {
  workspaceName: string;
  flowName: string;
  contact: string;
  message: string;
  contactLink: string;
  flowLink: string;
}): { subject: string; text: string; html: string } {
  // A subject is one line: a note's line breaks would end it early in some clients.
  const subject = `${o.flowName}: ${o.contact}`.replace(/\s+/g, " ").slice(0, 200);
  const what = `The flow “${o.flowName}” in ${o.workspaceName} reached a contact you were asked to hear about: ${o.contact}.`;
  const why = `You get this because the flow's “Notify team” step names you. The notice is also listed in the workspace's notices.`;
  return {
    subject,
    text: `${what}\n\n${o.message}\n\nOpen the contact:\n${o.contactLink}\n\nThe flow:\n${o.flowLink}\n\n${why}\n`,
    html:
      `<p>${escapeHtml(what)}</p>` +
      `<blockquote style="white-space:pre-wrap">${escapeHtml(o.message)}</blockquote>` +
      `<p><a href="${escapeHtml(o.contactLink)}">Open the contact</a> · <a href="${escapeHtml(o.flowLink)}">the flow</a></p>` +
      `<p style="color:#64748b">${escapeHtml(why)}</p>`,
  };
}
