import { outputTooLarge, tooManySteps } from "../limits";
import type { CheckpointBody } from "../protocol";
import type { EngineContext } from "./context";
import { failRunInTx, stepResult } from "./execute";
import { finishRun } from "./runs";
import * as q from "./statements";

type CheckpointWrite = { qi: string; run_id: string; gen: number; steps: { step_id: string; value: unknown; name: string | null }[] };

type CheckpointResult = { status: 200 | 400 | 409; error?: string };

const STALE: CheckpointResult = { status: 409, error: "stale dispatch: the call's lease is gone" };

/**
 * `POST /v1/checkpoint/{runId}/async` (docs/inngest-protocol.md#the-checkpoint-endpoint): steps
 * the SDK ran inside a call that is still in flight. Each is persisted as if it had come back in
 * a 206, before the SDK is told to go on, so a crash after this point never repeats them.
 * Accepted only while the call's job is still leased at the generation the call was sent with:
 * 409 otherwise, which the SDK turns into a StaleDispatchError that stops the function — a
 * re-claimed job, a cancelled or finished run, or a call whose executor died and was replaced.
 * Idempotent by step id, since the SDK retries.
 */
export class Checkpoints {
  private queue: { item: CheckpointWrite; resolve: (ok: boolean) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly ctx: EngineContext) {}

  async checkpoint(runId: string, body: CheckpointBody): Promise<CheckpointResult> {
    const result = await this.apply(runId, body);
    this.ctx.opts.checkpointTap?.({ runId, body, status: result.status });
    return result;
  }

  private async apply(runId: string, body: CheckpointBody): Promise<CheckpointResult> {
    if (body.run_id !== runId) return { status: 400, error: `run_id ${body.run_id} does not match the path's ${runId}` };
    // Anything else would need the executor's handling of a 206; refusing makes the SDK fall back
    // to returning these ops in its reply, where they are handled or failed loudly
    // (docs/inngest-protocol.md#the-checkpoint-endpoint).
    const other = body.steps.find((o) => o.op !== "StepRun" && o.op !== "StepFailed" && o.op !== "RunComplete");
    if (other) return { status: 400, error: `op ${other.op} cannot be checkpointed here; return it in the call's reply` };
    if (!/^\d{1,18}$/.test(body.qi_id)) return { status: 409, error: "unknown queue item" };
    const generation = body.generation_id ?? -1;
    const rows = body.steps
      .filter((o) => o.op !== "RunComplete")
      .map((o) => ({ step_id: o.id, value: stepResult(this.ctx, o), name: o.displayName ?? null }));
    const overLimit = this.countSteps(body.qi_id, rows);
    if (overLimit !== null) {
      // Past Inngest's step limit: the run fails, and the 409 stops the SDK's call.
      return this.ctx.sql.begin(async (tx) => {
        if ((await q.lockLeasedJob(tx, body.qi_id, runId, generation)).length === 0) return STALE;
        const run = (await q.readRunEvent(tx, runId))[0];
        if (run) await failRunInTx(this.ctx, tx, runId, run.fn_id, run.event, tooManySteps(overLimit, this.ctx.limits));
        return { status: 409 as const, error: tooManySteps(overLimit, this.ctx.limits).message };
      });
    }
    const complete = body.steps.find((o) => o.op === "RunComplete");
    // A step whose output was over Inngest's limit is memoized as failed; the SDK, which carries
    // on with the output it has, must be stopped: the 409 ends this call and the executor calls
    // again from the memo, where the step has failed (docs/inngest-protocol.md#limits).
    const refused = body.steps.find((o) => outputTooLarge(o, this.ctx.limits) !== null);
    if (!complete || refused) {
      const ok = await this.memoize({ qi: body.qi_id, run_id: runId, gen: generation, steps: rows });
      if (ok && refused) return { status: 409, error: `step "${refused.displayName ?? refused.id}" returned more than Inngest keeps per step output` };
      return ok ? { status: 200 } : STALE;
    }
    return this.ctx.sql.begin(async (tx) => {
      if ((await q.lockLeasedJob(tx, body.qi_id, runId, generation)).length === 0) return STALE;
      for (const r of rows) await q.memoize(tx, runId, r.step_id, r.value, r.name);
      // Also deletes the in-flight job, so the call's own reply, when it comes, is discarded.
      await finishRun(this.ctx, tx, runId, "completed", { output: complete.data ?? null });
      return { status: 200 as const };
    });
  }

  /**
   * The run's step count should these steps be memoized, when it is past Inngest's step limit; null
   * when within it. Counted for calls this process sent (ctx.callSteps); a checkpoint of another
   * executor's call is counted when that call's reply comes back.
   */
  private countSteps(qi: string, rows: { step_id: string }[]): number | null {
    const call = this.ctx.callSteps.get(qi);
    if (!call) return null;
    for (const r of rows) if (!(r.step_id in call.known)) call.extra.add(r.step_id);
    const count = call.knownCount + call.extra.size;
    return count > this.ctx.limits.maxStepsPerRun ? count : null;
  }

  /**
   * The hot path of checkpointing: check the call's lease and memoize its steps. Checkpoints of
   * concurrent calls are written together (group commit): while one statement is in flight, the
   * next ones queue and go as one statement when it returns, so the statements per step fall
   * as load rises. That statement never waits for a row lock (another transaction deleting or
   * renewing one of its jobs): it fails at once, and its checkpoints are then written one by one
   * beside the queue, as when it fails for any other reason. So one bad value cannot fail the
   * others, a locked job holds up only its own checkpoint, and a group holding some jobs cannot
   * deadlock with a transaction holding others.
   */
  private memoize(item: CheckpointWrite): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 100);
        const accepted = await this.write(
          batch.map((b) => b.item),
          false,
        ).catch(() => undefined);
        if (accepted) {
          batch.forEach((b, k) => b.resolve(accepted.has(k)));
          continue;
        }
        // Each on its own, waiting for locks as long as it must, without holding up the queue.
        for (const b of batch)
          void this.write([b.item], true).then(
            (one) => b.resolve(one.has(0)),
            (err: unknown) => b.reject(err),
          );
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The positions of `items` whose call still holds its lease, their steps memoized (q.writeCheckpoints). */
  private async write(items: CheckpointWrite[], waitForLocks: boolean): Promise<Set<number>> {
    const rows = await q.writeCheckpoints(this.ctx.sql, JSON.stringify(items.map((it, k) => ({ k, ...it }))), waitForLocks);
    return new Set(rows.map((r) => r.k));
  }
}
