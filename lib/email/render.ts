import { z } from "zod";

/**
 * THIN SLICE — issue 8 replaces this with liquidjs. Until then: `{{ path }}` and
 * `{{ path | default: "text" }}` merge fields only, no tags, no other filters. Values are
 * HTML-escaped in the HTML body and inserted raw in the subject and text body. Unknown fields
 * render empty. Keep templates within this subset so they render the same under Liquid later.
 */

/** What the templates table's body holds for now (the editor document arrives with issue 8). */
export const templateBodySchema = z
  .object({ html: z.string().optional(), text: z.string().optional() })
  .loose()
  .catch({});

export type MergeContext = {
  contact: Record<string, unknown>;
  workspace: Record<string, unknown>;
  trigger: Record<string, unknown>;
  unsubscribe_url: string;
};

const FIELD = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\|\s*default\s*:\s*"([^"]*)"\s*)?\}\}/g;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function lookup(ctx: MergeContext, path: string): unknown {
  let v: unknown = ctx;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export function renderText(template: string, ctx: MergeContext, escape: boolean): string {
  return template.replace(FIELD, (_m, path: string, fallback: string | undefined) => {
    const v = lookup(ctx, path);
    const text = v === undefined || v === null || v === "" || typeof v === "object" ? (fallback ?? "") : String(v);
    return escape ? escapeHtml(text) : text;
  });
}

export type RenderedEmail = { subject: string; html: string; text: string };

/**
 * Renders subject and bodies; marketing mail gets the footer the law and the mailbox providers
 * require: the postal address and a visible unsubscribe link (List-Unsubscribe is set apart).
 */
export function renderEmail(
  template: { subject: string; body: unknown; class: "marketing" | "transactional" },
  ctx: MergeContext,
  footer: { postalAddress: string | null },
): RenderedEmail {
  const body = templateBodySchema.parse(template.body);
  const subject = renderText(template.subject, ctx, false).replace(/[\r\n]+/g, " ").trim();
  const text = renderText(body.text ?? "", ctx, false);
  let html = body.html !== undefined ? renderText(body.html, ctx, true) : `<p>${escapeHtml(text).replace(/\n/g, "<br>")}</p>`;
  let plain = text;
  if (template.class === "marketing") {
    const address = footer.postalAddress ?? "";
    const url = ctx.unsubscribe_url;
    html += `\n<hr><p style="font-size:12px;color:#666">${escapeHtml(address)}<br><a href="${escapeHtml(url)}">Unsubscribe</a></p>`;
    plain += `\n\n--\n${address}\nUnsubscribe: ${url}`;
  }
  return { subject: subject === "" ? "(no subject)" : subject, html, text: plain };
}
