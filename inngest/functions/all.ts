import type { Inngest } from "inngest";
import { createBroadcastBatch, createBroadcastSender } from "./broadcast-send";
import { createConfirmationMail } from "./confirmation-mail";
import { createAnniversaryCron } from "./date-anniversary";
import type { FlowDeps } from "./deps";
import { createExitRecorder, createGoalWatcher } from "./exits";
import { createFlowFailureNotice } from "./flow-failure-notice";
import { createFlowMigration } from "./flow-migration";
import { createFlowRouter } from "./flow-router";
import { createFlowRunner } from "./flow-runner";
import { createOutboxSweep } from "./outbox-sweep";
import { createRepermission } from "./repermission";
import { createSegmentContactRefresh, createSegmentImportRefresh, createSegmentRefresh, createSegmentSchedule } from "./segment-refresh";

/**
 * Every Inngest function of the app, bound to a client and its dependencies. The route serves
 * these with the app's client; tests serve the same functions with a client of their own.
 */
export function createFunctions(inngest: Inngest, deps: FlowDeps) {
  return [
    createFlowRouter(inngest, deps),
    createFlowRunner(inngest, deps),
    createGoalWatcher(inngest, deps),
    createExitRecorder(inngest, deps),
    createAnniversaryCron(inngest, deps),
    createOutboxSweep(inngest, deps),
    createSegmentSchedule(inngest, deps),
    createSegmentRefresh(inngest, deps),
    createSegmentContactRefresh(inngest, deps),
    createSegmentImportRefresh(inngest, deps),
    createFlowMigration(inngest, deps),
    createFlowFailureNotice(inngest, deps),
    createRepermission(inngest, deps),
    createConfirmationMail(inngest, deps),
    createBroadcastSender(inngest, deps),
    createBroadcastBatch(inngest, deps),
  ];
}
