import { signedBody } from "@/inngest/keys";
import { callUrl, maxAttempts } from "../config";
import { parseDuration, sleepDueAt } from "../duration";
import { postJson } from "../http-client";
import { outputTooLarge, tooManySteps, waitTooLong } from "../limits";
import { opsBody, type CallBody, type Op, type RunEvent } from "../protocol";
import { DAY, type CallSteps, type EngineContext, type Fn, type Job } from "./context";
import { ingestInTx } from "./ingest";
import { cleanError, finishRun, type SerializedError } from "./runs";
import * as q from "./statements";
import { syncApp } from "./sync-cron";

/**
 * Executing a claimed job: a sleep or a wait's timeout is applied at once; a call goes to the app
 * outside any transaction and its reply (docs/inngest-protocol.md#step-opcodes) is applied in one
 * that first takes the job by its lease token, so a reply is applied at most once.
 */

const BACKOFF_MS = [15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 7_200_000];

/** The ops a reply may carry; StepNotFound also comes back, from a parallel plan. */
const SUPPORTED_OPS = ["StepRun", "StepPlanned", "StepError", "StepFailed", "Sleep", "WaitForEvent", "RunComplete"] as const;
const KNOWN_OPS = new Set<string>([...SUPPORTED_OPS, "StepNotFound"]);
/** The ops that are (or will be) a step of the run, for Inngest's step limit. */
const COUNTED_OPS = new Set<string>(["StepRun", "StepFailed", "StepPlanned", "Sleep", "WaitForEvent"]);

type CallContext = {
  job: Job;
  fnId: string;
  event: RunEvent;
  fn: Fn;
  max: number;
  retryAfter: string | undefined;
  /** The run's memo when the call went out, by step id, and the steps checkpointed during it. */
  steps: CallSteps;
  /** Length of the reply's text: bounds the size of every output in it. */
  replyChars: number;
};

/**
 * Applies a job's result in one transaction that first takes the job by its lease token: if the
 * lease was lost meanwhile (re-claimed, or the run ended), nothing is applied.
 */
async function withLease(ctx: EngineContext, job: Job, apply: (tx: q.Db) => Promise<void>): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    if ((await q.takeJob(tx, job)).length > 0) await apply(tx);
  });
}

export async function execute(ctx: EngineContext, job: Job): Promise<void> {
  if (job.kind === "sleep") {
    await q.memoizeAndDiscover(ctx.sql, job, { id: job.step_id!, value: null, name: null, now: ctx.now() });
    return;
  }
  if (job.kind === "wait_timeout") {
    await withLease(ctx, job, async (tx) => {
      if ((await q.deleteWait(tx, job.run_id, job.step_id!)).length === 0) return; // the event won the race
      await q.memoize(tx, job.run_id, job.step_id!, null, null);
      await q.enqueueDiscovery(tx, job.run_id, ctx.now());
    });
    return;
  }
  await executeCall(ctx, job);
}

