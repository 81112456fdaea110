import { describe, expect, it } from "vitest";
import { fileTagProblem, htmlEngine, liquidEngine, textEngine } from "./liquid";
import { compileTemplate, renderText, TemplateError, type MergeContext, type TemplateInput } from "./render";

/**
 * Liquid must never read the server's files: `{% include 'package.json' %}` (and render, layout)
 * printed package.json, and the same tags could reach the build's keys or the embedded database's
 * files. Every part a template has is tried, and so is every way of writing the tags.
 */

const ctx: MergeContext = { contact: { first_name: "Kari", file: "package.json" }, workspace: { name: "Acme" }, trigger: {}, unsubscribe_url: "https://app.example/u/t" };

// What package.json says; none of it may come back from any render.
const LEAKS = [/"private":\s*true/, /"dependencies"/, /liquidjs/, /Permission-first marketing automation/];
const expectNoLeak = (text: string) => {
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
};

const forms = (
  [
    ["include", "{% include 'package.json' %}"],
    ["include", '{%- include "package.json" -%}'],
    ["include", "{% include contact.file %}"],
    ["include", "{% liquid\n  include 'package.json'\n%}"],
    ["render", "{% render 'package.json' %}"],
    ["render", "{% for x in (1..1) %}{% render 'package.json' %}{% endfor %}"],
    ["layout", "{% layout 'package.json' %}"],
    ["layout", "{% layout 'package.json' %}{% block main %}x{% endblock %}"],
  ] as const
).map(([tag, source]) => ({ tag, source }));

const base: TemplateInput = { subject: "Hello", preheader: "", body: { markup: "Hi" }, class: "marketing" };
const parts: [field: TemplateError["field"], put: (src: string) => TemplateInput][] = [
  ["subject", (src) => ({ ...base, subject: `Hi ${src}` })],
  ["preheader", (src) => ({ ...base, preheader: src })],
  ["body", (src) => ({ ...base, body: { markup: `# Hello\n\n${src}` } })],
  ["body", (src) => ({ ...base, body: { html: `<p>${src}</p>` } })],
  ["body", (src) => ({ ...base, body: { text: `Plain ${src}` } })],
];

describe("Liquid without a file system", () => {
  it.each(forms)("refuses the $tag tag in the subject, preheader, markup, HTML and text, naming it: $source", async ({ tag, source }) => {
    for (const [field, put] of parts) {
      const err = await compileTemplate(put(source)).then(
        (c) => c,
        (e: unknown) => e,
      );
      expect(err, `${field}: ${JSON.stringify(put(source).body)}`).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).field).toBe(field);
      expect((err as TemplateError).message).toContain(`{% ${tag} %}`);
      expect((err as TemplateError).message).toMatch(/cannot read files/);
      expectNoLeak((err as TemplateError).message);
    }
  });

  it.each(forms)("refuses the $tag tag in a webhook body, escaped or not, and never returns the file: $source", ({ tag, source }) => {
    for (const escape of [false, true]) {
      let out = "";
      let err: unknown;
      try {
        out = renderText(`{"note": "${source}"}`, ctx, escape);
      } catch (e) {
        err = e;
      }
      expectNoLeak(out);
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).message).toContain(`{% ${tag} %}`);
    }
  });

  it("has engines whose file system refuses every lookup, so no template can read a file however it was parsed", () => {
    for (const engine of [htmlEngine, textEngine, liquidEngine({ escape: false })]) {
      const reads: (() => unknown)[] = [() => engine.parseFileSync("package.json"), (): unknown => engine.renderFileSync("package.json", {}), () => engine.options.fs.readFileSync("package.json")];
      for (const read of reads) {
        let got = "";
        expect(() => {
          got = String(read());
        }).toThrow();
        expectNoLeak(got);
      }
      expect(engine.options.fs.existsSync("package.json")).toBe(false);
    }
  });

  it.each(forms)("finds the $tag tag in a webhook body before a flow is published: $source", ({ tag, source }) => {
    expect(fileTagProblem(`{"a": 1, "b": "${source}"}`)).toContain(`{% ${tag} %}`);
  });

  it("leaves webhook bodies without file tags to publish, even invalid Liquid (which is sent as written)", () => {
    expect(fileTagProblem('{"email": "{{ contact.email }}"}')).toBeNull();
    expect(fileTagProblem("{% if %}")).toBeNull();
  });

  it("leaves every other tag working", async () => {
    const c = await compileTemplate({ ...base, subject: "{% if contact.first_name %}Hi {{ contact.first_name }}{% endif %}", body: { markup: "{% for i in (1..3) %}{{ i }}{% endfor %} {% assign x = 'y' %}{{ x }}" } });
    expect(c.sources.body).toContain("for i");
    expect(renderText("{% capture a %}{{ contact.first_name | upcase }}{% endcapture %}{{ a }}", ctx, false)).toBe("KARI");
  });
});
