const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const SPECIAL = /[&<>"']/g;
const HAS_SPECIAL = /[&<>"']/;

/**
 * How a double quote is written: `&quot;` (ours), or `&#34;` as liquidjs's `escape` filter writes
 * it, which compiled templates must match byte for byte (lib/email/liquid-plan.ts).
 */
export type QuoteEntity = "&quot;" | "&#34;";

/**
 * Text made safe to place in HTML, in an element or a quoted attribute (either quote): `&`, `<`,
 * `>`, `"` and `'` become entities. Text without any of them comes back as it is.
 */
export function escapeHtml(s: string, quote: QuoteEntity = "&quot;"): string {
  if (!HAS_SPECIAL.test(s)) return s;
  return s.replace(SPECIAL, (c) => (c === '"' ? quote : ENTITY[c]!));
}

const DECODED: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#34;": '"',
  "&#39;": "'",
  "&#x27;": "'",
};

/**
 * The text of an attribute value escapeHtml wrote (or liquidjs's escape, or React, which writes
 * `'` as `&#x27;`). One pass, so an escaped entity stays what it says: `&amp;lt;` is `&lt;`.
 */
export function unescapeHtml(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(?:amp|lt|gt|quot|#34|#39|#x27);/g, (e) => DECODED[e]!);
}
