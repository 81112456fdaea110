import { NonRetriableError, type Inngest } from "inngest";
import { snapshotAudience } from "@/db/queries/broadcast-audience";
import { broadcastForSending, broadcastStatusOf, finishIfDone, queuedBatchNos, startSending } from "@/db/queries/broadcast-sending";
import { audienceSchema } from "@/lib/broadcasts/audience";
import { now } from "@/lib/clock";
import { env } from "@/lib/env";
import { providerRetry, type ProviderWait } from "@/lib/email/provider-wait";
import { EmailSendError } from "@/lib/email/types";
import { MS } from "@/lib/flows/duration";
import { sendBroadcastBatch } from "@/lib/server/email/broadcast-send";
import { broadcastBatchRequested, broadcastSendRequested } from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";
import { linkStepId, sleepLinks } from "./sleep-chain";

/**
 * Broadcast sending (docs/broadcasts.md, "Sending"). The sender run sleeps until the scheduled
 * time, takes the audience snapshot and fans the batches out as events; each batch is a run of its
 * own, so a broadcast of 10M (100k batches) is a few hundred steps of fan-out and no run comes near
 * Inngest's 1,000 steps.
 */

/** Batch events per sendEvent: ~200 bytes each, far below 512 KiB per event and 5,000 per send. */
export const FANOUT_PAGE = 1000;
/** Fan-out pages per sender run (two steps each) before it continues in a fresh run. */
export const FANOUT_PAGES_PER_RUN = 400;
/** Tries of one batch per run (deferrals, provider waits) before it continues in a fresh run. */
const BATCH_TRIES_PER_RUN = 300;
/** How long a batch waits out the provider's rate limits and outages before its run fails (as flows do by default). */
const PROVIDER_WAIT_HOURS = 24;

/** Sleeps until `until` in links of at most TILLIT_MAX_SLEEP_DAYS (inngest/functions/sleep-chain.ts). */
async function sleepChain(step: { sleepUntil: (id: string, at: Date) => Promise<unknown> }, id: string, from: number, until: number): Promise<void> {
  if (until <= from) return;
  const ends = sleepLinks(from, until, env().TILLIT_MAX_SLEEP_DAYS * MS.day);
  for (const [i, end] of ends.entries()) await step.sleepUntil(linkStepId(id, i + 1, ends.length), new Date(end));
}

export function createBroadcastSender(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "broadcast-sender",
      name: "Broadcast sender",
      triggers: [broadcastSendRequested],
      // One sender per broadcast at a time; its events' ids (broadcast:<id>:send:<attempt>) make
      // each (broadcast, attempt) one run, and the batch events' ids make a repeated fan-out a no-op.
      concurrency: [{ key: "event.data.broadcastId", limit: 1 }],
      retries: 4,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, broadcastId, attempt = 0, fromBatch } = eventData(event, broadcastSendRequested);
      const q = { workspaceId, broadcastId };
      if (fromBatch === undefined) {
        const loaded = await step.run("load", async () => {
          const b = await broadcastForSending(db, q);
          return b ? { status: b.status, scheduledAt: b.scheduledAt?.getTime() ?? null, at: now().getTime() } : null;
        });
        if (!loaded || (loaded.status !== "scheduled" && loaded.status !== "sending")) return { started: false, status: loaded?.status ?? "missing" };
        if (loaded.scheduledAt !== null) await sleepChain(step, "until-scheduled", loaded.at, loaded.scheduledAt);
        const started = await step.run("start", async () => {
          // Re-checked after the sleep: a cancel while it slept sends nothing.
          const status = await startSending(db, { ...q, at: now() });
          if (status !== "sending") return { status, recipients: 0 };
          const b = await broadcastForSending(db, q);
          const audience = audienceSchema.safeParse(b?.audience);
          if (!b || !audience.success) throw new NonRetriableError(`broadcast ${broadcastId}: its audience is not valid`);
          const recipients = await snapshotAudience(db, { ...q, audience: audience.data, topicKey: b.version?.topic ?? null });
          return { status, recipients };
        });
        if (started.status !== "sending") return { started: false, status: started.status };
      }
      let after = fromBatch ?? -1;
      let fanned = 0;
      for (let page = 0; page < FANOUT_PAGES_PER_RUN; page++) {
        const from = after;
        const nos = await step.run(`batches-${page}`, async () => {
          // Paused or cancelled meanwhile: fan out no more.
          if ((await broadcastStatusOf(db, q)) !== "sending") return [];
          return queuedBatchNos(db, { ...q, after: from, limit: FANOUT_PAGE });
        });
        if (nos.length > 0) {
          await step.sendEvent(
            `fan-out-${page}`,
            nos.map((batchNo) => ({ id: `broadcast:${broadcastId}:batch:${batchNo}:${attempt}`, name: broadcastBatchRequested.name, data: { workspaceId, broadcastId, batchNo } })),
          );
          fanned += nos.length;
          after = nos[nos.length - 1]!;
        }
        if (nos.length < FANOUT_PAGE) {
          // Nothing queued at all (an empty audience, or a resume after every batch finished): done here.
          if (fanned === 0 && fromBatch === undefined) await step.run("finish", () => finishIfDone(db, { ...q, at: now() }));
          return { started: true, fanned };
        }
      }
      await step.sendEvent("continue", {
        id: `broadcast:${broadcastId}:send:${attempt}:after:${after}`,
        name: broadcastSendRequested.name,
        data: { workspaceId, broadcastId, attempt, fromBatch: after },
      });
      return { started: true, fanned, continued: after };
    },
  );
}

