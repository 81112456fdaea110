import "server-only";
import { availableParallelism } from "node:os";
import { env } from "@/lib/env";
import { WorkerPool, type JobOutcome } from "@/lib/worker-pool";
import { TemplateError, type MergeContext, type MergeTagWarning, type RenderedEmail, type TemplateInput } from "@/lib/email/render";
import { renderResultCodec, type RenderJob, type RenderOutputs, type RenderResult } from "@/lib/email/render-jobs";
import type { TrackingScope } from "@/lib/email/tracking";

/**
 * Where user-written templates are rendered: a pool of worker threads (lib/worker-pool.ts running
 * lib/email/render-worker.ts), so a template that loops for seconds cannot hold up other requests.
 * A preview or test send has one budget for everything it renders; at send time each message has
 * its own. Past its budget a render is stopped and fails with a TemplateError saying so: the
 * editor shows it, a flow send fails that message with the reason on its node.
 */

/** Rendering went past its budget and was stopped. */
export class RenderBudgetError extends TemplateError {
  constructor(what: string, budgetMs: number) {
    super(`${what} took longer than its ${budgetMs} ms budget to render and was stopped: simplify its loops`, "body");
    this.name = "RenderBudgetError";
  }
}

type Pool = WorkerPool<RenderJob, RenderResult>;

export const defaultRenderWorkers = () => Math.max(1, Math.min(4, availableParallelism() - 1));
// One pool per process, on globalThis: Next may load this module more than once (route bundles).
const POOL = Symbol.for("tillit.renderPool");

export function renderPool(): Pool {
  const g = globalThis as { [POOL]?: Pool };
  g[POOL] ??= new WorkerPool<RenderJob, RenderResult>({
    entry: "lib/email/render-worker.ts",
    name: "render-worker",
    // Every core but one, which the request thread keeps for itself (at most 4).
    workers: env().TILLIT_RENDER_WORKERS ?? defaultRenderWorkers(),
    // A batch of 100 messages is about 700 KB of strings back: large enough to make postMessage
    // cheap per message, small enough that one worker does not hoard a burst.
    maxBatch: 100,
    // liquidjs stops itself at the budget; the watchdog terminates the worker only if it does not.
    graceMs: 250,
    // A template that allocates without end kills its worker, not the server.
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 64 },
    codec: renderResultCodec,
  });
  return g[POOL];
}

/** Stops the pool's workers (tests, benchmarks); the next render starts a new pool. */
export async function closeRenderPool(): Promise<void> {
  const g = globalThis as { [POOL]?: Pool };
  const pool = g[POOL];
  g[POOL] = undefined;
  await pool?.close();
}

function unwrap<K extends RenderJob["kind"]>(o: JobOutcome<RenderResult>, what: string, budgetMs: number): RenderOutputs[K] | TemplateError {
  if (!o.ok) {
    if (o.reason === "budget") return new RenderBudgetError(what, budgetMs);
    // The worker died under this render (out of memory): the template's doing, not a reason to retry.
    if (o.reason === "crashed") return new TemplateError(`${what} stopped the renderer (${o.message})`, "body");
    throw new Error(`render-worker: ${o.message}`);
  }
  const r = o.value;
  if (!r.ok) return r.overBudget ? new RenderBudgetError(what, budgetMs) : new TemplateError(r.message, r.field);
  return r.value as RenderOutputs[K];
}

async function one<K extends RenderJob["kind"]>(job: Extract<RenderJob, { kind: K }>, what: string, budgetMs: number): Promise<RenderOutputs[K]> {
  const [o] = await renderPool().run([{ job, budgetMs }]);
  const out = unwrap<K>(o!, what, budgetMs);
  if (out instanceof TemplateError) throw out;
  return out;
}

// Template versions that went past their budget, by id and version: after a few, the rest of
// their messages fail at once, so one runaway template in a large flow cannot occupy the pool.
// Flow sends pass the pinned template version's id and creation time (lib/server/email/flow-send),
// so two versions of one template never share an entry here nor in the compiled-template cache.
const overruns = new Map<string, number>();
const OVERRUNS_BEFORE_FAST_FAIL = 3;
const versionKey = (t: TemplateInput) => (t.id ? `${t.id}:${t.updatedAt?.getTime() ?? 0}` : null);

export type MessageToRender = { template: TemplateInput; ctx: MergeContext; tracking?: TrackingScope };

/** Messages at send time, each within the send budget: a rendered message or the TemplateError that stopped it. */
export async function renderMessages(items: MessageToRender[]): Promise<(RenderedEmail | TemplateError)[]> {
  const budgetMs = env().TILLIT_RENDER_SEND_BUDGET_MS;
  const out = new Array<RenderedEmail | TemplateError | undefined>(items.length);
  const queued: { at: number; job: RenderJob }[] = [];
  items.forEach((m, at) => {
    const key = versionKey(m.template);
    if (key && (overruns.get(key) ?? 0) >= OVERRUNS_BEFORE_FAST_FAIL) {
      out[at] = new TemplateError(`This template took longer than its ${budgetMs} ms budget to render ${OVERRUNS_BEFORE_FAST_FAIL} times; its messages are not rendered until it is edited and its flows are published again`, "body");
    } else queued.push({ at, job: { kind: "email", template: m.template, ctx: m.ctx, tracking: m.tracking } });
  });
  const outcomes = queued.length > 0 ? await renderPool().run(queued.map((q) => ({ job: q.job, budgetMs }))) : [];
  outcomes.forEach((o, i) => {
    const { at } = queued[i]!;
    const r = unwrap<"email">(o, "This message", budgetMs);
    out[at] = r;
    const key = versionKey(items[at]!.template);
    if (r instanceof RenderBudgetError && key) {
      if (overruns.size >= 1000) overruns.clear();
      overruns.set(key, (overruns.get(key) ?? 0) + 1);
    }
  });
  return out as (RenderedEmail | TemplateError)[];
}

/** One message at send time; throws the TemplateError that stopped it. */
export async function renderMessage(m: MessageToRender): Promise<RenderedEmail> {
  const [r] = await renderMessages([m]);
  if (r instanceof TemplateError) throw r;
  return r!;
}

/** A draft for the editor: compiled and rendered within one preview budget, with merge-tag warnings. */
export function renderPreview(template: TemplateInput, ctx: MergeContext, attributes: string[]): Promise<{ rendered: RenderedEmail; warnings: MergeTagWarning[] }> {
  return one<"preview">({ kind: "preview", template, ctx, attributes }, "The preview", env().TILLIT_RENDER_PREVIEW_BUDGET_MS);
}

/** A draft being saved: throws the TemplateError that keeps it from compiling. */
export async function checkTemplate(template: TemplateInput): Promise<void> {
  await one<"check">({ kind: "check", template }, "The template", env().TILLIT_RENDER_PREVIEW_BUDGET_MS);
}

/** One Liquid string at send time (a webhook body), within the send budget. */
export function renderLiquidText(source: string, ctx: MergeContext, escape: boolean): Promise<string> {
  return one<"text">({ kind: "text", source, ctx, escape }, "The body", env().TILLIT_RENDER_SEND_BUDGET_MS);
}
