import type { Sql } from "@/db/client";
import type { Clock } from "@/lib/clock";
import type { FunctionConfig } from "../config";
import { parseCron } from "../cron";
import type { ExecutorLimits } from "../limits";
import type { CallBody, RunEvent } from "../protocol";

/** The shapes and the one shared context of the executor's modules (docs/runtime.md#the-local-executors-modules). */

export const DAY = 86_400_000;

export type CallTap = (exchange: {
  url: string;
  request: CallBody;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}) => void;

export type CheckpointTap = (exchange: { runId: string; body: unknown; status: number }) => void;

export type EngineOptions = {
  sql: Sql;
  clock: Clock;
  workers: number;
  leaseMs: number;
  /** Delay before retry number `attempt + 1`; default: Inngest's 15 s…2 h table plus up to 30 s jitter. */
  backoff?: (attempt: number) => number;
  callTimeoutMs?: number;
  /** Observes every call exchange (tests record protocol transcripts with it). */
  tap?: CallTap;
  /**
   * Send ctx.fn_id and ctx.qi_id so that the SDK may run several steps in one call and report them
   * to /v1/checkpoint (docs/inngest-protocol.md#checkpointing); default true. Off: one op per call
   * (docs/inngest-protocol.md#step-opcodes).
   */
  checkpointing?: boolean;
  /** Observes every checkpoint request and the status it was answered with. */
  checkpointTap?: CheckpointTap;
  /** Inngest's limits to enforce (docs/inngest-protocol.md#limits); default: Inngest's own (INNGEST_LIMITS). */
  limits?: Partial<ExecutorLimits>;
  /** Signs every call into the app (X-Inngest-Signature), as Inngest does; the SDK verifies it. */
  signingKey: string;
  log?: (line: string) => void;
};

/** A function this executor serves: its config, the app that serves it and its parsed crons. */
export type Fn = { config: FunctionConfig; appUrl: string; cron: ReturnType<typeof parseCron>[] };

export function toFn(config: FunctionConfig, appUrl: string): Fn {
  return { config, appUrl, cron: config.triggers.flatMap((t) => ("cron" in t ? [parseCron(t.cron)] : [])) };
}

/** A call's step count: the memo it was sent with, and the new step ids checkpointed since. */
export type CallSteps = { known: Record<string, unknown>; knownCount: number; extra: Set<string> };

/** The run as a claim read it: its function, event, status, parallel mode and memo (step id, value) in order. */
export type RunSnapshot = { fn_id: string; event: RunEvent; status: string; die: boolean; memo: [string, unknown][] };

export type Job = {
  id: string;
  run_id: string;
  kind: "call" | "sleep" | "wait_timeout";
  step_id: string | null;
  attempt: number;
  lease_token: string;
  /** Which claim of this job we hold; a checkpoint naming an older one is stale. */
  generation: number;
  /** The run as the claim read it, when that read could not be stale. */
  run?: RunSnapshot;
};

/**
 * What the modules share, passed to each explicitly. Everything else is owned by one module: the
 * loop's in-flight jobs and wake-ups (loop.ts), the checkpoint queue (checkpoint.ts), the vacuum
 * state (maintenance.ts).
 */
export type EngineContext = {
  readonly sql: Sql;
  readonly opts: EngineOptions;
  readonly log: (line: string) => void;
  /** The functions served, by id: loaded from the database at start, replaced per app by each sync. */
  readonly fns: Map<string, Fn>;
  /**
   * Apps synced by this process (not the functions it loaded from the database at start): a
   * restarted executor has none until the app answers its sync again. Id → count and when.
   */
  readonly synced: Map<string, { functions: number; syncedAt: string }>;
  /** The next cron fire time as last read and when (real time) it was read; a sync resets it. */
  readonly cron: { nextAt: number; checkedAt: number };
  /** The limits enforced: the options' over Inngest's defaults. */
  readonly limits: ExecutorLimits;
  /**
   * The calls in flight from this process, by job id: the steps the run had when the call went out
   * and those checkpointed since, so a checkpoint can be held to the step limit without a query.
   */
  readonly callSteps: Map<string, CallSteps>;
  /** The executor's clock in whole milliseconds. */
  now(): number;
  /** New work may be due: the claim loop looks at once. */
  wake(): void;
};
