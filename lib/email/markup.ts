/**
 * The template body markup marketers write in the editor: a small, forgiving subset of Markdown
 * that maps one-to-one onto email-safe blocks. Pure, so the layout (HTML) and the plain-text part
 * are built from the same parse.
 *
 *   # Heading / ## Subheading
 *   A paragraph; single line breaks stay line breaks.
 *   [button: Shop the sale](https://shop.example/sale)     ← a paragraph that is only this: a button
 *   ---                                                     ← a divider
 *   Inline: **bold**, [link text](https://…)
 */

export type Inline = { kind: "text"; text: string } | { kind: "bold"; text: string } | { kind: "link"; text: string; href: string } | { kind: "br" };

export type Block =
  | { kind: "heading"; level: 1 | 2; content: Inline[] }
  | { kind: "paragraph"; content: Inline[] }
  | { kind: "button"; text: string; href: string }
  | { kind: "divider" };

const BUTTON = /^\[button:\s*([^\]]+)\]\(([^)\s]+)\)$/i;
const INLINE = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;

export function parseInline(line: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of line.matchAll(INLINE)) {
    if (m.index > last) out.push({ kind: "text", text: line.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ kind: "bold", text: m[1] });
    else out.push({ kind: "link", text: m[2]!, href: m[3]! });
    last = m.index + m[0].length;
  }
  if (last < line.length) out.push({ kind: "text", text: line.slice(last) });
  return out;
}

export function parseMarkup(source: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of source.replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
    const text = chunk.trim();
    if (text === "") continue;
    if (/^-{3,}$/.test(text)) {
      blocks.push({ kind: "divider" });
      continue;
    }
    const button = BUTTON.exec(text);
    if (button) {
      blocks.push({ kind: "button", text: button[1]!.trim(), href: button[2]! });
      continue;
    }
    const heading = /^(#{1,2})\s+(.*)$/s.exec(text);
    if (heading) {
      blocks.push({ kind: "heading", level: heading[1]!.length as 1 | 2, content: parseInline(heading[2]!.replace(/\n/g, " ")) });
      continue;
    }
    const content: Inline[] = [];
    text.split("\n").forEach((line, i) => {
      if (i > 0) content.push({ kind: "br" });
      content.push(...parseInline(line));
    });
    blocks.push({ kind: "paragraph", content });
  }
  return blocks;
}

const inlineText = (content: Inline[]) =>
  content.map((c) => (c.kind === "br" ? "\n" : c.kind === "link" ? (c.text === c.href ? c.href : `${c.text} (${c.href})`) : c.text)).join("");

/** The plain-text part: readable on its own, links spelled out. */
export function markupToText(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return inlineText(b.content);
        case "paragraph":
          return inlineText(b.content);
        case "button":
          return `${b.text}: ${b.href}`;
        case "divider":
          return "----------";
      }
    })
    .join("\n\n");
}
