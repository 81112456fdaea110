import { compiledTemplate, compileTemplate, renderCompiled, renderText, TemplateError, unknownMergeTags, type MergeContext, type MergeTagWarning, type RenderedEmail, type TemplateInput } from "./render";
import { applyTracking, type TrackingScope } from "./tracking";
import type { ResultCodec, WorkerResult } from "../worker-pool";

/**
 * The work the render pool's workers do (lib/email/render-worker.ts), as plain data in and out:
 * every render of a user-written template — a message at send time, a preview or test send, the
 * check when a template is saved, a webhook body — is one of these jobs. Pure apart from the
 * compiled-template cache; runnable in any thread (the unit tests call it directly).
 */

export type RenderJob =
  /** One message at send time; `tracking` rewrites its links too, so that CPU stays off the request thread. */
  | { kind: "email"; template: TemplateInput; ctx: MergeContext; tracking?: TrackingScope }
  /** A draft, compiled and rendered for one contact, with the merge tags likely to render empty. */
  | { kind: "preview"; template: TemplateInput; ctx: MergeContext; attributes: string[] }
  /** A draft being saved: it must compile. */
  | { kind: "check"; template: TemplateInput }
  /** One Liquid string, e.g. a webhook body. */
  | { kind: "text"; source: string; ctx: MergeContext; escape: boolean };

export type RenderOutputs = {
  email: RenderedEmail;
  preview: { rendered: RenderedEmail; warnings: MergeTagWarning[] };
  check: true;
  text: string;
};

export type RenderFailure = { ok: false; field: TemplateError["field"]; message: string; overBudget: boolean };
export type RenderResult = { ok: true; value: RenderOutputs[keyof RenderOutputs] } | RenderFailure;

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!;

/** Runs one job; `deadline` (performance.now() time) is liquidjs' own limit, the pool's watchdog the hard one. */
export async function runRenderJob(job: RenderJob, deadline?: number): Promise<RenderResult> {
  try {
    switch (job.kind) {
      case "email": {
        const rendered = renderCompiled(await compiledTemplate(job.template), job.ctx, { deadline });
        return { ok: true, value: job.tracking ? { ...rendered, html: applyTracking(rendered.html, job.tracking) } : rendered };
      }
      case "preview": {
        const compiled = await compileTemplate(job.template);
        const rendered = renderCompiled(compiled, job.ctx, { deadline });
        return { ok: true, value: { rendered, warnings: unknownMergeTags(compiled.sources, { attributes: job.attributes }) } };
      }
      case "check":
        await compileTemplate(job.template);
        return { ok: true, value: true };
      case "text":
        return { ok: true, value: renderText(job.source, job.ctx, job.escape, { deadline }) };
    }
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, field: err.field, message: err.message, overBudget: false };
    // liquidjs stopped itself at the deadline: the same as the pool stopping the worker.
    return { ok: false, field: "body", message: firstLine(err), overBudget: /template render limit exceeded/.test(firstLine(err)) };
  }
}

const ABOVE_LATIN1 = /[^\x00-\xff]/;
type Packed = { shells: (WorkerResult<RenderResult> | 0)[]; bytes?: SharedArrayBuffer; lengths: number[] };
const isMessage = (r: WorkerResult<RenderResult>): RenderedEmail | null => {
  const v = r.ok && r.value.ok ? r.value.value : null;
  return v !== null && typeof v === "object" && "html" in v ? v : null;
};
// A worker keeps its buffer from batch to batch up to this size; one grown past it for a batch of
// very large messages is let go afterwards.
const KEEP_BYTES = 4 << 20;

/**
 * Rendered messages cross back from the worker as Latin-1 bytes (the subject, HTML and text of
 * each, which compileTemplate keeps one-byte where it can): the sending thread turns them into
 * strings in about a tenth of the time deserialising a clone of the same strings takes. A message
 * with a character above U+00FF, and every other answer, is cloned.
 *
 * Each message is written into the worker's buffer as soon as it is rendered, so its strings die
 * young in the worker instead of being promoted while the batch finishes; the buffer is shared
 * memory the worker reuses for every batch (the pool decodes an answer before it sends that
 * worker the next batch: lib/worker-pool.ts), so no batch allocates, faults in or frees a
 * megabyte of fresh memory on either side.
 */
export const renderResultCodec: ResultCodec<RenderResult> = {
  encoder() {
    let shared = new SharedArrayBuffer(1 << 20);
    let bytes = Buffer.from(shared);
    let shells: Packed["shells"] = [];
    let lengths: number[] = [];
    let at = 0;
    return {
      add(r) {
        const v = isMessage(r);
        // The regex costs next to nothing on one-byte strings: V8 knows they hold nothing above U+00FF.
        if (!v || ABOVE_LATIN1.test(v.subject) || ABOVE_LATIN1.test(v.html) || ABOVE_LATIN1.test(v.text)) {
          shells.push(r);
          return;
        }
        const need = at + v.subject.length + v.html.length + v.text.length;
        if (need > bytes.length) {
          shared = new SharedArrayBuffer(Math.max(need, bytes.length * 2));
          const grown = Buffer.from(shared);
          bytes.copy(grown, 0, 0, at);
          bytes = grown;
        }
        for (const x of [v.subject, v.html, v.text]) {
          at += bytes.write(x, at, "latin1");
          lengths.push(x.length);
        }
        shells.push(0);
      },
      finish() {
        const data: Packed = { shells, lengths, bytes: at > 0 ? shared : undefined };
        shells = [];
        lengths = [];
        at = 0;
        if (bytes.length > KEEP_BYTES) {
          shared = new SharedArrayBuffer(1 << 20);
          bytes = Buffer.from(shared);
        }
        return { data };
      },
    };
  },
  decode(data) {
    const { shells, bytes, lengths } = data as Packed;
    const buf = bytes ? Buffer.from(bytes) : Buffer.alloc(0);
    let at = 0;
    let k = 0;
    const next = () => buf.toString("latin1", at, (at += lengths[k++]!));
    return shells.map((r) => (r === 0 ? { ok: true as const, value: { ok: true as const, value: { subject: next(), html: next(), text: next() } } } : r));
  },
};
