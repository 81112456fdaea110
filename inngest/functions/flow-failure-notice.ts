import type { Inngest } from "inngest";
import { claimNoticeMail, noticeMailFacts, recordFlowFailure } from "@/db/queries/notifications";
import { flowFailedEmail } from "@/lib/email/flow-failed";
import { now } from "@/lib/clock";
import { env } from "@/lib/env";
import { mailEach } from "@/lib/server/email/system-mail";
import { flowRunFailed } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";

/** How long the first failure of a flow's hour waits before mailing, so a burst is one mail counting all of it. */
export const NOTICE_GATHER_MS = 5 * 60_000;

/**
 * A run failed for good (docs/flows.md, "When a run fails"): the failure is counted into the
 * flow's notice for that hour, and the workspace's owners and admins are mailed about it at most
 * once per flow and hour. Whichever failure claims the notice's mail first (one, however many
 * arrive at once) waits a few minutes for the rest of a burst, then mails the count so far, the
 * latest reason and the link to the failed list. Each recipient's mail has an idempotency key, so a
 * retried step cannot send it twice. One run per failed enrollment (`idempotency`), so a repeated
 * event counts once; the count is at least once per step, so a step repeated after a crash may
 * count a failure twice, and a claim whose answer was lost skips that hour's mail (never two).
 */
export function createFlowFailureNotice(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "flow-failure-notice",
      name: "Failed-run notice",
      triggers: [flowRunFailed],
      idempotency: "event.data.enrollmentId",
      retries: 6,
    },
    async ({ event, step }) => {
      const d = eventData(event, flowRunFailed);
      const at = new Date(d.failedAt);
      const noticeId = await step.run("record", async () => {
        const notice = await recordFlowFailure(deps.db(), { workspaceId: d.workspaceId, flowId: d.flowId, reason: d.reason, at });
        return notice?.id ?? null;
      });
      if (!noticeId) return { recorded: false };
      const claimed = await step.run("claim-mail", () => claimNoticeMail(deps.db(), { workspaceId: d.workspaceId, noticeId, at: now() }));
      if (!claimed) return { recorded: true, mailed: 0 };
      await step.sleepUntil("gather", new Date(d.failedAt + NOTICE_GATHER_MS));
      const mailed = await step.run("mail", async () => {
        const facts = await noticeMailFacts(deps.db(), { workspaceId: d.workspaceId, noticeId });
        if (!facts) return 0;
        const e = env();
        const mail = flowFailedEmail({
          workspaceName: facts.workspace.name,
          flowName: facts.flow.name,
          count: facts.count,
          reason: facts.detail,
          since: facts.firstAt,
          link: `${e.appUrl}/w/${facts.workspace.slug}/flows/${facts.flow.id}/failed`,
        });
        return mailEach(deps.transport(), {
          from: e.MAIL_FROM,
          recipients: facts.recipients,
          mail,
          kind: "flow_failed",
          key: (userId) => `notice:${noticeId}:${userId}`,
        });
      });
      return { recorded: true, mailed };
    },
  );
}
