import { escapeHtml } from "../html";

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * The mail that tells a workspace's owners and admins that runs of a flow failed for good (at most
 * one per flow and hour, docs/flows.md "When a run fails"): which flow, how many runs so far, the
 * latest reason, and the link to the flow's failed list, where they are retried or dismissed.
 */
export function flowFailedEmail(o: {
  workspaceName: string;
  flowName: string;
  count: number;
  reason: string;
  since: Date;
  link: string;
}): { subject: string; text: string; html: string } {
  const runs = o.count === 1 ? "A run" : `${o.count} runs`;
  const subject = `${runs} of “${o.flowName}” failed in ${o.workspaceName}`;
  const what = `${runs} of the flow “${o.flowName}” in ${o.workspaceName} failed since ${utc(o.since)}: each stopped at the node it failed at, and its contact waits for you there.`;
  const next = "Retry them from that node, or dismiss them, on the flow's failed list:";
  const why = `You get this as an owner or admin of ${o.workspaceName}, at most once an hour for each flow; later failures are counted in the workspace's notices.`;
  return {
    subject,
    text: `${what}\n\nLatest reason: ${o.reason}\n\n${next}\n${o.link}\n\n${why}\n`,
    html:
      `<p>${escapeHtml(what)}</p>` +
      `<p><strong>Latest reason:</strong> ${escapeHtml(o.reason)}</p>` +
      `<p>${escapeHtml(next)} <a href="${escapeHtml(o.link)}">open the failed runs</a>.</p>` +
      `<p style="color:#64748b">${escapeHtml(why)}</p>`,
  };
}
