import { serializedError } from "../protocol";
import type { EngineContext } from "./context";
import * as q from "./statements";

/** How a run ends, shared by calls, checkpoints and cancelling events. */

export type SerializedError = { name?: string; message: string; stack?: string };

/** An error as the SDK serialised it, reduced to name, message and stack. */
export function cleanError(e: unknown): SerializedError {
  const p = serializedError.safeParse(e);
  if (!p.success) return { name: "Error", message: typeof e === "string" ? e : JSON.stringify(e) };
  const out: SerializedError = { name: p.data.name ?? "Error", message: p.data.message ?? "" };
  if (p.data.stack) out.stack = p.data.stack;
  return out;
}

/** Ends a running run and drops its jobs, waits and cancellations; false if it was not running. */
export async function finishRun(
  ctx: EngineContext,
  tx: q.Db,
  runId: string,
  status: "completed" | "failed" | "cancelled",
  result: { output?: unknown; error?: unknown },
): Promise<boolean> {
  const r = await q.endRun(tx, runId, { status, output: result.output, error: result.error, now: ctx.now() });
  if (r.length === 0) return false;
  await q.deleteRunJobs(tx, runId);
  await q.deleteRunWaits(tx, runId);
  await q.deleteRunCancels(tx, runId);
  return true;
}
