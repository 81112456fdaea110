import { render as renderReact } from "@react-email/render";
import type { Liquid, Template } from "liquidjs";
import { createElement } from "react";
import { z } from "zod";
import { EmailLayout } from "./layout";
import { htmlEngine, refusedFileTag, textEngine } from "./liquid";
import { compilePlan, renderPlan, type LiquidPlan } from "./liquid-plan";
import { markupToText, parseMarkup } from "./markup";

/**
 * Templates: Liquid merge tags (liquidjs) inside a React Email layout.
 *
 * The layout is rendered ONCE per template version, with each Liquid tag swapped for an inert
 * placeholder while React renders and put back afterwards; the result is parsed by liquidjs once
 * and cached. Sending a message is then one `renderSync` per part: no React, no re-parse.
 *
 * HTML output is HTML-escaped by default (a first name of `<script>` arrives as text); the
 * subject and the text part are not escaped, since they are not HTML.
 */

/** What the templates table's body holds. `markup` is what the editor writes; `html`/`text` are for templates written by hand. */
export const templateBodySchema = z
  .object({ markup: z.string().optional(), html: z.string().optional(), text: z.string().optional() })
  .loose()
  .catch({});
export type TemplateBody = z.infer<typeof templateBodySchema>;

export type MergeContext = {
  contact: Record<string, unknown>;
  workspace: Record<string, unknown>;
  trigger: Record<string, unknown>;
  unsubscribe_url: string;
  /** The message's "view in browser" page (lib/email/view-link.ts); empty where the message has none. */
  view_url?: string;
  /** A re-permission mail's confirmation link (docs/forms-and-consent.md#re-permission); absent elsewhere. */
  confirm_url?: string;
};

const LIQUID = /\{\{-?[\s\S]*?-?\}\}|\{%-?[\s\S]*?-?%\}/g;

/** Swaps Liquid tags for alphanumeric placeholders React leaves alone; `restore` puts them back. */
function shelter(source: string, bag: string[]): string {
  return source.replace(LIQUID, (m) => {
    bag.push(m);
    return `zqliq${bag.length - 1}qz`;
  });
}
/**
 * HTML as 7-bit ASCII: every other character becomes a numeric character reference, which reads
 * the same in every mail client. It also keeps the hand-off cheap: one character above U+00FF
 * (React Email's preheader spacers, an emoji) makes the whole JSON body of a batch a two-byte
 * string, which the HTTP client then checks and encodes at half the speed.
 */
const HAS_NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII = /[^\x00-\x7f]/gu;
export const asciiHtml = (html: string) => compactString(HAS_NON_ASCII.test(html) ? html.replace(NON_ASCII, (c) => `&#${c.codePointAt(0)};`) : html);

const ABOVE_LATIN1 = /[^\x00-\xff]/;
/**
 * The same text in V8's one-byte representation where every character allows it. A string built
 * from a two-byte one (a replace on React's output, which had U+200C in it) stays two-byte even
 * when nothing above U+00FF is left, and a two-byte JSON body is checked and encoded by the HTTP
 * client at about half the speed. Costs one copy; a string with a character above U+00FF is kept.
 */
export const compactString = (s: string) => (ABOVE_LATIN1.test(s) ? s : Buffer.from(s, "latin1").toString("latin1"));

const restore = (html: string, bag: string[]) => html.replace(/zqliq(\d+)qz/g, (_m, i: string) => bag[Number(i)] ?? "");

export type TemplateInput = {
  id?: string;
  /** Version stamp: a changed template is compiled again. */
  updatedAt?: Date;
  subject: string;
  preheader?: string;
  body: unknown;
  class: "marketing" | "transactional";
};

export type CompiledTemplate = {
  class: "marketing" | "transactional";
  subject: Template[];
  html: Template[];
  text: Template[];
  /** Fast-path plans for templates made of text and simple output tags (null: liquidjs only). */
  plans: { subject: LiquidPlan | null; html: LiquidPlan | null; text: LiquidPlan | null };
  /** The Liquid sources (for static analysis: unknown merge tags). */
  sources: { subject: string; preheader: string; body: string };
};

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly field: "subject" | "preheader" | "body",
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

const FOOTER = { unsubscribeUrl: "{{ unsubscribe_url }}", postalAddress: "{{ workspace.postal_address }}", workspaceName: "{{ workspace.name }}" };

