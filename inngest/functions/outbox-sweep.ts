import type { Inngest } from "inngest";
import { forwardAppOutbox } from "@/db/queries/outbox";
import { attachPendingEvents, forwardOutbox } from "@/db/queries/tracking";
import { trackedEvent } from "@/ingest/outbox";
import type { FlowDeps } from "./deps";

/**
 * Sends app events whose immediate hand-over failed (Inngest briefly unreachable, a crash right
 * after commit), and tracked events no forwarder sent: where no ingest process runs (the app's
 * own tracking route, docs/deploy.md) a pass after a failed hand-over leaves them to this. Claims
 * lapse, so a sweep that dies mid-way leaves its rows to the next one; the event ids make a
 * repeated hand-over harmless.
 */
export function createOutboxSweep(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "app-outbox-sweep", name: "Forward stranded app and tracked events", triggers: [{ cron: "* * * * *" }], retries: 2, concurrency: { limit: 1 } },
    async ({ step }) => {
      const sent = await step.run("forward", async () => {
        let total = 0;
        for (let i = 0; i < 20; i++) {
          const n = await forwardAppOutbox(deps.db(), {
            limit: 500,
            send: async (batch) => void (await inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data })))),
          });
          total += n;
          if (n < 500) break;
        }
        return total;
      });
      const tracked = await step.run("forward-tracked", async () => {
        // Waiting events whose person an identify made known since (the ingest does this every second).
        await attachPendingEvents(deps.db());
        let total = 0;
        for (let i = 0; i < 20; i++) {
          const r = await forwardOutbox(deps.db(), 500, async (batch) => void (await inngest.send(batch.map(trackedEvent))));
          total += r.sent;
          if (r.rows === 0) break;
        }
        return total;
      });
      return { sent, tracked };
    },
  );
}
