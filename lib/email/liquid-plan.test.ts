import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { htmlEngine, textEngine } from "./liquid";
import { compilePlan, renderPlan } from "./liquid-plan";
import { compileTemplate, renderCompiled, type MergeContext } from "./render";

const keys = ["first_name", "plan", "a", "b", "toString", "constructor", "__proto__", "length", "size", "first"];
const roots = ["contact", "workspace", "trigger", "unsubscribe_url", "nil", "true", "empty", "missing"];

const path = fc.tuple(fc.constantFrom(...roots), fc.array(fc.constantFrom(...keys), { maxLength: 3 })).map(([r, ks]) => [r, ...ks].join("."));
const literal = fc.string({ maxLength: 6, unit: fc.constantFrom("x", " ", "<", "&", '"', "'", "é", "}", "\\", "{") });
const tag = fc.oneof(
  path.map((p) => `{{ ${p} }}`),
  fc.tuple(path, literal, fc.boolean()).map(([p, l, dq]) => (dq ? `{{ ${p} | default: "${l.replace(/"/g, "")}" }}` : `{{${p}|default:'${l.replace(/'/g, "")}'}}`)),
  fc.constantFrom("{{ contact.plan | upcase }}", "{%- if contact.plan -%}y{%- endif -%}", "{{- contact.plan -}}", "{{ contact.plan | default: 'x', allow_false: true }}", "{{ 'lit' }}"),
);
const text = fc.string({ maxLength: 8, unit: fc.constantFrom("a", " ", "<p>", "&amp;", "\n", "é", "}", "{") });
const source = fc.array(fc.oneof(tag, text), { maxLength: 8 }).map((parts) => parts.join(""));

const scalar = fc.oneof(fc.string({ maxLength: 5, unit: fc.constantFrom("a", "<", "&", '"', "'", "é", "") }), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null), fc.constant(undefined));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, scalar, scalar, fc.array(scalar, { maxLength: 2 }), fc.constant(new Date(0)), fc.dictionary(fc.constantFrom(...keys), tie("v"), { maxKeys: 3 })),
})).v;
const scope = fc.record({ contact: value, workspace: value, trigger: value, unsubscribe_url: value });

describe("Liquid plans (the fast path for text and simple output tags)", () => {
  it("render exactly what liquidjs renders, or leave the template or the values to liquidjs", () => {
    let planned = 0;
    let rendered = 0;
    fc.assert(
      fc.property(source, scope, fc.boolean(), (src, sc, escape) => {
        const engine = escape ? htmlEngine : textEngine;
        let expected: string;
        try {
          expected = engine.parseAndRenderSync(src, sc) as string;
        } catch {
          return; // liquidjs refuses it: compileTemplate refuses it before any plan is used
        }
        const plan = compilePlan(src, { escape });
        if (!plan) return;
        planned++;
        const got = renderPlan(plan, sc);
        if (got === undefined) return;
        rendered++;
        expect(got).toBe(expected);
      }),
      { numRuns: 5000 },
    );
    // The generators reach both sides of each decision.
    expect(planned).toBeGreaterThan(300);
    expect(rendered).toBeGreaterThan(100);
  });

  it("compile only text and simple output tags", () => {
    expect(compilePlan('Hi {{ contact.first_name | default: "there" }}!', { escape: true })).toEqual({
      statics: ["Hi ", "!"],
      slots: [{ path: ["contact", "first_name"], fallback: "there" }],
      escape: true,
    });
    for (const src of ["{% if a %}x{% endif %}", "{{ a | upcase }}", "{{- a }}", "{{ a.size }}", "{{ nil }}", "{{ a['b'] }}", "{{ a | default: \"x\\\"\" }}", "x {{ y"]) {
      expect(compilePlan(src, { escape: false }), src).toBeNull();
    }
  });

  it("leave values liquidjs must judge to liquidjs", () => {
    const plan = compilePlan("{{ contact.tags }}|{{ contact.when }}|{{ contact.n.x }}", { escape: false })!;
    expect(renderPlan(plan, { contact: { tags: ["a", "b"] } })).toBeUndefined();
    expect(renderPlan(plan, { contact: { when: new Date(0) } })).toBeUndefined();
    expect(renderPlan(plan, { contact: { n: "str" } })).toBeUndefined();
    expect(renderPlan(plan, { contact: { n: null } })).toBe("||");
  });

  it("give renderCompiled the same message as liquidjs alone, for a real template", async () => {
    const compiled = await compileTemplate({
      subject: 'Hi {{ contact.first_name | default: "there" }}',
      preheader: "Your {{ contact.plan }} plan",
      body: { markup: "# Hello {{ contact.first_name }}\n\nYour cart: [open it]({{ trigger.url }})\n\nSeats: {{ contact.seats }}, paid: {{ contact.paid }}" },
      class: "marketing",
    });
    expect(compiled.plans.html).not.toBeNull();
    expect(compiled.plans.text).not.toBeNull();
    const contexts: MergeContext[] = [
      { contact: { first_name: "<script>alert('x')</script> Ærlig 🎉", plan: "pro", seats: 3, paid: false }, workspace: { name: "Acme", postal_address: "1 Road" }, trigger: { url: "https://shop.example/c?a=1&b=2" }, unsubscribe_url: "https://app.example/u/t" },
      { contact: { first_name: "", plan: null, seats: 0 }, workspace: {}, trigger: {}, unsubscribe_url: "https://app.example/u/t" },
      { contact: { first_name: ["a"], plan: { x: 1 } }, workspace: {}, trigger: {}, unsubscribe_url: "https://app.example/u/t" },
    ];
    for (const ctx of contexts) expect(renderCompiled(compiled, ctx)).toEqual(renderCompiled(compiled, ctx, { liquidOnly: true }));
  });
});
