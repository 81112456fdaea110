import type { Inngest } from "inngest";
import { forwardAppOutbox } from "@/db/queries/outbox";
import type { FlowDeps } from "./deps";

/**
 * Sends app events whose immediate hand-over failed (Inngest briefly unreachable, a crash right
 * after commit). Claims lapse, so a sweep that dies mid-way leaves its rows to the next one; the
 * event ids make a repeated hand-over harmless.
 */
export function createOutboxSweep(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "app-outbox-sweep", name: "Forward stranded app events", triggers: [{ cron: "* * * * *" }], retries: 2, concurrency: { limit: 1 } },
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
      return { sent };
    },
  );
}
