import type { Inngest } from "inngest";
import { finishRepermissionRequest, getRepermissionRequest, listRepermissionPage, markAsks, nextQueuedAsks, startAsking } from "@/db/queries/repermission";
import { now } from "@/lib/clock";
import { decideAsk } from "@/lib/consent/repermission";
import { askContact } from "@/lib/server/consent/repermission";
import { repermissionRequested } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";

/** Contacts listed per step (one insert … select each). */
export const REPERMISSION_LIST_PAGE = 5000;
/** Contacts asked per step, and how many mails of a step are in flight at once. */
export const REPERMISSION_BATCH = 100;
const IN_FLIGHT = 10;
/** Batches per run before the request continues in a fresh run (Inngest caps a run's steps). */
export const REPERMISSION_BATCHES_PER_RUN = 400;

/**
 * A re-permission request (docs/forms-and-consent.md#re-permission): lists its unconfirmed
 * contacts once, page by page, then asks them a batch per step. Each contact is asked at most
 * once per request (its ask row and the message's idempotency key), never when suppressed,
 * withdrawn or asked by any request in the last 7 days. 100k contacts: 20 listing steps and
 * 1000 batches over three runs.
 */
export function createRepermission(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "repermission",
      name: "Re-permission request",
      triggers: [repermissionRequested],
      concurrency: [{ key: "event.data.requestId", limit: 1 }],
      retries: 4,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, requestId, part = 0 } = eventData(event, repermissionRequested);
      const start = await step.run("start", async () => {
        const r = await getRepermissionRequest(db, { workspaceId, requestId });
        return r ? { status: r.status } : null;
      });
      if (!start || start.status === "completed") return { missing: !start };
      if (start.status === "listing") {
        let afterId: string | null = null;
        for (let page = 0; ; page++) {
          const cursor: string | null = afterId;
          const r: { scanned: number; last: string | null } = await step.run(`list-${page}`, () =>
            listRepermissionPage(db, { workspaceId, requestId, afterId: cursor, limit: REPERMISSION_LIST_PAGE }),
          );
          if (r.scanned < REPERMISSION_LIST_PAGE || r.last === null) break;
          afterId = r.last;
        }
        await step.run("listed", () => startAsking(db, { workspaceId, requestId }));
      }
      let asked = 0;
      for (let batch = 0; batch < REPERMISSION_BATCHES_PER_RUN; batch++) {
        const r = await step.run(`ask-${batch}`, async () => {
          const request = await getRepermissionRequest(db, { workspaceId, requestId });
          if (!request) return { seen: 0, asked: 0 };
          const at = now();
          const queued = await nextQueuedAsks(db, { workspaceId, requestId, limit: REPERMISSION_BATCH, now: at });
          let sent = 0;
          for (let i = 0; i < queued.length; i += IN_FLIGHT) {
            await Promise.all(
              queued.slice(i, i + IN_FLIGHT).map(async (a) => {
                const d = decideAsk(a);
                if (!d.ask) return markAsks(db, { workspaceId, requestId, contactIds: [a.contactId], status: "skipped", reason: d.reason, at });
                const mail = await askContact(db, deps.transport(), { request, contactId: a.contactId, optInEventId: d.optInEventId, at });
                if (mail.sent) sent++;
                return markAsks(db, { workspaceId, requestId, contactIds: [a.contactId], status: mail.sent ? "asked" : "skipped", reason: mail.sent ? null : mail.detail.replace(/^Not sent: /, ""), at });
              }),
            );
          }
          return { seen: queued.length, asked: sent };
        });
        asked += r.asked;
        if (r.seen < REPERMISSION_BATCH) {
          await step.run("done", () => finishRepermissionRequest(db, { workspaceId, requestId, at: now() }));
          return { asked, done: true };
        }
      }
      await step.sendEvent("continue", { id: `repermission:${requestId}:${part + 1}`, name: repermissionRequested.name, data: { workspaceId, requestId, part: part + 1 } });
      return { asked, done: false };
    },
  );
}
