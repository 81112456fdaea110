import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { compiledTemplate, compileTemplate, renderCompiled, renderEmail, renderText, TemplateError, unknownMergeTags, type MergeContext } from "./render";
import { mergeContext } from "./message";

const ctx: MergeContext = {
  contact: { first_name: "<script>alert(1)</script>", email: "ada@example.com", plan: "pro" },
  workspace: { name: "Acme", postal_address: "1 Fjord Road, Bergen" },
  trigger: { cartId: "c-1", url: "https://shop.example/cart?id=1&x=2" },
  unsubscribe_url: "https://app.example/u/tok",
};

const marketing = {
  subject: 'Hi {{ contact.first_name | default: "there" }}',
  preheader: "Your {{ contact.plan }} plan",
  body: { markup: "# Hello {{ contact.first_name }}\n\nYour cart: [open it]({{ trigger.url }})\n\n[button: Shop now](https://shop.example/)" },
  class: "marketing" as const,
};

describe("renderEmail (liquidjs inside the React Email layout)", () => {
  it("renders a hostile first name inert in HTML and readable in text", async () => {
    const m = await renderEmail(marketing, ctx);
    expect(m.html).not.toContain("<script>");
    expect(m.html).toContain("Hello &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(m.text).toContain("Hello <script>alert(1)</script>");
    expect(m.subject).toBe("Hi <script>alert(1)</script>");
    // Merge tags inside attributes are escaped too, so a value cannot break out of href="…".
    expect(m.html).toContain('href="https://shop.example/cart?id=1&amp;x=2"');
    expect(m.text).toContain("open it (https://shop.example/cart?id=1&x=2)");
    expect(m.html).toContain("Your pro plan");
  });

  it("writes HTML as 7-bit ASCII with character references, leaving Liquid literals and the text part as written", async () => {
    const m = await renderEmail(
      { ...marketing, subject: "Hei {{ contact.first_name }} 🌲", body: { markup: 'Kjære {{ contact.first_name | default: "venn" }}, «sommer» ☀️' } },
      { ...ctx, contact: { first_name: "Åse 😀" } },
    );
    expect(m.html).toMatch(/^[\x00-\x7f]*$/);
    expect(m.html).toContain("Kj&#230;re &#197;se &#128512;, &#171;sommer&#187; &#9728;&#65039;");
    expect(m.text).toContain("Kjære Åse 😀, «sommer» ☀️");
    expect(m.subject).toBe("Hei Åse 😀 🌲");
    const fallback = await renderEmail({ ...marketing, body: { markup: 'Kjære {{ contact.nickname | default: "venn" }}' } }, ctx);
    expect(fallback.html).toContain("Kj&#230;re venn");
  });

  it("falls back to defaults and renders unknown fields empty", async () => {
    const m = await renderEmail({ ...marketing, subject: 'Hi {{ contact.last_name | default: "there" }} {{ contact.nope }}!' }, ctx);
    expect(m.subject).toBe("Hi there !");
    const proto = await renderEmail({ ...marketing, subject: "x{{ contact.__proto__ }}{{ contact.constructor }}y" }, ctx);
    expect(proto.subject).toBe("xy");
  });

  it("gives every marketing message the footer with the unsubscribe link and postal address", async () => {
    // Even a template whose body tries to say nothing at all.
    const m = await renderEmail({ subject: "S", body: { markup: "" }, class: "marketing" }, ctx);
    expect(m.html).toContain('href="https://app.example/u/tok"');
    expect(m.html).toContain(">Unsubscribe</a>");
    expect(m.html).toContain("1 Fjord Road, Bergen");
    expect(m.text).toContain("Unsubscribe: https://app.example/u/tok");
    expect(m.text).toContain("1 Fjord Road, Bergen");
  });

  it("gives transactional mail no marketing footer", async () => {
    const t = await renderEmail({ subject: "Receipt", body: { markup: "Thanks for your order." }, class: "transactional" }, ctx);
    expect(t.html).toContain("Thanks for your order.");
    expect(t.html).not.toContain("Unsubscribe");
    expect(t.html).not.toContain("data-footer");
    expect(t.text).toBe("Thanks for your order.");
  });

  it("accepts templates written as an HTML fragment with a text part", async () => {
    const m = await renderEmail({ subject: "S", body: { html: "<p>Hi {{ contact.first_name }}</p>", text: "Hi {{ contact.first_name }}" }, class: "marketing" }, ctx);
    expect(m.html).toContain("<p>Hi &lt;script&gt;");
    expect(m.text.startsWith("Hi <script>alert(1)</script>")).toBe(true);
  });

  it("strips line breaks from the subject (no header injection)", async () => {
    const m = await renderEmail({ ...marketing, subject: "A{{ contact.x }}\r\nBcc: evil@example.com" }, { ...ctx, contact: { x: "\r\n" } });
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it("names the field of a Liquid syntax error", async () => {
    const err = await compileTemplate({ ...marketing, body: { markup: "{% if %}" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).field).toBe("body");
    const filter = await compileTemplate({ ...marketing, subject: "{{ contact.first_name | nosuchfilter }}" }).catch((e: unknown) => e);
    expect((filter as TemplateError).field).toBe("subject");
  });

  it("compiles a template version once and reuses it", async () => {
    const t = { ...marketing, id: "11111111-1111-4111-8111-111111111111", updatedAt: new Date(1) };
    const a = await compiledTemplate(t);
    expect(await compiledTemplate(t)).toBe(a);
    const b = await compiledTemplate({ ...t, updatedAt: new Date(2), subject: "New" });
    expect(b).not.toBe(a);
    expect(renderCompiled(b, ctx).subject).toBe("New");
  });
});

describe("unknownMergeTags", () => {
  it("warns about unknown roots and attributes, not about defaults, trigger data or loop variables", () => {
    const w = unknownMergeTags(
      {
        subject: '{{ contact.plan }} {{ contact.tier | default: "basic" }} {{ foo }}',
        preheader: "{{ trigger.anything }} {{ workspace.name }} {{ workspace.vat }}",
        body: "{% for item in trigger.items %}{{ item.name }}{% endfor %}{{ contact.first_name }}",
      },
      { attributes: ["city"] },
    );
    expect(w.map((x) => x.tag).sort()).toEqual(["contact.plan", "foo", "workspace.vat"]);
    expect(unknownMergeTags({ subject: "{{ contact.city }}", preheader: "", body: "" }, { attributes: ["city"] })).toEqual([]);
  });

  it("knows view_url, unsubscribe_url and confirm_url", () => {
    expect(unknownMergeTags({ subject: "", preheader: "", body: '<a href="{{ view_url }}">View</a> {{ unsubscribe_url }} {{ confirm_url }}' }, { attributes: [] })).toEqual([]);
  });
});

describe("view_url", () => {
  it("renders the view link the scope carries, and empty without one", async () => {
    const body = { markup: "[View in browser]({{ view_url }})" };
    const t = { ...marketing, id: undefined, body };
    expect((await renderEmail(t, { ...ctx, view_url: "https://app.example/v/abc.def" })).html).toContain('href="https://app.example/v/abc.def"');
    expect((await renderEmail(t, mergeContext({ email: "a@b.example", firstName: null, lastName: null, attributes: {}, workspaceName: "A", postalAddress: null }, { contactId: "c", trigger: {}, unsubscribeUrl: "u", viewUrl: "https://app.example/v/x.y" }))).html).toContain("https://app.example/v/x.y");
    expect(mergeContext({ email: "a@b.example", firstName: null, lastName: null, attributes: {}, workspaceName: "A", postalAddress: null }, { contactId: "c", trigger: {}, unsubscribeUrl: "u" }).view_url).toBe("");
  });
});

describe("renderText (webhook bodies)", () => {
  it("renders Liquid, escaping only when asked, and leaves invalid Liquid as written", () => {
    expect(renderText("Hi {{ contact.first_name }}", ctx, true)).toBe("Hi &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(renderText("{{ trigger.cartId }}", ctx, false)).toBe("c-1");
    expect(renderText("{% if %}", ctx, false)).toBe("{% if %}");
  });
});

describe("rendered parts stay in V8's one-byte representation (the HTTP client encodes two-byte bodies at half speed)", () => {
  // The V8 serializer tags a one-byte string '"' and a two-byte one 'c'.
  const oneByte = (s: string) => String.fromCharCode(v8.serialize(s)[2]!) === '"';

  it("for HTML (the layout's preheader spacers are above U+00FF) and for text within Latin-1", async () => {
    const c = await compileTemplate({ ...marketing, id: undefined });
    const m = renderCompiled(c, { ...ctx, contact: { ...ctx.contact, first_name: "Åse Ærlig" } });
    expect(m.html).toContain("&#8204;");
    expect(oneByte(m.html)).toBe(true);
    expect(oneByte(m.text)).toBe(true);
    expect(m.text).toContain("Hello Åse Ærlig");
    const liquidOnly = renderCompiled(c, { ...ctx, contact: { ...ctx.contact, first_name: "Åse Ærlig" } }, { liquidOnly: true });
    expect(oneByte(liquidOnly.html)).toBe(true);
    expect(oneByte(liquidOnly.text)).toBe(true);
  });
});
