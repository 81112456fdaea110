import { NonRetriableError, StepError, type Inngest } from "inngest";
import type { Db } from "@/db/client";
import { addContactTag, contactForRun, contactTagNames, removeContactTag, updateContactAttribute } from "@/db/queries/contacts";
import { enrollmentForRun, failEnrollment, finishEnrollment, getEnrollment, recordSteps, type TraceScope } from "@/db/queries/enrollments";
import { contactEventsBetween } from "@/db/queries/events";
import { getFlowVersion } from "@/db/queries/flow-versions";
import { contactSegmentIds } from "@/db/queries/segments";
import { contactEngagement, failQueuedMessage } from "@/db/queries/messages";
import { claimNoticeMail, membersAmong, recordTeamNotice, TEAM_NOTIFIED } from "@/db/queries/notifications";
import { now } from "@/lib/clock";
import { env } from "@/lib/env";
import { sendFlowEmail, type FlowSendResult } from "@/lib/server/email/flow-send";
import { TemplateError } from "@/lib/email/render";
import { renderLiquidText } from "@/lib/server/email/render-pool";
import { mailEach } from "@/lib/server/email/system-mail";
import { teamNoticeEmail } from "@/lib/email/team-notice";
import { EmailSendError } from "@/lib/email/types";
import { providerRetry, type ProviderWait } from "@/lib/email/provider-wait";
import { heldPastLimit, sendWithinDeadline } from "@/lib/email/send-within";
import { assertNever, nodeCatalog } from "@/lib/flows/catalog";
import { evaluateCondition, waitForEventMatches, type TrackedEvent } from "@/lib/flows/conditions";
import { formatDuration, MS } from "@/lib/flows/duration";
import { isTriggerNode, planSchema, type PlanNode, type PlanNodeOf } from "@/lib/flows/plan";
import { waitLookbackStart } from "@/lib/flows/simulate";
import { pickSplitBranch } from "@/lib/flows/split";
import { attributeInstant, isValidTimeZone, nextWindowStart } from "@/lib/flows/time-zones";
import { contactUnsubscribed, enrollmentStarted, eventTracked, flowExit, flowRunFailed, tagAdded, type EnrollmentStarted } from "../events";
import { DEFAULT_MAX_STEPS_PER_RUN, DEFAULT_THROTTLE, type FlowDeps } from "./deps";
import { eventData } from "./event-data";
import { memoTry, type SendMemo, type SendTry } from "./send-try";
import { linkCount, linkStepId, sleepLinks } from "./sleep-chain";
import { waitExpression } from "./wait-expression";
import { callWebhook } from "./webhook-call";
import { checkWebhookRoute } from "./webhook-test-route";

/**
 * THE generic flow runner: one Inngest function for every flow. A run is one enrollment (or one
 * segment of a long one, after continue-as-new). It loads the plan in a step, so the run stays
 * on the version it started with whatever is published later, then walks the plan node by node.
 *
 * Step ids are `${nodeId}#${visit}:${kind}` — stable under edits elsewhere in the graph and
 * unique on loops — and each step writes the node's trace row and moves the enrollment's current
 * node in the same call, so the editor's stats follow the run. A wait's row is written when the
 * wait begins (outcome "waiting") and closed by the next step ("close").
 *
 * A run that fails for good (a step's retries spent, or the mail provider out for longer than the
 * flow allows) ends its enrollment "failed" at its node, in the onFailure handler, which also
 * sends flow/run.failed (docs/flows.md#when-a-run-fails).
 */

type Close = { stepId: string; outcome: string; exit: string | null; detail: string; at: number };
type Acted = { exit: string | null; outcome: string; detail: string; end?: { status: "completed" | "exited"; reason: string | null } };
type Wait<T> = { result: T; immediate: { outcome: string; exit: string; detail: string } | null; detail: string };

const MAX_WAIT_ATTEMPTS = 20;
/**
 * A wait-for-event's first registration is at most this long, then the events table is read again
 * (step "catch-up") before the rest of the timeout: an event that reached Inngest between the
 * look-back and the registration is taken within this bound, not at the timeout (docs/flows.md).
 */
export const FIRST_WAIT_MS = 60_000;
/** A step budget kept for the node itself, besides its chained sleeps (see the check in walk()). */
const NODE_RESERVE = 6;
/** The longest a wait-window node can wait: its window opens within a week, across a DST change. */
const WINDOW_SPAN_MS = 8 * MS.day;
/** Attempts of a failing step: the first and its retries. */
const RUN_RETRIES = 6;
/** A step's error that already says what failed, in the marketer's words (the webhook's). */
const NODE_FAILURE = "NodeFailure";
/** `flows.provider_wait_hours` when a run loaded its plan before that setting existed. */
const DEFAULT_PROVIDER_WAIT_HOURS = 24;
const iso = (ms: number) => new Date(ms).toISOString();

class NodeFailure extends Error {
  override name = NODE_FAILURE;
}

