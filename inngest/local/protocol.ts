import { z } from "zod";

/** Shapes crossing the executor's boundaries (docs/inngest-protocol.md). */

export const incomingEvent = z.looseObject({
  name: z.string().min(1, "event name is empty"),
  data: z.record(z.string(), z.unknown()).nullish(),
  id: z.string().nullish(),
  ts: z.number().nullish(),
  v: z.string().nullish(),
});
export const ingestBody = z.array(incomingEvent).max(5000, "at most 5000 events per request");
export type IncomingEvent = z.infer<typeof incomingEvent>;

/** The event as stored and as sent to the SDK. */
export type RunEvent = { id: string; name: string; data: Record<string, unknown>; ts: number; v?: string };

export const op = z.looseObject({
  id: z.string().min(1),
  op: z.string().min(1),
  name: z.string().optional(),
  displayName: z.string().optional(),
  opts: z.record(z.string(), z.unknown()).nullish(),
  data: z.unknown().optional(),
  error: z.unknown().optional(),
  userland: z.looseObject({ id: z.string(), index: z.number().optional() }).optional(),
});
export const opsBody = z.array(op);
export type Op = z.infer<typeof op>;

export const syncReply = z.looseObject({
  app_id: z.string().optional(),
  appName: z.string().optional(),
  url: z.string().optional(),
  functions: z.unknown(),
});

export const registerBody = z.looseObject({
  url: z.string(),
  appName: z.string().optional(),
  functions: z.unknown(),
});

export const serializedError = z.looseObject({
  name: z.string().optional(),
  message: z.string().optional(),
  stack: z.string().optional(),
});

/**
 * `POST /v1/checkpoint/{runId}/async` (docs/inngest-protocol.md#the-checkpoint-endpoint). The
 * SDK's step objects carry internal fields besides the op's; only the op's own fields are read.
 */
export const checkpointBody = z.looseObject({
  run_id: z.string().min(1),
  fn_id: z.string().min(1),
  qi_id: z.string().min(1),
  generation_id: z.number().int().nullish(),
  request_id: z.string().nullish(),
  request_started_at: z.number().nullish(),
  steps: z.array(op),
  ts: z.number().nullish(),
});
export type CheckpointBody = z.infer<typeof checkpointBody>;

export const clockAdvanceBody = z.strictObject({ ms: z.number().min(0) });

export type CallBody = {
  event: RunEvent;
  events: RunEvent[];
  steps: Record<string, unknown>;
  ctx: {
    run_id: string;
    attempt: number;
    max_attempts: number;
    disable_immediate_execution: boolean;
    use_api: false;
    stack: { stack: string[]; current: number };
    /**
     * Both present switch the SDK to async checkpointing (docs/inngest-protocol.md#checkpointing);
     * both absent: one op per call.
     */
    fn_id?: string;
    qi_id?: string;
  };
  version: 2;
};
