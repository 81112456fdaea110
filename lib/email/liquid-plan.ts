/**
 * A compiled fast path for the Liquid most templates consist of: text and simple output tags,
 * `{{ contact.first_name }}` or `{{ contact.first_name | default: "there" }}`.
 *
 * liquidjs evaluates a parsed template through generators and a filter chain per tag, about 2–3 µs
 * per output tag; a message of a typical template (HTML, text and subject) costs ~60 µs that way.
 * A template whose every tag fits the small grammar below is compiled once into a plan (static
 * strings and property paths) and rendered by concatenation. Anything else — a `{% tag %}`, another
 * filter, whitespace control, a path through `size`/`first`/`last`, a value that is not a string,
 * number, boolean or nil at render time — is left to liquidjs: `compilePlan` returns null, or
 * `renderPlan` returns undefined and the caller renders with liquidjs. The result is the same
 * string liquidjs produces (checked by a property test against liquidjs itself).
 */

import { escapeHtml } from "../html";

type Slot = {
  /** Own-property path from the render scope. */
  path: string[];
  /** `| default: "…"`: used when the value is nil, false or an empty string. */
  fallback: string | undefined;
};
export type LiquidPlan = { statics: string[]; slots: Slot[]; escape: boolean };

const TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const IDENT = "[A-Za-z_][A-Za-z0-9_]*";
const SIMPLE = new RegExp(`^\\{\\{\\s*(${IDENT}(?:\\.${IDENT})*)\\s*(?:\\|\\s*default\\s*:\\s*(?:"([^"\\\\]*)"|'([^'\\\\]*)')\\s*)?\\}\\}$`);
/** Names liquidjs reads specially: literals at the root, computed properties further down. */
const LITERAL_ROOTS = new Set(["nil", "null", "true", "false", "empty", "blank"]);
const COMPUTED = new Set(["size", "first", "last"]);

/** A plan for `source`, or null when some tag needs liquidjs. */
export function compilePlan(source: string, opts: { escape: boolean }): LiquidPlan | null {
  const statics: string[] = [];
  const slots: Slot[] = [];
  let at = 0;
  for (const m of source.matchAll(TAG)) {
    const s = SIMPLE.exec(m[0]);
    if (!s) return null;
    const path = s[1]!.split(".");
    if (LITERAL_ROOTS.has(path[0]!) || path.some((p) => COMPUTED.has(p))) return null;
    statics.push(source.slice(at, m.index));
    slots.push({ path, fallback: s[2] ?? s[3] });
    at = m.index + m[0].length;
  }
  const rest = source.slice(at);
  // A stray delimiter means liquidjs sees something this reading did not.
  if (statics.some((x) => x.includes("{{") || x.includes("{%")) || rest.includes("{{") || rest.includes("{%")) return null;
  statics.push(rest);
  return { statics, slots, escape: opts.escape };
}


const isPlainObject = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** One slot's text, or undefined when the value is one liquidjs must judge (object, array, function, …). */
function slotText(slot: Slot, scope: Record<string, unknown>): string | undefined {
  let v: unknown = scope;
  for (const key of slot.path) {
    if (v === null || v === undefined) break;
    if (typeof v !== "object" || !isPlainObject(v) || Object.hasOwn(v, "toLiquid")) return undefined;
    v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  }
  let text: string;
  if (typeof v === "string") text = v;
  else if (v === null || v === undefined) text = "";
  else if (typeof v === "number" || typeof v === "boolean") text = String(v);
  else return undefined;
  if (slot.fallback !== undefined && (v === null || v === undefined || v === false || text === "")) text = slot.fallback;
  return text;
}

/**
 * Renders a plan; `value` post-processes each inserted value (the HTML part's ASCII pass).
 * Undefined when a value needs liquidjs.
 */
export function renderPlan(plan: LiquidPlan, scope: Record<string, unknown>, value?: (s: string) => string): string | undefined {
  let out = plan.statics[0]!;
  for (let i = 0; i < plan.slots.length; i++) {
    let text = slotText(plan.slots[i]!, scope);
    if (text === undefined) return undefined;
    // As liquidjs's escape filter writes it: a double quote is &#34;.
    if (plan.escape) text = escapeHtml(text, "&#34;");
    if (value) text = value(text);
    out += text + plan.statics[i + 1]!;
  }
  return out;
}