export function createFlowRunner(inngest: Inngest, deps: FlowDeps) {
  checkWebhookRoute(deps.webhookRoute, env().NODE_ENV);
  const throttle = deps.throttle ?? DEFAULT_THROTTLE;
  const maxSteps = deps.maxStepsPerRun ?? DEFAULT_MAX_STEPS_PER_RUN;

  return inngest.createFunction(
    {
      id: "flow-runner",
      name: "Flow runner",
      triggers: [enrollmentStarted],
      // One run per enrollment segment, even if the router's step or a continue-as-new is retried.
      idempotency: "event.data.runKey",
      cancelOn: [
        { event: contactUnsubscribed.name, match: "data.contactId" },
        { event: flowExit.name, match: "data.enrollmentId" },
      ],
      // A contact's runs never act at the same instant (two flows tagging and sending at once).
      concurrency: [{ key: "event.data.contactId", limit: 1 }],
      throttle: { key: "event.data.workspaceId", limit: throttle.limit, period: throttle.period, burst: throttle.burst },
      retries: RUN_RETRIES,
      // The run failed for good: end its enrollment "failed" where it stopped, with the reason, and
      // tell whoever reacts (admin notices). Each part is idempotent: a retried or repeated handler
      // finds the enrollment failed already, and sends the event again under the same id.
      onFailure: async ({ event, error, step }) => {
        const failedRun = event.data;
        const { workspaceId, enrollmentId } = eventData({ name: failedRun.event.name, data: failedRun.event.data }, enrollmentStarted);
        const failed = await step.run("fail-enrollment", async () => {
          const r = await failEnrollment(deps.db(), { workspaceId, enrollmentId, nodeId: null, reason: error.message, at: now() });
          return r && { ...r, finishedAt: r.finishedAt?.getTime() ?? null };
        });
        if (!failed || failed.status !== "failed") return { failed: false };
        await step.sendEvent("run-failed", {
          name: flowRunFailed.name,
          id: `flow-run-failed:${failedRun.run_id}`,
          data: {
            workspaceId,
            flowId: failed.flowId,
            enrollmentId,
            contactId: failed.contactId,
            nodeId: failed.nodeId,
            reason: failed.reason ?? "The run failed",
            failedAt: failed.finishedAt ?? now().getTime(),
          },
        });
        return { failed: true, nodeId: failed.nodeId };
      },
    },
    async ({ event, step, attempt }) => {
      const data = eventData(event, enrollmentStarted);
      const db = deps.db();
      const { workspaceId, enrollmentId, contactId } = data;
      const segment = data.segment ?? 0;

      const loaded = await step.run("load-plan", async () => {
        const enrollment = await enrollmentForRun(db, { workspaceId, enrollmentId });
        if (!enrollment) return null;
        const version = await getFlowVersion(db, { workspaceId, flowVersionId: enrollment.flowVersionId });
        if (!version) return null;
        return {
          status: enrollment.status,
          flowId: enrollment.flowId,
          flowVersionId: version.id,
          plan: version.plan,
          trigger: enrollment.trigger,
          enteredAt: enrollment.enteredAt.getTime(),
          providerWaitHours: enrollment.providerWaitHours,
          // Fixed for the run, so a replay chains its sleeps alike whatever the setting says later.
          maxSleepMs: env().TILLIT_MAX_SLEEP_DAYS * MS.day,
        };
      });
      if (!loaded || loaded.status !== "active") return { ended: "not-active" };
      const plan = planSchema.parse(loaded.plan);
      const trigger = loaded.trigger as Record<string, unknown>;
      const scope: TraceScope = { workspaceId, flowId: loaded.flowId, flowVersionId: loaded.flowVersionId, enrollmentId, contactId };
      const allowanceHours = providerWaitHours(loaded);
      /**
       * The longest single sleep or wait registration of this run (docs/flows.md#long-waits). null: a
       * run that loaded its plan before waits were chained, which goes on sleeping as it began.
       */
      const link: number | null = (loaded as { maxSleepMs?: number }).maxSleepMs ?? null;

      const visits: Record<string, number> = { ...(data.visits ?? {}) };
      const lastResume: Record<string, number> = { ...(data.lastResume ?? {}) };
      let stepsUsed = 1;
      // `close` and `here` are assigned inside walk() and read in its catch: the casts keep
      // TypeScript from narrowing them to null there.
      let close = null as Close | null;
      let nodeId: string | undefined = data.startNodeId ?? plan.trigger.nodeId;
      let last: { nodeId: string; visit: number } | null = null;
      /** The node being run, for a step that fails for good. */
      let here = null as { node: PlanNode; visit: number } | null;
      /** This segment continues a send-email node's waiting loop (continue-as-new inside it). */
      let resume = data.resumeSend ?? null;

      /** One instant node: guard, act, trace — one step. */
      const act = async (node: PlanNode, visit: number, fn: (at: Date) => Acted | Promise<Acted>) => {
        const stepId = `${node.id}#${visit}:${node.kind}`;
        const pending = close;
        stepsUsed++;
        const r = await step.run(stepId, async () => {
          const at = now();
          const e = await getEnrollment(db, { workspaceId, enrollmentId });
          // Cancellation does not stop a step already running: the run may have ended meanwhile.
          if (!e || e.status !== "active") return { exit: null, outcome: "stopped", stopped: true, at: at.getTime() };
          const done = await fn(at);
          await recordSteps(db, {
            ...scope,
            close: pending && { ...pending, at: new Date(pending.at) },
            entries: [{ stepId, nodeId: node.id, visit, kind: node.kind, outcome: done.outcome, exit: done.exit, detail: done.detail, at, finishedAt: at }],
            currentNodeId: node.id,
          });
          if (done.end) await finishEnrollment(db, { workspaceId, enrollmentId, status: done.end.status, reason: done.end.reason, at });
          return { exit: done.exit, outcome: done.outcome, stopped: !!done.end, at: at.getTime() };
        });
        close = null;
        return r;
      };

      /** The first step of a wait: its trace row ("waiting"), and whatever the wait must compute. */
      const enterWait = async <T,>(
        node: PlanNode,
        visit: number,
        suffix: string,
        fn: (at: Date) => Wait<T> | Promise<Wait<T>>,
      ) => {
        const stepId = `${node.id}#${visit}:${node.kind}`;
        const pending = close;
        stepsUsed++;
        const r = await step.run(`${node.id}#${visit}:${suffix}`, async () => {
          const at = now();
          const e = await getEnrollment(db, { workspaceId, enrollmentId });
          if (!e || e.status !== "active") return { stopped: true as const, at: at.getTime() };
          const w = await fn(at);
          await recordSteps(db, {
            ...scope,
            close: pending && { ...pending, at: new Date(pending.at) },
            entries: [
              {
                stepId,
                nodeId: node.id,
                visit,
                kind: node.kind,
                outcome: w.immediate?.outcome ?? "waiting",
                exit: w.immediate?.exit ?? null,
                detail: w.immediate?.detail ?? w.detail,
                at,
                finishedAt: w.immediate ? at : null,
              },
            ],
            currentNodeId: node.id,
          });
          return { stopped: false as const, at: at.getTime(), result: w.result, immediate: w.immediate !== null };
        });
        close = null;
        return r;
      };

      /**
       * Sleeps until `until` in links of at most `link` from `from` (an instant a step memoized; without
       * one, a step memoizes the present first). The caller counts one step; the extra ones are counted
       * here. With `handOff`, stops before a link that would leave the node too few steps and returns
       * false: the caller goes on in a new run (only for waits whose end does not depend on their start).
       */
      const sleepChain = async (id: string, until: number, opts: { from?: number; handOff?: boolean } = {}): Promise<boolean> => {
        if (link === null) {
          await step.sleepUntil(id, new Date(until));
          return true;
        }
        let from = opts.from;
        if (from === undefined) {
          stepsUsed++;
          from = await step.run(`${id}@from`, () => now().getTime());
        }
        const ends = sleepLinks(from, until, link);
        for (const [i, end] of ends.entries()) {
          const last = i === ends.length - 1;
          // Each run takes at least one link, so a wait longer than any run's budget still ends.
          if (!last && i > 0 && opts.handOff && stepsUsed + NODE_RESERVE > maxSteps) return false;
          if (!last) stepsUsed++;
          await step.sleepUntil(linkStepId(id, i + 1, ends.length), new Date(end));
        }
        return true;
      };

      /**
       * Steps a node may spend on chained sleeps beyond its own, known from its config: the budget
       * check before a node keeps them (wait-until's end is open: it hands off inside its chain).
       * Never so many that a fresh run could not take the node.
       */
      const chainReserve = (node: PlanNode): number => {
        if (link === null) return 0;
        const extra =
          node.kind === "delay"
            ? linkCount(node.config.durationMs, link) - 1
            : node.kind === "wait-window"
              ? linkCount(WINDOW_SPAN_MS, link) - 1
              : node.kind === "wait-for-event"
                ? 2 * (linkCount(node.config.timeoutMs, link) - 1)
                : 0;
        return Math.max(0, Math.min(extra, maxSteps - NODE_RESERVE - 2));
      };

      /** Continue as new: the next segment of this enrollment starts at `node` (Inngest's step limit). */
      const continueAsNew = async (node: PlanNode, id: string, extra: Pick<EnrollmentStarted, "visits" | "resumeSend"> = {}) => {
        const next = segment + 1;
        await step.sendEvent(id, {
          name: enrollmentStarted.name,
          id: `${enrollmentId}:${next}`,
          data: {
            workspaceId,
            enrollmentId,
            flowVersionId: loaded.flowVersionId,
            contactId,
            startNodeId: node.id,
            segment: next,
            visits,
            lastResume,
            runKey: `${enrollmentId}:${next}`,
            ...extra,
          },
        });
        return { continued: next };
      };

      const contactZone = async (fallback: string | null) => {
        const c = await contactForRun(db, { workspaceId, contactId });
        for (const z of [c?.timeZone, fallback, c?.workspaceTimeZone]) if (z && isValidTimeZone(z)) return { zone: z, contact: c };
        return { zone: "UTC", contact: c };
      };

      const walk = async () => {
        while (nodeId !== undefined) {
          const node: PlanNode | undefined = plan.nodes[nodeId];
          if (!node) break;
          const visit = (visits[node.id] ?? 0) + 1;
          const sid = (kind: string): string => `${node.id}#${visit}:${kind}`;
          here = { node, visit };
          const resumed = resume?.nodeId === node.id ? resume : null;
          resume = null;

          if (visit > node.maxVisits) {
            await act(node, visit, () => ({
              exit: null,
              outcome: "visit-cap",
              detail: `Visited ${node.maxVisits} times already; the run stops here`,
              end: { status: "exited", reason: "visit-cap" },
            }));
            return { ended: "visit-cap" };
          }

          // Continue-as-new well before Inngest's 1000-step limit; a node takes at most a few steps,
          // and its chained sleeps (docs/flows.md#long-waits).
          if (stepsUsed + NODE_RESERVE + chainReserve(node) > maxSteps) {
            const pending = close;
            await step.run(sid("handoff"), async () => {
              await recordSteps(db, { ...scope, close: pending && { ...pending, at: new Date(pending.at) }, entries: [], currentNodeId: node.id });
            });
            return continueAsNew(node, sid("continue"));
          }
          visits[node.id] = visit;
          last = { nodeId: node.id, visit };

          if (isTriggerNode(node)) {
            // Every trigger enrols alike (the catalog's group says which kinds are triggers).
            const r = await act(node, visit, () => ({ exit: "next", outcome: "enrolled", detail: `Entered: ${nodeCatalog[node.kind].label}` }));
            if (r.stopped) return { ended: "stopped" };
            nodeId = r.exit === null ? undefined : node.next[r.exit];
            continue;
          }
          let exit: string | null = null;
          switch (node.kind) {
            case "delay": {
              const w = await enterWait(node, visit, "enter", (at) => ({
                result: at.getTime() + node.config.durationMs,
                immediate: null,
                detail: `Waiting ${formatDuration(node.config.durationMs)}`,
              }));
              if (w.stopped) return { ended: "stopped" };
              stepsUsed++;
              await sleepChain(sid("delay"), w.result, { from: w.at });
              close = { stepId: sid(node.kind), outcome: "waited", exit: "next", detail: `Waited ${formatDuration(node.config.durationMs)}`, at: w.result };
              lastResume[node.id] = w.result;
              exit = "next";
              break;
            }
            case "wait-until":
            case "wait-window": {
              const w = await enterWait(node, visit, "enter", async (at) => {
                const t = at.getTime();
                const target = await waitTarget(node, t, contactZone);
                if (target.at === null || target.at <= t) {
                  return { result: t, immediate: { outcome: "continued", exit: "next", detail: target.detail }, detail: target.detail };
                }
                return { result: target.at, immediate: null, detail: target.detail };
              });
              if (w.stopped) return { ended: "stopped" };
              if (!w.immediate) {
                stepsUsed++;
                // The end is an instant of its own: a new run re-entering this visit finds the same one.
                if (!(await sleepChain(sid(node.kind === "wait-until" ? "wait-until" : "wait-window"), w.result, { from: w.at, handOff: true })))
                  return continueAsNew(node, sid("continue"), { visits: { ...visits, [node.id]: visit - 1 } });
                close = { stepId: sid(node.kind), outcome: "waited", exit: "next", detail: `Waited until ${iso(w.result)}`, at: w.result };
              }
              lastResume[node.id] = w.result;
              exit = "next";
              break;
            }
            case "wait-for-event": {
              const config = node.config;
              const from = waitLookbackStart(loaded.enteredAt, lastResume[node.id] ?? null);
              const look = await enterWait(node, visit, "lookback", async (at) => {
                const hit = await findMatch(db, { workspaceId, contactId }, config, trigger, from, at.getTime());
                const immediate = hit ? { outcome: "matched", exit: "matched", detail: `${config.event} happened at ${iso(hit)} (before the wait began)` } : null;
                return { result: hit, immediate, detail: `Waiting up to ${formatDuration(config.timeoutMs)} for ${config.event}` };
              });
              if (look.stopped) return { ended: "stopped" };
              if (look.immediate) {
                lastResume[node.id] = look.at;
                exit = "matched";
                break;
              }
              const deadline = look.at + config.timeoutMs;
              let resumedAt: number | null = null;
              let seen = look.at;
              // Near misses (another cart, a failed filter) wait again for the rest of the timeout; after
              // MAX_WAIT_ATTEMPTS of them the node times out rather than eat the run's step budget. A
              // timeout longer than the run's longest registration is waited out in links of it, each
              // followed by a catch-up like the first (docs/flows.md#long-waits).
              const maxAttempts = MAX_WAIT_ATTEMPTS + (link === null ? 0 : linkCount(config.timeoutMs, link) - 1);
              for (let attempt = 1; seen < deadline && attempt <= maxAttempts; attempt++) {
                stepsUsed++;
                // The first registration is bounded so the catch-up below runs soon after it.
                const bounded = attempt === 1 && deadline - seen > FIRST_WAIT_MS;
                const linked = !bounded && link !== null && deadline - seen > link;
                const got = await step.waitForEvent(sid(attempt === 1 ? "wait-for-event" : `wait-for-event-${attempt}`), {
                  event: eventTracked.name,
                  timeout: bounded ? FIRST_WAIT_MS : linked ? link : deadline - seen,
                  if: waitExpression(config, { workspaceId, contactId }, trigger),
                });
                if (!got && (bounded || linked)) {
                  // The wait has existed for FIRST_WAIT_MS (or a whole link): anything it could not
                  // see (sent to Inngest before it was registered) is in the table by now.
                  stepsUsed++;
                  const caught = await step.run(sid(attempt === 1 ? "catch-up" : `catch-up-${attempt}`), async () => {
                    const at = now().getTime();
                    return { at, hit: await findMatch(db, { workspaceId, contactId }, config, trigger, from, Math.min(at, deadline)) };
                  });
                  if (caught.hit !== null) {
                    resumedAt = Math.max(look.at, caught.hit);
                    break;
                  }
                  seen = Math.max(seen, Math.min(caught.at, deadline));
                  continue;
                }
                if (!got) break;
                // An event that does not fit its declared schema is a near miss, not the run's failure.
                const parsed = eventTracked.schema.safeParse(got.data);
                if (!parsed.success) continue;
                const d = parsed.data;
                const candidate: TrackedEvent = { name: d.name, at: d.occurredAt, properties: d.properties ?? {} };
                seen = Math.max(seen, d.occurredAt);
                if (candidate.at > from && waitForEventMatches(config, candidate, trigger)) {
                  resumedAt = Math.max(look.at, candidate.at);
                  break;
                }
              }
              if (resumedAt !== null) {
                close = { stepId: sid(node.kind), outcome: "matched", exit: "matched", detail: `${config.event} happened at ${iso(resumedAt)}`, at: resumedAt };
                lastResume[node.id] = resumedAt;
                exit = "matched";
              } else {
                // An event committed between a catch-up (or a near miss) and the next registration
                // reached Inngest before anything was waiting for it: look once more before timing out.
                stepsUsed++;
                const late: string = await step.run(sid("recheck"), async (): Promise<string> => {
                  const hit = await findMatch(db, { workspaceId, contactId }, config, trigger, from, deadline);
                  const outcome = hit ? "matched" : "timeout";
                  const detail = hit ? `${config.event} happened at ${iso(hit)}` : `No ${config.event} within ${formatDuration(config.timeoutMs)}`;
                  await recordSteps(db, {
                    ...scope,
                    close: { stepId: sid(node.kind), outcome, exit: outcome, detail, at: new Date(deadline) },
                    entries: [],
                    currentNodeId: node.id,
                  });
                  return outcome;
                });
                lastResume[node.id] = deadline;
                exit = late;
              }
              break;
            }
            case "condition": {
              const r = await act(node, visit, async (at) => {
                const ctx = await conditionContext(db, { workspaceId, contactId, enrollmentId }, node, at);
                const taken = evaluateCondition(node.config, ctx);
                const branch = node.config.mode === "branches" ? node.config.branches.find((b) => `branch:${b.id}` === taken) : undefined;
                return { exit: taken, outcome: taken, detail: `Took "${branch?.label ?? taken}"` };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "random-split": {
              const r = await act(node, visit, () => {
                const branch = pickSplitBranch(contactId, node.id, node.config.branches);
                const total = node.config.branches.reduce((s, b) => s + b.weight, 0);
                return { exit: `split:${branch.id}`, outcome: `split:${branch.id}`, detail: `Branch "${branch.label}" (weight ${branch.weight} of ${total})` };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "send-email": {
              // The sending policy may say "not now" (frequency cap, quiet hours), and the provider may
              // rate-limit or be down: the step's trace row waits, the run sleeps until the next try
              // and tries again with the same idempotency key — a deferred message is never dropped,
              // and waiting spends none of the run's retries. Provider trouble is waited out for the
              // flow's allowance (flows.provider_wait_hours), then the run fails.
              const traceId = sid(node.kind);
              // `reachedAt`: when the contact reached the node (the first try), for the send-within limit.
              const attemptSend = async (at: Date, wait: ProviderWait | null, reachedAt: number): Promise<SendTry> => {
                let sent: FlowSendResult;
                try {
                  sent = await sendFlowEmail(db, deps.transport(), {
                    workspaceId,
                    flowId: loaded.flowId,
                    enrollmentId,
                    contactId,
                    nodeId: node.id,
                    stepId: traceId,
                    templateId: node.config.templateId,
                    utm: node.config.utm,
                    trigger,
                    now: at,
                  });
                } catch (err) {
                  // The workspace's sending pace has no slot soon: sleep until one, spending nothing
                  // of the provider allowance (a little spread, so a fan-out does not wake at once).
                  if (err instanceof EmailSendError && err.code === "paced") {
                    const until = at.getTime() + (err.retryAfterMs ?? 1_000) + Math.floor(Math.random() * 1_000);
                    return { kind: "wait", until, wait, detail: err.message };
                  }
                  if (!(err instanceof EmailSendError) || (err.code !== "rate_limited" && err.code !== "provider_error")) throw err;
                  const next = providerRetry({ code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }, wait, at.getTime(), allowanceHours);
                  if (next.retry) return { kind: "wait", until: next.until, wait: next.wait, detail: next.detail };
                  // The provider never took it: the message is failed, and so is the run.
                  await failQueuedMessage(db, { workspaceId, idempotencyKey: `${enrollmentId}:${traceId}`, error: next.reason });
                  return { kind: "give-up", reason: next.reason };
                }
                if (sent.outcome === "deferred") {
                  // The policy would hold it past the node's send-within limit: skipped, the run goes on.
                  const { sendWithinHours: hours } = node.config;
                  const deadline = sendWithinDeadline(reachedAt, hours);
                  const late = heldPastLimit({ hours, deadline, at: at.getTime(), until: sent.until, detail: sent.detail });
                  if (late !== null) return { kind: "done", outcome: "skipped", detail: late };
                  return { kind: "wait", until: sent.until, wait, detail: sent.detail };
                }
                return { kind: "done", outcome: sent.outcome, detail: sent.detail };
              };

              let pending: { until: number; wait: ProviderWait | null; attempt: number } | null;
              // A segment resumed by a run from before the limit existed carries no reachedAt (nor had its
              // plan a limit): its next try's time stands in.
              let reachedAt = resumed ? (resumed.reachedAt ?? resumed.at) : 0;
              if (resumed) {
                pending = { until: resumed.at, wait: resumed.providerWait, attempt: resumed.attempt };
              } else {
                const first = await enterWait(node, visit, "send-email", async (at) => {
                  const t = await attemptSend(at, null, at.getTime());
                  if (t.kind === "done") return { result: t as SendMemo, immediate: { outcome: t.outcome, exit: "next", detail: t.detail }, detail: t.detail };
                  return { result: t, immediate: null, detail: t.kind === "wait" ? t.detail : t.reason };
                });
                if (first.stopped) return { ended: "stopped" };
                reachedAt = first.at;
                const t = memoTry(first.result);
                if (t?.kind === "give-up") throw new NonRetriableError(t.reason);
                pending = t?.kind === "wait" ? { until: t.until, wait: t.wait, attempt: 2 } : null;
              }
              while (pending !== null) {
                const { attempt: n, wait } = pending;
                // A long wait must not run into Inngest's step limit: go on in a new run, same visit.
                if (stepsUsed + 6 > maxSteps) {
                  return continueAsNew(node, sid(`continue-${n}`), {
                    visits: { ...visits, [node.id]: visit - 1 },
                    resumeSend: { nodeId: node.id, at: pending.until, attempt: n, providerWait: wait, reachedAt },
                  });
                }
                stepsUsed += 2;
                await sleepChain(sid(`defer-${n}`), pending.until);
                const again = await step.run(sid(`send-email-${n}`), async () => {
                  const at = now();
                  const e = await getEnrollment(db, { workspaceId, enrollmentId });
                  if (!e || e.status !== "active") return { stopped: true as const };
                  const t = await attemptSend(at, wait, reachedAt);
                  const close = t.kind === "done" ? { stepId: traceId, outcome: t.outcome, exit: "next", detail: t.detail, at } : null;
                  const note = t.kind === "wait" ? { stepId: traceId, detail: t.detail } : null;
                  await recordSteps(db, { ...scope, close, note, entries: [], currentNodeId: node.id });
                  return { stopped: false as const, t };
                });
                if (again.stopped) return { ended: "stopped" };
                const t = memoTry(again);
                if (t?.kind === "give-up") throw new NonRetriableError(t.reason);
                pending = t?.kind === "wait" ? { until: t.until, wait: t.wait, attempt: n + 1 } : null;
              }
              exit = "next";
              break;
            }
            case "add-tag": {
              const r = await act(node, visit, async () => {
                const added = await addContactTag(db, { workspaceId, contactId, tag: node.config.tag });
                return { exit: "next", outcome: added ? "done" : "unchanged", detail: `Added tag "${node.config.tag}"${added ? "" : " (already there)"}` };
              });
              if (r.stopped) return { ended: "stopped" };
              if (r.outcome === "done") {
                // Other flows may start on this tag; the router ignores this flow's own re-entry rules.
                stepsUsed++;
                await step.sendEvent(sid("tag-event"), { name: tagAdded.name, data: { workspaceId, contactId, tag: node.config.tag } });
              }
              exit = r.exit;
              break;
            }
            case "remove-tag": {
              const r = await act(node, visit, async () => {
                const removed = await removeContactTag(db, { workspaceId, contactId, tag: node.config.tag });
                return { exit: "next", outcome: removed ? "done" : "unchanged", detail: `Removed tag "${node.config.tag}"` };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "update-attribute": {
              const r = await act(node, visit, async () => {
                const { attribute, op, value } = node.config;
                await updateContactAttribute(db, { workspaceId, contactId, attribute, op, value });
                return { exit: "next", outcome: "done", detail: `${op} ${attribute}${op === "unset" ? "" : ` ${JSON.stringify(value ?? null)}`}` };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "webhook": {
              const r = await act(node, visit, async () => {
                const c = await contactForRun(db, { workspaceId, contactId });
                const ctx = {
                  contact: { ...(c?.attributes ?? {}), id: contactId, email: c?.email ?? "", first_name: c?.firstName ?? "", last_name: c?.lastName ?? "" },
                  workspace: {},
                  trigger,
                  unsubscribe_url: "",
                };
                let body: string;
                try {
                  body =
                    node.config.body === null
                      ? JSON.stringify({ contact: { id: contactId, email: c?.email ?? null }, flow: { id: loaded.flowId, nodeId: node.id, enrollmentId }, trigger })
                      : await renderLiquidText(node.config.body, ctx, false);
                } catch (err) {
                  // A body the renderer refuses is the flow's own fault: retrying cannot help.
                  if (err instanceof TemplateError) return { exit: "next", outcome: "failed", detail: `Not called: ${err.message}` };
                  throw err;
                }
                const res = await callWebhook(
                  { url: node.config.url, method: node.config.method, headers: node.config.headers, body },
                  deps.webhookRoute?.resolve,
                  undefined,
                  deps.webhookRoute?.agent,
                );
                if (!res.ok && res.retry) {
                  // Retried with the run's retries; the last attempt's message is the failed run's reason.
                  const tries = attempt + 1;
                  const what = res.detail.charAt(0).toLowerCase() + res.detail.slice(1);
                  throw new NodeFailure(`Webhook ${node.config.method} ${node.config.url} failed after ${tries} attempt${tries === 1 ? "" : "s"}: ${what}`);
                }
                // A refused or 4xx webhook is recorded and the contact moves on: a broken endpoint must not hold the flow.
                return { exit: "next", outcome: res.ok ? "done" : "failed", detail: res.ok ? `Called ${node.config.method} ${node.config.url}: ${res.status}` : res.detail };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "notify-team": {
              // One step: the notice (once per enrollment and step, so a retried step finds it), then
              // a mail to each chosen member still in the workspace, each with its own idempotency key.
              const stepId = sid(node.kind);
              const r = await act(node, visit, async (at) => {
                const chosen = node.config.memberIds;
                const members = await membersAmong(db, { workspaceId, userIds: chosen });
                const notice = await recordTeamNotice(db, {
                  workspaceId,
                  flowId: loaded.flowId,
                  contactId,
                  nodeId: node.id,
                  dedupeKey: `${enrollmentId}:${stepId}`,
                  message: node.config.message,
                  recipientUserIds: members.map((m) => m.userId),
                  at,
                });
                if (!notice) return { exit: "next", outcome: "failed", detail: "Nobody told: the contact or the flow is gone" };
                const e = env();
                const base = `${e.appUrl}/w/${notice.workspace.slug}`;
                const mail = teamNoticeEmail({
                  workspaceName: notice.workspace.name,
                  flowName: notice.flow.name,
                  contact: notice.contact.display,
                  message: node.config.message,
                  contactLink: `${base}/contacts/${contactId}`,
                  flowLink: `${base}/flows/${loaded.flowId}`,
                });
                await mailEach(deps.transport(), {
                  from: e.MAIL_FROM,
                  recipients: members.flatMap((m) => (m.email ? [{ userId: m.userId, email: m.email }] : [])),
                  mail,
                  kind: TEAM_NOTIFIED,
                  key: (userId) => `team:${notice.id}:${userId}`,
                });
                await claimNoticeMail(db, { workspaceId, noticeId: notice.id, at });
                return { exit: "next", outcome: "done", detail: teamNoticeDetail(chosen.length, members) };
              });
              if (r.stopped) return { ended: "stopped" };
              exit = r.exit;
              break;
            }
            case "goal": {
              await act(node, visit, () => ({
                exit: null,
                outcome: "goal",
                detail: `Goal "${node.config.name}" reached`,
                end: { status: "exited", reason: "goal" },
              }));
              return { ended: "goal" };
            }
            case "exit": {
              await act(node, visit, () => ({
                exit: null,
                outcome: "exit",
                detail: node.config.reason ? `Exited: ${node.config.reason}` : "Exited",
                end: { status: "exited", reason: node.config.reason || "exit" },
              }));
              return { ended: "exit" };
            }
            default:
              return assertNever(node, "node kind");
          }
          nodeId = exit === null ? undefined : node.next[exit];
        }

        const pending: Close | null = close;
        const at = last;
        await step.run(at ? `${at.nodeId}#${at.visit}:finish` : "finish", async () => {
          const t = now();
          if (pending) await recordSteps(db, { ...scope, close: { ...pending, at: new Date(pending.at) }, entries: [], currentNodeId: at?.nodeId ?? null });
          await finishEnrollment(db, { workspaceId, enrollmentId, status: "completed", reason: null, at: t });
        });
        return { ended: "end" };
      };

      try {
        return await walk();
      } catch (err) {
        // A step failed for good (its retries spent). Before the run fails, record where: the node
        // that was running becomes the enrollment's current node (a step that throws never wrote
        // its trace), and a wait it had just left gets its row closed. onFailure does the rest.
        if (!(err instanceof StepError) || here === null) throw err;
        const { node, visit } = here;
        const reason = err.name === NODE_FAILURE ? err.message : `${nodeCatalog[node.kind].label} failed: ${err.message}`;
        const pending: Close | null = close;
        await step.run(`${node.id}#${visit}:failing`, async () => {
          const e = await getEnrollment(db, { workspaceId, enrollmentId });
          if (!e || e.status !== "active") return;
          await recordSteps(db, { ...scope, close: pending && { ...pending, at: new Date(pending.at) }, entries: [], currentNodeId: node.id });
        });
        throw new NonRetriableError(reason, { cause: err });
      }
    },
  );
}

/** A notify-team step's trace: who was told, and how many chosen members were skipped (removed since publish). */
function teamNoticeDetail(chosen: number, told: { name: string | null; email: string | null }[]): string {
  const names = told.map((m) => m.name || m.email || "a member without an address");
  const gone = chosen - told.length;
  const skipped = gone > 0 ? `; skipped ${gone} no longer ${gone === 1 ? "a member" : "members"} of the workspace` : "";
  return `${names.length ? `Told ${names.join(", ")}` : "Nobody told"}${skipped}`;
}

/** The flow's provider-wait allowance as the run loaded it (runs loaded before it existed: the default). */
function providerWaitHours(loaded: { providerWaitHours?: number }): number {
  return loaded.providerWaitHours ?? DEFAULT_PROVIDER_WAIT_HOURS;
}

/** When a wait-until or wait-window node lets the contact go on. */
async function waitTarget(
  node: PlanNodeOf<"wait-until"> | PlanNodeOf<"wait-window">,
  at: number,
  zoneOf: (fallback: string | null) => Promise<{ zone: string; contact: { attributes: Record<string, unknown> } | undefined }>,
): Promise<{ at: number | null; detail: string }> {
  if (node.kind === "wait-window") {
    const { zone } = await zoneOf(node.config.timeZone);
    const opens = nextWindowStart(at, node.config, zone);
    const window = `${node.config.days.join(", ")} ${node.config.from}–${node.config.to} ${zone}`;
    return { at: opens, detail: opens === at ? `Inside ${window}; continued at once` : `Waiting for ${window} (opens ${iso(opens)})` };
  }
  if (node.config.mode === "date") {
    const t = Date.parse(node.config.at);
    return { at: t, detail: t <= at ? `${node.config.at} has passed; continued at once` : `Waiting until ${node.config.at}` };
  }
  const { zone, contact } = await zoneOf(null);
  const base = attributeInstant(contact?.attributes[node.config.attribute], zone, node.config.time);
  if (base === null) return { at: null, detail: `${node.config.attribute} has no usable date; continued at once` };
  const t = base + node.config.offsetMs;
  return { at: t, detail: t <= at ? `${node.config.attribute} (${iso(t)}) has passed; continued at once` : `Waiting until ${iso(t)}` };
}

/** The first stored event in (from, upTo] that satisfies the wait (same rule as simulate()). */
async function findMatch(
  db: Db,
  q: { workspaceId: string; contactId: string },
  config: PlanNodeOf<"wait-for-event">["config"],
  trigger: Record<string, unknown>,
  from: number,
  upTo: number,
): Promise<number | null> {
  const rows = await contactEventsBetween(db, { ...q, names: [config.event], after: new Date(from), upTo: new Date(upTo) });
  const hit = rows.find((e) => waitForEventMatches(config, { name: e.name, at: e.occurredAt.getTime(), properties: e.properties }, trigger));
  return hit ? hit.occurredAt.getTime() : null;
}

async function conditionContext(
  db: Db,
  q: { workspaceId: string; contactId: string; enrollmentId: string },
  node: PlanNodeOf<"condition">,
  at: Date,
) {
  const rules = node.config.mode === "yes-no" ? node.config.rules : node.config.branches.flatMap((b) => b.rules);
  const eventNames = [...new Set(rules.flatMap((r) => (r.type === "event" ? [r.event] : [])))];
  const needsEmail = rules.some((r) => r.type === "email");
  const segmentIds = [...new Set(rules.flatMap((r) => (r.type === "segment" ? [r.segmentId] : [])))];
  const [contact, tags, events, emails, segments] = await Promise.all([
    contactForRun(db, q),
    contactTagNames(db, q),
    contactEventsBetween(db, { ...q, names: eventNames, after: null, upTo: at, limit: 5000, newest: true }),
    needsEmail ? contactEngagement(db, { ...q, upTo: at }) : Promise.resolve([]),
    // Evaluated live (the segments' compiled predicates for this one contact), not read from the
    // membership table, which lags behind until the next refresh.
    contactSegmentIds(db, { workspaceId: q.workspaceId, contactId: q.contactId, segmentIds, now: at }),
  ]);
  return {
    contact: {
      id: q.contactId,
      attributes: { email: contact?.email, firstName: contact?.firstName, lastName: contact?.lastName, ...(contact?.attributes ?? {}) },
      tags,
      segments,
      timeZone: contact?.timeZone ?? null,
    },
    events: events.map((e) => ({ name: e.name, at: e.occurredAt.getTime(), properties: e.properties })),
    emails,
    now: at.getTime(),
  };
}