async function executeCall(ctx: EngineContext, job: Job): Promise<void> {
  // The run and its memo in completion order (the stack): read with the claim when that was
  // safe, otherwise now, in one round trip.
  const run = job.run ?? (await q.readRun(ctx.sql, job.run_id))[0];
  if (!run || run.status !== "running") {
    await q.takeJob(ctx.sql, job);
    return;
  }
  const fn = ctx.fns.get(run.fn_id);
  if (!fn) {
    await failRun(ctx, job, run.fn_id, run.event, {
      name: "Error",
      message: `function "${run.fn_id}" is no longer served by any synced app`,
    });
    return;
  }
  const memo = run.memo.map(([step_id, value]) => ({ step_id, value }));
  const steps: Record<string, unknown> = {};
  for (const m of memo) steps[m.step_id] = m.value;
  const max = maxAttempts(fn.config);
  const body: CallBody = {
    event: run.event,
    events: [run.event],
    steps,
    ctx: {
      run_id: job.run_id,
      attempt: job.attempt,
      max_attempts: max,
      disable_immediate_execution: run.die,
      use_api: false,
      stack: { stack: memo.map((m) => m.step_id), current: memo.length },
    },
    version: 2,
  };
  if (ctx.opts.checkpointing !== false) {
    // The SDK itself declines to checkpoint a planned step, a retry or a run that plans in
    // parallel (docs/inngest-protocol.md#when-the-sdk-checkpoints), so these may always be sent.
    body.ctx.fn_id = run.fn_id;
    body.ctx.qi_id = job.id;
  }
  const url = new URL(callUrl(fn.config));
  url.searchParams.set("fnId", run.fn_id);
  url.searchParams.set("stepId", job.step_id ?? "step");

  let status = 0;
  let headers: Record<string, string> = {};
  let text = "";
  let networkError: string | undefined;
  const callSteps: CallSteps = { known: steps, knownCount: memo.length, extra: new Set() };
  ctx.callSteps.set(job.id, callSteps);
  try {
    const signed = signedBody(ctx.opts.signingKey, body);
    const res = await postJson(
      url,
      {
        "content-type": "application/json",
        "x-inngest-server-kind": "cloud",
        "x-inngest-signature": signed.signature,
        "x-inngest-generation-id": String(job.generation),
      },
      signed.body,
      ctx.opts.callTimeoutMs ?? 15 * 60_000,
    );
    ({ status, headers, text } = res);
  } catch (err) {
    networkError = (err as Error).message;
  } finally {
    ctx.callSteps.delete(job.id);
  }
  let parsed: unknown = undefined;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  ctx.opts.tap?.({ url: url.toString(), request: body, status, headers, body: parsed });

  const call: CallContext = { job, fnId: run.fn_id, event: run.event, fn, max, retryAfter: headers["retry-after"], steps: callSteps, replyChars: text.length };
  if (networkError !== undefined) {
    await retryOrFail(ctx, call, { name: "Error", message: `call to ${url.origin} failed: ${networkError}` });
    return;
  }
  if (status === 200) {
    await q.completeRun(ctx.sql, job, parsed, ctx.now());
    return;
  }
  if (status === 206) {
    const ops = opsBody.safeParse(parsed);
    if (!ops.success) {
      await failRun(ctx, job, run.fn_id, run.event, {
        name: "Error",
        message: `the SDK replied 206 with a body that is not an op list: ${ops.error.message}`,
      });
      return;
    }
    await applyOps(ctx, call, ops.data);
    return;
  }
  const err = errorOf(parsed, status);
  if (status === 500 && /was not found in this app/.test(err.message)) {
    // The app changed under us: resync once, then retry as usual.
    await syncApp(ctx, fn.appUrl).catch((e) => ctx.log(`resync of ${fn.appUrl} failed: ${(e as Error).message}`));
  }
  if (err.name === "StaleDispatchError") {
    // A checkpoint of this call was refused: the job was re-claimed or the run ended meanwhile,
    // so the reply is normally discarded. Should we still hold the lease, call again from the memo.
    await withLease(ctx, job, async (tx) => {
      await q.insertCall(tx, job.run_id, { stepId: job.step_id, attempt: job.attempt, dueAt: ctx.now(), now: ctx.now() });
    });
    return;
  }
  if (status === 400 || headers["x-inngest-no-retry"] === "true") {
    await failRun(ctx, job, run.fn_id, run.event, err);
    return;
  }
  await retryOrFail(ctx, call, err);
}

async function retryOrFail(ctx: EngineContext, call: CallContext, error: SerializedError): Promise<void> {
  if (call.job.attempt + 1 >= call.max) {
    await failRun(ctx, call.job, call.fnId, call.event, error);
    return;
  }
  await withLease(ctx, call.job, async (tx) => {
    const dueAt = retryAt(ctx, call.job.attempt, call.retryAfter);
    await q.insertCall(tx, call.job.run_id, { stepId: call.job.step_id, attempt: call.job.attempt + 1, dueAt, now: ctx.now() });
  });
}