type BatchTry = { kind: "done"; status: string } | { kind: "wait"; until: number; wait: ProviderWait | null; detail: string } | { kind: "give-up"; reason: string };

export function createBroadcastBatch(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "broadcast-batch",
      name: "Broadcast batch",
      triggers: [broadcastBatchRequested],
      // The pace is the workspace's (send_pace); this only bounds one broadcast's share of workers.
      concurrency: [{ key: "event.data.broadcastId", limit: 8 }],
      retries: 6,
    },
    async ({ event, step }) => {
      const db = deps.db();
      const { workspaceId, broadcastId, batchNo } = eventData(event, broadcastBatchRequested);
      let wait: ProviderWait | null = null;
      for (let n = 0; n < BATCH_TRIES_PER_RUN; n++) {
        const t: BatchTry = await step.run(`send-${n}`, async (): Promise<BatchTry> => {
          const at = now();
          try {
            const r = await sendBroadcastBatch(db, deps.transport(), { workspaceId, broadcastId, batchNo, now: at });
            if (r.stopped) return { kind: "done", status: r.status ?? "missing" };
            if (r.deferUntil !== null && r.deferred > 0) return { kind: "wait", until: r.deferUntil, wait, detail: `${r.deferred} deferred by the sending policy` };
            await finishIfDone(db, { workspaceId, broadcastId, at });
            return { kind: "done", status: "sending" };
          } catch (err) {
            if (!(err instanceof EmailSendError)) throw err;
            // No pace slot soon: sleep until one (a little spread, so batches do not wake at once).
            if (err.code === "paced") return { kind: "wait", until: at.getTime() + (err.retryAfterMs ?? 1_000) + Math.floor(Math.random() * 1_000), wait, detail: err.message };
            if (err.code !== "rate_limited" && err.code !== "provider_error") throw err;
            // The frozen batch goes again after the wait, under the same key.
            const next = providerRetry({ code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }, wait, at.getTime(), PROVIDER_WAIT_HOURS);
            return next.retry ? { kind: "wait", until: next.until, wait: next.wait, detail: next.detail } : { kind: "give-up", reason: next.reason };
          }
        });
        if (t.kind === "done") return { batchNo, tries: n + 1, status: t.status };
        if (t.kind === "give-up") throw new NonRetriableError(t.reason);
        wait = t.wait;
        const from = await step.run(`from-${n}`, () => now().getTime());
        await sleepChain(step, `wait-${n}`, from, t.until);
      }
      // Still held (a long deferral): the same batch goes on in a fresh run.
      await step.sendEvent("continue", { id: `${event.id ?? `broadcast:${broadcastId}:batch:${batchNo}`}:more`, name: broadcastBatchRequested.name, data: { workspaceId, broadcastId, batchNo } });
      return { batchNo, continued: true };
    },
  );
}
