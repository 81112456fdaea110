import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { htmlEngine } from "./email/liquid";
import { escapeHtml, unescapeHtml } from "./html";

const text = fc.string({ maxLength: 12, unit: fc.constantFrom("a", " ", "<", ">", "&", '"', "'", "é", ";", "#", "x", "3", "4", "amp", "quot") });

describe("escapeHtml", () => {
  it("writes the five entities, a double quote as &quot; by default", () => {
    expect(escapeHtml(`<a href="x">R&D's</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;");
    expect(escapeHtml("plain text é")).toBe("plain text é");
  });

  it("writes a double quote as &#34; for Liquid, byte for byte what liquidjs's escape filter writes", () => {
    expect(escapeHtml(`<a href="x">R&D's</a>`, "&#34;")).toBe("&lt;a href=&#34;x&#34;&gt;R&amp;D&#39;s&lt;/a&gt;");
    fc.assert(
      fc.property(text, (s) => {
        expect(escapeHtml(s, "&#34;")).toBe(htmlEngine.parseAndRenderSync("{{ s }}", { s }));
      }),
    );
  });
});

describe("unescapeHtml", () => {
  it("reads back what escapeHtml, liquidjs and React write", () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(unescapeHtml(escapeHtml(s))).toBe(s);
        expect(unescapeHtml(escapeHtml(s, "&#34;"))).toBe(s);
      }),
    );
    expect(unescapeHtml("it&#x27;s &quot;here&#34;")).toBe(`it's "here"`);
  });

  it("decodes in one pass: an escaped entity stays the text it spells", () => {
    expect(unescapeHtml("a=1&amp;lt=2&amp;quot;")).toBe("a=1&lt=2&quot;");
    expect(unescapeHtml("&amp;#39;")).toBe("&#39;");
    expect(unescapeHtml("&nbsp;&copy;")).toBe("&nbsp;&copy;");
  });
});