/** When retry number `attempt + 1` is due: as the app's Retry-After says, or after the backoff. */
function retryAt(ctx: EngineContext, attempt: number, retryAfter: string | undefined): number {
  const now = ctx.now();
  if (retryAfter) {
    const secs = Number(retryAfter);
    const at = Number.isFinite(secs) ? now + secs * 1000 : Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.min(now + DAY, Math.max(now + 1000, at));
  }
  const { backoff } = ctx.opts;
  const delay = backoff ? backoff(attempt) : BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]! + Math.floor(Math.random() * 30_000);
  return now + Math.min(DAY, Math.max(backoff ? 0 : 1000, delay));
}

/** A 206 reply: the ops the SDK reports, applied in one transaction. */
async function applyOps(ctx: EngineContext, call: CallContext, ops: Op[]): Promise<void> {
  const { job } = call;
  const unsupported = ops.find((o) => !KNOWN_OPS.has(o.op));
  if (unsupported) {
    await failRun(ctx, job, call.fnId, call.event, {
      name: "UnsupportedOpError",
      message: `the local Inngest executor does not support op "${unsupported.op}" (step "${unsupported.displayName ?? unsupported.name ?? unsupported.id}"); supported: ${SUPPORTED_OPS.join(", ")}`,
    });
    return;
  }
  // Inngest's step limit counts every step a run holds: finished, and planned, sleeping or waiting.
  const fresh = new Set(ops.filter((o) => COUNTED_OPS.has(o.op) && !(o.id in call.steps.known) && !call.steps.extra.has(o.id)).map((o) => o.id));
  const count = call.steps.knownCount + call.steps.extra.size + fresh.size;
  if (count > ctx.limits.maxStepsPerRun) {
    await failRun(ctx, job, call.fnId, call.event, tooManySteps(count, ctx.limits));
    return;
  }
  const complete = ops.find((o) => o.op === "RunComplete");
  if (complete) {
    await q.completeRun(ctx.sql, job, complete.data ?? null, ctx.now());
    return;
  }
  const now = ctx.now();
  const badSleep = ops.find((o) => o.op === "Sleep" && sleepDueAt(o.name ?? "", now) === undefined);
  if (badSleep) {
    await failRun(ctx, job, call.fnId, call.event, {
      name: "Error",
      message: `Sleep op "${badSleep.displayName}" has an unreadable time: ${JSON.stringify(badSleep.name)}`,
    });
    return;
  }
  // Inngest refuses a sleep or a wait longer than a year: so does the executor, loudly.
  for (const o of ops) {
    const until = o.op === "Sleep" ? sleepDueAt(o.name ?? "", now)! : o.op === "WaitForEvent" ? waitExpiresAt(o, now) : undefined;
    const tooLong = until === undefined || o.id in call.steps.known ? null : waitTooLong(o, until - now, ctx.limits);
    if (tooLong) {
      await failRun(ctx, job, call.fnId, call.event, tooLong);
      return;
    }
  }
  const only = ops.length === 1 ? ops[0]! : undefined;
  if (only && (only.op === "StepRun" || only.op === "StepFailed")) {
    await q.memoizeAndDiscover(ctx.sql, job, { id: only.id, value: stepResult(ctx, only, call.replyChars), name: only.displayName ?? null, now });
    return;
  }
  const stepError = ops.find((o) => o.op === "StepError");
  await withLease(ctx, job, async (tx) => {
    const runId = job.run_id;
    if (ops.length > 1) await q.markParallel(tx, runId);
    let discover = false;
    for (const o of ops) {
      switch (o.op) {
        case "StepRun":
        case "StepFailed":
          await q.memoize(tx, runId, o.id, stepResult(ctx, o, call.replyChars), o.displayName ?? null);
          discover = true;
          break;
        case "StepNotFound":
          discover = true;
          break;
        case "StepPlanned":
        case "Sleep":
        case "WaitForEvent":
          if ((await q.hasMemo(tx, runId, o.id)).length > 0) discover = true;
          else await schedule(ctx, tx, runId, o, now);
          break;
        case "StepError":
          break;
      }
    }
    if (stepError) {
      // Each step counts its own attempts; the retry targets the step directly.
      const attempt = job.step_id === stepError.id ? job.attempt : 0;
      if (attempt + 1 >= call.max) {
        // The SDK should have said StepFailed; be safe and memoize the failure.
        await q.memoize(tx, runId, stepError.id, { error: cleanError(stepError.error) }, stepError.displayName ?? null);
        discover = true;
      } else {
        const dueAt = retryAt(ctx, attempt, call.retryAfter);
        await q.insertCall(tx, runId, { stepId: stepError.id, attempt: attempt + 1, dueAt, now: ctx.now() });
      }
    }
    if (discover) await q.enqueueDiscovery(tx, runId, ctx.now());
  });
}

