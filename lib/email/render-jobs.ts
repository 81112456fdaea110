import { compiledTemplate, compileTemplate, renderCompiled, renderText, TemplateError, unknownMergeTags, type MergeContext, type MergeTagWarning, type RenderedEmail, type TemplateInput } from "./render";
import { applyTracking, type TrackingScope } from "./tracking";

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
