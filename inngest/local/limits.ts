import type { IncomingEvent, Op } from "./protocol";

/**
 * Inngest's limits, enforced by the executor so that what runs here also runs on Inngest
 * (docs/inngest-protocol.md#limits). The defaults are Inngest's own: its published limits and the
 * constants of its server (noted beside each); the SDK (4.24.0) checks none of them itself.
 */
export type ExecutorLimits = {
  /** Longest sleep and waitForEvent timeout: one year (Inngest's published limit; 7 days on its free plan). */
  maxSleepMs: number;
  /** Largest event taken by POST /e/:key, as JSON: 512 KiB (Inngest's default; 3 MiB is the most any plan allows). */
  maxEventBytes: number;
  /** Largest step output, as JSON: 4 MB (`MaxStepOutputSize` in Inngest's server). */
  maxStepOutputBytes: number;
  /** Most steps one run may hold (finished, planned, sleeping or waiting): 1,000 (Inngest's default). */
  maxStepsPerRun: number;
};

export const INNGEST_LIMITS: ExecutorLimits = {
  maxSleepMs: 365 * 86_400_000,
  maxEventBytes: 512 * 1024,
  maxStepOutputBytes: 4 * 1024 * 1024,
  maxStepsPerRun: 1000,
};

export const limitsOf = (given: Partial<ExecutorLimits> | undefined): ExecutorLimits => ({ ...INNGEST_LIMITS, ...given });

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v ?? null));

/** Sizes in the words Inngest's limits use (512 KiB, 4 MB). */
function size(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Why a batch of events is refused: every event over the size limit, by its index; null if none. */
export function oversizedEvents(events: IncomingEvent[], limits: ExecutorLimits): string | null {
  const over: string[] = [];
  events.forEach((e, i) => {
    const bytes = jsonBytes(e);
    if (bytes > limits.maxEventBytes) over.push(`event ${i} ("${e.name}") is ${bytes} bytes`);
  });
  if (over.length === 0) return null;
  return `${over.join("; ")}: Inngest accepts at most ${size(limits.maxEventBytes)} (${limits.maxEventBytes} bytes) per event`;
}

/**
 * A step's output over the limit, as the error its step fails with (the function may catch it, as
 * on Inngest); null when it fits. `boundChars` is the length of the text the output came in, when
 * known: output that fits in it three times over (UTF-8 bytes per UTF-16 unit) needs no measuring.
 */
export function outputTooLarge(o: Op, limits: ExecutorLimits, boundChars?: number): { name: string; message: string } | null {
  if (o.op !== "StepRun") return null;
  if (boundChars !== undefined && boundChars * 3 <= limits.maxStepOutputBytes) return null;
  const bytes = jsonBytes(o.data);
  if (bytes <= limits.maxStepOutputBytes) return null;
  return {
    name: "StepOutputTooLargeError",
    message: `step "${o.displayName ?? o.id}" returned ${bytes} bytes; Inngest keeps at most ${size(limits.maxStepOutputBytes)} (${limits.maxStepOutputBytes} bytes) per step output`,
  };
}

/** The error a run fails with when a reply or checkpoint would take it past the step limit. */
export function tooManySteps(count: number, limits: ExecutorLimits): { name: string; message: string } {
  return {
    name: "StepLimitError",
    message: `the run reached ${count} steps; Inngest allows at most ${limits.maxStepsPerRun} steps per run`,
  };
}

/** A sleep or waitForEvent timeout past the limit, as the run's error; null when it is within it. */
export function waitTooLong(o: Op, ms: number, limits: ExecutorLimits): { name: string; message: string } | null {
  if (ms <= limits.maxSleepMs) return null;
  const what = o.op === "Sleep" ? "sleeps" : "waits for an event";
  const days = (n: number) => `${Math.round((n / 86_400_000) * 100) / 100} days`;
  return {
    name: "SleepTooLongError",
    message: `step "${o.displayName ?? o.id}" ${what} for ${days(ms)}; Inngest allows at most ${days(limits.maxSleepMs)} (one year) per sleep or wait`,
  };
}