function parseWith(engine: Liquid, source: string, field: TemplateError["field"]): Template[] {
  try {
    return engine.parse(source);
  } catch (err) {
    throw new TemplateError(`${field}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, field);
  }
}

/** Compiles one template version: the layout through React Email once, then liquidjs parses. */
export async function compileTemplate(t: TemplateInput): Promise<CompiledTemplate> {
  const body = templateBodySchema.parse(t.body);
  const preheader = t.preheader ?? "";
  const marketing = t.class === "marketing";
  // Validate the author's Liquid on its own first, so an error names the field it is in.
  const subject = parseWith(textEngine, t.subject, "subject");
  parseWith(textEngine, preheader, "preheader");
  const bodySource = body.markup ?? body.html ?? body.text ?? "";
  parseWith(textEngine, bodySource, "body");

  const bag: string[] = [];
  const content =
    body.markup !== undefined
      ? { blocks: parseMarkup(shelter(body.markup, bag)) }
      : body.html !== undefined
        ? { html: shelter(body.html, bag) }
        : { blocks: parseMarkup(shelter(body.text ?? "", bag)) };
  const element = createElement(EmailLayout, {
    preheader: shelter(preheader, bag),
    content,
    marketing,
    footer: { unsubscribeUrl: shelter(FOOTER.unsubscribeUrl, bag), postalAddress: shelter(FOOTER.postalAddress, bag), workspaceName: shelter(FOOTER.workspaceName, bag) },
  });
  // Sheltered Liquid is put back only after the ASCII pass, so a literal in a tag stays as written.
  const html = restore(asciiHtml(await renderReact(element)), bag);

  let text: string;
  if (body.markup !== undefined) {
    const textBag: string[] = [];
    text = restore(markupToText(parseMarkup(shelter(body.markup, textBag))), textBag);
  }
  else if (body.text !== undefined) text = body.text;
  else text = htmlFragmentToText(body.html ?? "");
  if (marketing) text += `\n\n--\nYou receive this because you subscribed to ${FOOTER.workspaceName}.\nUnsubscribe: ${FOOTER.unsubscribeUrl}\n${FOOTER.postalAddress}`;

  return {
    class: t.class,
    subject,
    html: parseWith(htmlEngine, html, "body"),
    text: parseWith(textEngine, text, "body"),
    plans: {
      subject: compilePlan(compactString(t.subject), { escape: false }),
      html: compilePlan(compactString(html), { escape: true }),
      text: compilePlan(compactString(text), { escape: false }),
    },
    sources: { subject: t.subject, preheader, body: bodySource },
  };
}

/** A readable text part for templates written as an HTML fragment. */
function htmlFragmentToText(html: string): string {
  return html
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_m, href: string, label: string) => `${label} (${href})`)
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, "\n\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

// Compiled versions, keyed by template id and version; bounded so a long-lived process stays small.
const cache = new Map<string, Promise<CompiledTemplate>>();
const CACHE_MAX = 500;

/** compileTemplate, cached per template version (id + updatedAt); uncached without an id. */
export function compiledTemplate(t: TemplateInput): Promise<CompiledTemplate> {
  if (!t.id) return compileTemplate(t);
  const key = `${t.id}:${t.updatedAt?.getTime() ?? 0}:${t.class}`;
  let hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  hit = compileTemplate(t);
  hit.catch(() => cache.delete(key));
  cache.set(key, hit);
  while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return hit;
}

export type RenderedEmail = { subject: string; html: string; text: string };

/** liquidjs' own limit on a render's time, set from a deadline (performance.now() time). */
const limitBy = (deadline: number | undefined) => (deadline === undefined ? undefined : { renderLimit: Math.max(1, deadline - performance.now()) });

/**
 * Renders one message from a compiled template: each part through its plan where it has one
 * (and every value fits it), otherwise through liquidjs; `liquidOnly` skips the plans (tests).
 * `deadline` (performance.now() time) stops liquidjs itself; the render pool's watchdog is the
 * hard bound behind it.
 */
export function renderCompiled(c: CompiledTemplate, ctx: MergeContext, opts?: { liquidOnly?: boolean; deadline?: number }): RenderedEmail {
  const scope: Record<string, unknown> = ctx;
  const plans = opts?.liquidOnly ? { subject: null, html: null, text: null } : c.plans;
  const deadline = opts?.deadline;
  const subjectText = (plans.subject && renderPlan(plans.subject, scope)) ?? (textEngine.renderSync(c.subject, scope, limitBy(deadline)) as string);
  const subject = subjectText.replace(/[\r\n]+/g, " ").trim();
  // The plan's static text is ASCII already (compileTemplate's pass): only inserted values need it.
  const html = (plans.html && renderPlan(plans.html, scope, asciiHtml)) ?? asciiHtml(htmlEngine.renderSync(c.html, scope, limitBy(deadline)) as string);
  return {
    subject: subject === "" ? "(no subject)" : subject.slice(0, 998),
    html,
    text: (plans.text && renderPlan(plans.text, scope)) ?? compactString(textEngine.renderSync(c.text, scope, limitBy(deadline)) as string),
  };
}

/** Compile (cached per version) and render, in this thread (the render pool's workers call it). */
export async function renderEmail(t: TemplateInput, ctx: MergeContext, opts?: { deadline?: number }): Promise<RenderedEmail> {
  return renderCompiled(await compiledTemplate(t), ctx, opts);
}

// Small ad-hoc templates (webhook bodies): parsed once per distinct source.
const adhoc = new Map<string, { html: Template[] | null; text: Template[] | null }>();

/**
 * One Liquid string (e.g. a webhook body), HTML-escaped or not. Invalid Liquid renders as written;
 * a tag that would read a file is a TemplateError naming it (nothing is sent). Errors while
 * rendering (a limit liquidjs enforces) are thrown.
 */
export function renderText(source: string, ctx: MergeContext, escape: boolean, opts?: { deadline?: number }): string {
  let entry = adhoc.get(source);
  if (!entry) {
    entry = { html: null, text: null };
    if (adhoc.size > 1000) adhoc.clear();
    adhoc.set(source, entry);
  }
  const engine = escape ? htmlEngine : textEngine;
  let parsed: Template[];
  try {
    parsed = (escape ? entry.html : entry.text) ?? engine.parse(source);
  } catch (err) {
    if (refusedFileTag(err)) throw new TemplateError(`body: ${(err as Error).message.split("\n")[0]}`, "body");
    return source;
  }
  if (escape) entry.html = parsed;
  else entry.text = parsed;
  return engine.renderSync(parsed, ctx, limitBy(opts?.deadline)) as string;
}

/** The merge tags the editor's menu offers, and that count as known. */
export const KNOWN_CONTACT_FIELDS = ["email", "first_name", "last_name", "id", "time_zone"] as const;
export const KNOWN_WORKSPACE_FIELDS = ["name", "postal_address"] as const;
/** Roots every message's scope has (trigger's keys are the event's own, so any is fine). */
export const KNOWN_ROOTS = new Set(["trigger", "unsubscribe_url", "view_url", "confirm_url"]);

export type MergeTagWarning = { tag: string; field: "subject" | "preheader" | "body"; message: string };

/**
 * Merge tags that will likely render empty: an unknown root, a contact attribute no contact has,
 * an unknown workspace field. A tag with a `default` filter is fine. Loop and assign variables are
 * the template's own and not reported.
 */
export function unknownMergeTags(
  sources: { subject: string; preheader: string; body: string },
  known: { attributes: readonly string[] },
): MergeTagWarning[] {
  const out: MergeTagWarning[] = [];
  const contactKnown = new Set<string>([...KNOWN_CONTACT_FIELDS, ...known.attributes]);
  const workspaceKnown = new Set<string>(KNOWN_WORKSPACE_FIELDS);
  for (const field of ["subject", "preheader", "body"] as const) {
    const source = sources[field];
    let parsed: Template[];
    try {
      parsed = textEngine.parse(source);
    } catch (err) {
      out.push({ tag: "", field, message: `${field}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` });
      continue;
    }
    const local = new Set<string>();
    for (const m of source.matchAll(/\{%-?\s*(?:assign|capture)\s+([A-Za-z_][\w-]*)|\{%-?\s*for\s+([A-Za-z_][\w-]*)\s+in/g)) local.add(m[1] ?? m[2]!);
    const defaulted = new Set<string>();
    for (const m of source.matchAll(/\{\{-?\s*([A-Za-z_][\w.-]*)\s*\|[^}]*\bdefault\s*:/g)) defaulted.add(m[1]!);
    const seen = new Set<string>();
    for (const segs of textEngine.globalVariableSegmentsSync(parsed)) {
      const parts = segs.map(String);
      const tag = parts.join(".");
      if (seen.has(tag) || defaulted.has(tag)) continue;
      seen.add(tag);
      const [root, first] = parts;
      if (root === undefined || local.has(root)) continue;
      if (KNOWN_ROOTS.has(root)) continue;
      if (root === "contact") {
        if (first !== undefined && !contactKnown.has(first)) out.push({ tag, field, message: `{{ ${tag} }}: no contact has the attribute "${first}"; it renders empty (add | default: "…")` });
      } else if (root === "workspace") {
        if (first !== undefined && !workspaceKnown.has(first)) out.push({ tag, field, message: `{{ ${tag} }}: unknown workspace field "${first}"` });
      } else {
        out.push({ tag, field, message: `{{ ${tag} }}: unknown merge tag (use contact.…, trigger.… or workspace.…)` });
      }
    }
  }
  return out;
}