/**
 * The memo value of a finished step: its data, or its error as the SDK serialised it. Output over
 * Inngest's limit fails the step instead, as on Inngest (`boundChars`: see outputTooLarge).
 */
export function stepResult(ctx: EngineContext, o: Op, boundChars?: number): unknown {
  const tooLarge = outputTooLarge(o, ctx.limits, boundChars);
  if (tooLarge) return { error: tooLarge };
  return o.op === "StepRun" ? { data: o.data ?? null } : { error: cleanError(o.error) };
}

/** When a WaitForEvent op's wait ends: its timeout (a duration or a date), else a year from now. */
function waitExpiresAt(o: Op, now: number): number {
  const given = o.opts?.timeout;
  const timeout = typeof given === "string" || typeof given === "number" ? String(given) : "";
  const expires = parseDuration(timeout) !== undefined ? now + parseDuration(timeout)! : Date.parse(timeout);
  return Number.isFinite(expires) ? expires : now + 365 * DAY;
}

/**
 * A planned step, a sleep or a wait that has no result yet: its job (and a wait's row). A step
 * planned again after it finished has a result: the call read the memo before that step's result
 * landed (parallel steps finishing together); there is nothing to schedule, but the run needs a
 * call that sees the result, or it would wait for nothing (the caller queues a discovery).
 */
async function schedule(ctx: EngineContext, tx: q.Db, runId: string, o: Op, now: number): Promise<void> {
  if (o.op === "StepPlanned") {
    await q.insertCall(tx, runId, { stepId: o.id, attempt: 0, dueAt: now, now: ctx.now() });
    return;
  }
  if (o.op === "Sleep") {
    await q.insertSleep(tx, runId, o.id, sleepDueAt(o.name ?? "", now)!, now);
    return;
  }
  // Without a readable timeout a wait lasts a year.
  const expiresAt = waitExpiresAt(o, now);
  const expr = typeof o.opts?.if === "string" ? o.opts.if : null;
  const ins = await q.insertWait(tx, { runId, stepId: o.id, eventName: o.name ?? "", expr, expiresAt, now });
  if (ins.length === 1) await q.insertWaitTimeout(tx, runId, o.id, expiresAt, now);
}

/** Fails the run (if we still hold the job's lease) and emits inngest/function.failed. */
async function failRun(ctx: EngineContext, job: Job, fnId: string, event: RunEvent, error: SerializedError): Promise<void> {
  await withLease(ctx, job, (tx) => failRunInTx(ctx, tx, job.run_id, fnId, event, error));
}

/** Fails a running run in `tx` and emits inngest/function.failed with it. */
export async function failRunInTx(ctx: EngineContext, tx: q.Db, runId: string, fnId: string, event: RunEvent, error: SerializedError): Promise<void> {
  const changed = await finishRun(ctx, tx, runId, "failed", { error });
  if (!changed) return;
  ctx.log(`run ${runId} of ${fnId} failed: ${error.name ?? "Error"}: ${error.message}`);
  await ingestInTx(ctx, tx, [
    {
      name: "inngest/function.failed",
      data: { function_id: fnId, run_id: runId, error: cleanError(error), event },
    },
  ]);
}

/** The error a non-2xx reply carries, or one that names the status and the body. */
function errorOf(body: unknown, status: number): SerializedError {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === "string") return cleanError(body);
    if (typeof b.error === "string") return { name: "Error", message: b.error };
  }
  return { name: "Error", message: `the app replied HTTP ${status}: ${String(typeof body === "string" ? body : JSON.stringify(body)).slice(0, 500)}` };
}
