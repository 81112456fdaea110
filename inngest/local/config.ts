import { z } from "zod";
import { checkExpression } from "./cel";
import { parseDuration } from "./duration";
import { parseCron } from "./cron";

/**
 * Function configs as the SDK reports them at sync (docs/inngest-protocol.md#function-configs).
 * Every key this executor does not implement is refused by name, so a flow never silently runs
 * without, say, its debounce.
 */

const trigger = z.union([
  z.strictObject({ event: z.string().min(1), expression: z.string().optional() }),
  z.strictObject({ cron: z.string().min(1), jitter: z.string().optional() }),
]);

const concurrencyEntry = z.strictObject({
  limit: z.number().int().min(0),
  key: z.string().optional(),
  scope: z.enum(["fn", "env", "account"]).optional(),
});

const functionConfig = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  triggers: z.array(trigger).min(1).max(10),
  steps: z.record(
    z.string(),
    z.strictObject({
      id: z.string(),
      name: z.string().optional(),
      runtime: z.strictObject({ type: z.literal("http"), url: z.url() }),
      retries: z.strictObject({ attempts: z.number().int().min(0).max(30) }).optional(),
    }),
  ),
  idempotency: z.string().optional(),
  concurrency: z.union([z.number().int().min(0), concurrencyEntry, z.array(concurrencyEntry).max(2)]).optional(),
  cancel: z
    .array(z.strictObject({ event: z.string().min(1), if: z.string().optional(), timeout: z.string().optional() }))
    .max(5)
    .optional(),
  throttle: z
    .strictObject({
      limit: z.number().int().min(1),
      period: z.string(),
      key: z.string().optional(),
      burst: z.number().int().min(0).optional(),
    })
    .optional(),
});

export type FunctionConfig = z.infer<typeof functionConfig>;

export type ConcurrencyRule = { limit: number; key?: string; scope: "fn" | "env" | "account" };

export class UnsupportedConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`local Inngest executor refuses this app:\n  - ${problems.join("\n  - ")}`);
    this.name = "UnsupportedConfigError";
  }
}

const KNOWN_KEYS = new Set(Object.keys(functionConfig.shape));

/** Validates every function of a sync; throws one error naming everything unsupported. */
export function parseFunctionConfigs(raw: unknown): FunctionConfig[] {
  if (!Array.isArray(raw)) throw new UnsupportedConfigError(["`functions` is not an array"]);
  const problems: string[] = [];
  const out: FunctionConfig[] = [];
  for (const f of raw as unknown[]) {
    const id = typeof f === "object" && f !== null && typeof (f as { id?: unknown }).id === "string" ? (f as { id: string }).id : "?";
    if (typeof f === "object" && f !== null) {
      for (const k of Object.keys(f)) {
        if (!KNOWN_KEYS.has(k)) problems.push(`function "${id}": option \`${k}\` is not supported by the local executor`);
      }
    }
    if (problems.some((p) => p.startsWith(`function "${id}":`))) continue;
    const r = functionConfig.safeParse(f);
    if (!r.success) {
      for (const issue of r.error.issues)
        problems.push(`function "${id}": ${issue.path.join(".") || "config"}: ${issue.message}`);
      continue;
    }
    problems.push(...semanticProblems(r.data));
    out.push(r.data);
  }
  if (problems.length) throw new UnsupportedConfigError(problems);
  return out;
}

function semanticProblems(f: FunctionConfig): string[] {
  const p: string[] = [];
  const expr = (where: string, e: string | undefined) => {
    if (e === undefined) return;
    try {
      checkExpression(e);
    } catch (err) {
      p.push(`function "${f.id}": ${where} expression ${JSON.stringify(e)} does not parse: ${(err as Error).message.split("\n")[0]}`);
    }
  };
  for (const t of f.triggers) {
    if ("event" in t) expr("trigger", t.expression);
    else {
      if (t.jitter) p.push(`function "${f.id}": cron \`jitter\` is not supported by the local executor`);
      try {
        parseCron(t.cron);
      } catch (err) {
        p.push(`function "${f.id}": cron ${JSON.stringify(t.cron)}: ${(err as Error).message}`);
      }
    }
  }
  expr("idempotency", f.idempotency);
  for (const c of concurrencyRules(f)) {
    expr("concurrency key", c.key);
    if (c.scope === "account") p.push(`function "${f.id}": concurrency scope "account" is not supported by the local executor`);
  }
  for (const c of f.cancel ?? []) {
    expr("cancelOn", c.if);
    if (c.timeout !== undefined && parseDuration(c.timeout) === undefined && Number.isNaN(Date.parse(c.timeout)))
      p.push(`function "${f.id}": cancelOn timeout ${JSON.stringify(c.timeout)} is not a duration`);
  }
  if (f.throttle) {
    expr("throttle key", f.throttle.key);
    if (parseDuration(f.throttle.period) === undefined)
      p.push(`function "${f.id}": throttle period ${JSON.stringify(f.throttle.period)} is not a duration`);
  }
  if (Object.keys(f.steps).length !== 1 || !f.steps.step)
    p.push(`function "${f.id}": expected exactly one step named "step" (got ${Object.keys(f.steps).join(", ")})`);
  return p;
}

export function concurrencyRules(f: FunctionConfig): ConcurrencyRule[] {
  if (f.concurrency === undefined) return [];
  if (typeof f.concurrency === "number") return f.concurrency > 0 ? [{ limit: f.concurrency, scope: "fn" }] : [];
  // One rule may come as an object rather than a one-element list.
  const rules = Array.isArray(f.concurrency) ? f.concurrency : [f.concurrency];
  return rules.filter((c) => c.limit > 0).map((c) => ({ limit: c.limit, key: c.key, scope: c.scope ?? "fn" }));
}

/** Retries as configured (the `attempts` field carries the retry count); Inngest's default is 4. */
export function maxAttempts(f: FunctionConfig): number {
  return (f.steps.step?.retries?.attempts ?? 4) + 1;
}

export function callUrl(f: FunctionConfig): string {
  return f.steps.step!.runtime.url;
}
