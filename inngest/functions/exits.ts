import type { Inngest } from "inngest";
import {
  activeEnrollmentsOfContact,
  finishEnrollment,
  getEnrollment,
  recordSteps,
} from "../../db/queries/enrollments";
import { getFlowVersion } from "../../db/queries/flows";
import { now } from "../../lib/clock";
import { eventMatches } from "../../lib/flows/conditions";
import { goalEvents, planSchema } from "../../lib/flows/plan";
import { contactUnsubscribed, eventTracked, flowExit } from "../events";
import type { FlowDeps } from "./deps";

/**
 * Goal watcher: a tracked event that is some active enrollment's goal ends that enrollment with
 * reason "goal", wherever the contact is waiting. The row is ended here first (so a send step
 * still running re-checks and skips); `flow/exit` then cancels the run (cancelOn).
 */
export function createGoalWatcher(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "flow-goal-watcher", name: "Flow goal watcher", triggers: [eventTracked], retries: 6 },
    async ({ event, step }) => {
      const d = eventTracked.schema.parse(event.data);
      const db = deps.db();
      const reached = await step.run("match-goals", async () => {
        const out: string[] = [];
        const at = now();
        for (const e of await activeEnrollmentsOfContact(db, { workspaceId: d.workspaceId, contactId: d.contactId })) {
          const version = await getFlowVersion(db, { workspaceId: d.workspaceId, flowVersionId: e.flowVersionId });
          const plan = version && planSchema.safeParse(version.plan);
          if (!plan?.success) continue;
          const enrollment = await getEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: e.id });
          // Only events after the contact entered count, as in simulate().
          if (!enrollment || d.occurredAt <= enrollment.enteredAt.getTime()) continue;
          const goal = goalEvents(plan.data).find((g) => eventMatches({ name: d.name, at: d.occurredAt, properties: d.properties }, g.event, g.filters));
          if (!goal) continue;
          await recordSteps(db, {
            workspaceId: d.workspaceId,
            flowId: e.flowId,
            flowVersionId: e.flowVersionId,
            enrollmentId: e.id,
            contactId: d.contactId,
            entries: [
              {
                stepId: `${goal.nodeId}#0:goal`,
                nodeId: goal.nodeId,
                visit: 0,
                kind: "goal",
                outcome: "goal",
                exit: null,
                detail: `Goal reached: ${d.name} at ${new Date(d.occurredAt).toISOString()}`,
                at,
                finishedAt: at,
              },
            ],
            currentNodeId: enrollment.currentNodeId,
          });
          if (await finishEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: e.id, status: "exited", reason: "goal", at })) out.push(e.id);
        }
        return out;
      });
      if (reached.length > 0) {
        await step.sendEvent(
          "exit-runs",
          reached.map((enrollmentId) => ({ name: flowExit.name, data: { workspaceId: d.workspaceId, enrollmentId, reason: "goal" } })),
        );
      }
      return { goals: reached.length };
    },
  );
}

/**
 * The other half of cancelOn: Inngest cancels the run, this records why on the enrollment row
 * (and closes the node it was waiting in), so stats and re-entry see the exit.
 */
export function createExitRecorder(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "flow-exit-recorder", name: "Flow exit recorder", triggers: [flowExit, contactUnsubscribed], retries: 6 },
    async ({ event, step }) => {
      const db = deps.db();
      return step.run("record-exit", async () => {
        const at = now();
        if (event.name === flowExit.name) {
          const d = flowExit.schema.parse(event.data);
          return { ended: (await finishEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: d.enrollmentId, status: "exited", reason: d.reason, at })) ? 1 : 0 };
        }
        const d = contactUnsubscribed.schema.parse(event.data);
        let ended = 0;
        for (const e of await activeEnrollmentsOfContact(db, { workspaceId: d.workspaceId, contactId: d.contactId })) {
          if (await finishEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: e.id, status: "exited", reason: "unsubscribed", at })) ended++;
        }
        return { ended };
      });
    },
  );
}
