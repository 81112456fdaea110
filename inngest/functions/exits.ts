import type { Inngest } from "inngest";
import { attributeConversion, goalCandidates, recordConversion } from "@/db/queries/conversions";
import { activeEnrollmentsOfContact, finishEnrollment, recordSteps } from "@/db/queries/enrollments";
import { getFlowVersion } from "@/db/queries/flow-versions";
import { conversionWindow, currencyOf, revenueOf } from "@/lib/analytics/goals";
import { now } from "@/lib/clock";
import type { NodeConfig } from "@/lib/flows/catalog";
import { eventMatches } from "@/lib/flows/conditions";
import { goalEvents, planSchema } from "@/lib/flows/plan";
import { contactUnsubscribed, eventTracked, flowExit } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";

/** The longest conversion window a goal may have (the catalog's limit): how far back finished enrollments are looked at. */
const MAX_GOAL_WINDOW_MS = 366 * 86_400_000;

/**
 * Goal watcher: a tracked event that is some enrollment's goal converts it — a conversions row
 * with the message credited (last human click, or open, in the window) and the revenue — and,
 * if the contact is still in the flow, ends the enrollment with reason "goal" wherever it waits.
 * Goals with a window also convert enrollments that already finished, inside the window. The
 * row is ended here first (so a send step still running re-checks and skips); `flow/exit` then
 * cancels the run (cancelOn).
 */
export function createGoalWatcher(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "flow-goal-watcher", name: "Flow goal watcher", triggers: [eventTracked], retries: 6 },
    async ({ event, step }) => {
      const d = eventData(event, eventTracked);
      const db = deps.db();
      const reached = await step.run("match-goals", async () => {
        const out: string[] = [];
        const at = now();
        const eventAt = new Date(d.occurredAt);
        const tracked = { name: d.name, at: d.occurredAt, properties: d.properties };
        for (const e of await goalCandidates(db, { workspaceId: d.workspaceId, contactId: d.contactId, at: eventAt, lookbackMs: MAX_GOAL_WINDOW_MS })) {
          const version = await getFlowVersion(db, { workspaceId: d.workspaceId, flowVersionId: e.flowVersionId });
          const plan = version && planSchema.safeParse(version.plan);
          if (!plan?.success) continue;
          const facts = { active: e.status === "active", enteredAt: e.enteredAt.getTime(), lastSentAt: e.lastSentAt?.getTime() ?? null };
          let goal: { nodeId: string; config: NodeConfig<"goal">; since: number } | null = null;
          for (const g of goalEvents(plan.data)) {
            const node = plan.data.nodes[g.nodeId];
            if (node?.kind !== "goal" || !eventMatches(tracked, g.event, g.filters)) continue;
            const window = conversionWindow(node.config, facts, d.occurredAt);
            if (window) {
              goal = { nodeId: g.nodeId, config: node.config, since: window.since };
              break;
            }
          }
          if (!goal) continue;
          const credit = await attributeConversion(db, {
            workspaceId: d.workspaceId,
            enrollmentId: e.id,
            since: new Date(goal.since),
            at: eventAt,
            opens: goal.config.attribution === "click-or-open",
          });
          await recordConversion(db, {
            workspaceId: d.workspaceId,
            flowId: e.flowId,
            flowVersionId: e.flowVersionId,
            enrollmentId: e.id,
            contactId: d.contactId,
            nodeId: goal.nodeId,
            goalName: goal.config.name,
            eventId: d.eventId,
            messageId: credit?.messageId ?? null,
            attributedVia: credit?.via ?? null,
            revenue: revenueOf(d.properties, goal.config.revenueProperty),
            currency: currencyOf(d.properties),
            occurredAt: eventAt,
          });
          if (!facts.active) continue;
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
                detail: `Goal reached: ${d.name} at ${eventAt.toISOString()}`,
                at,
                finishedAt: at,
              },
            ],
            currentNodeId: e.currentNodeId,
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
          const d = eventData(event, flowExit);
          return { ended: (await finishEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: d.enrollmentId, status: "exited", reason: d.reason, at })) ? 1 : 0 };
        }
        const d = eventData(event, contactUnsubscribed);
        let ended = 0;
        for (const e of await activeEnrollmentsOfContact(db, { workspaceId: d.workspaceId, contactId: d.contactId })) {
          if (await finishEnrollment(db, { workspaceId: d.workspaceId, enrollmentId: e.id, status: "exited", reason: "unsubscribed", at })) ended++;
        }
        return { ended };
      });
    },
  );
}
