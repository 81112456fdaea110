import type { Inngest } from "inngest";
import { migrateWaiting } from "@/db/queries/flow-versions";
import { now } from "@/lib/clock";
import { enrollmentStarted, flowExit, flowMigrationRequested } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";
import { SEND_BATCH } from "./flow-router";

/**
 * The editor's migration map, carried out: waiting contacts of the old version are ended there
 * and enrolled in the new version at the mapped node, in one transaction (db/queries/flow-versions
 * migrateWaiting); then their old runs are cancelled (`flow/exit`, which the runner's cancelOn
 * matches) and their new runs start at that node, as any run with a start node does. The old
 * run may wake meanwhile: each of its steps re-checks that its enrollment is still active.
 */
export function createFlowMigration(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "flow-migration", name: "Flow version migration", triggers: [flowMigrationRequested], retries: 6 },
    async ({ event, step }) => {
      const d = eventData(event, flowMigrationRequested);
      const moved = await step.run("move", async () =>
        migrateWaiting(deps.db(), {
          workspaceId: d.workspaceId,
          flowId: d.flowId,
          fromVersionId: d.fromVersionId,
          toVersionId: d.toVersionId,
          map: d.map,
          key: d.toVersionId,
          at: now(),
        }),
      );
      for (let i = 0; i < moved.length; i += SEND_BATCH) {
        const batch = moved.slice(i, i + SEND_BATCH);
        const n = i / SEND_BATCH;
        await step.sendEvent(
          `cancel-${n}`,
          batch.map((m) => ({ name: flowExit.name, data: { workspaceId: d.workspaceId, enrollmentId: m.fromEnrollmentId, reason: "migrated" } })),
        );
        await step.sendEvent(
          `start-${n}`,
          batch.map((m) => ({
            name: enrollmentStarted.name,
            id: `${m.enrollmentId}:0`,
            data: {
              workspaceId: d.workspaceId,
              enrollmentId: m.enrollmentId,
              flowVersionId: d.toVersionId,
              contactId: m.contactId,
              startNodeId: m.startNodeId,
              segment: 0,
              runKey: `${m.enrollmentId}:0`,
            },
          })),
        );
      }
      return { moved: moved.length };
    },
  );
}
