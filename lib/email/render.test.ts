import { describe, expect, it } from "vitest";
import { renderEmail, renderText, type MergeContext } from "./render";

const ctx: MergeContext = {
  contact: { first_name: "<Ada>", email: "ada@example.com", plan: "pro" },
  workspace: { name: "Acme" },
  trigger: { cartId: "c-1" },
  unsubscribe_url: "https://app.example/u/tok",
};

describe("renderText (thin merge fields until liquidjs)", () => {
  it("replaces fields, escapes HTML where asked, and falls back to defaults", () => {
    expect(renderText("Hi {{ contact.first_name }}", ctx, true)).toBe("Hi &lt;Ada&gt;");
    expect(renderText("Hi {{contact.first_name}}", ctx, false)).toBe("Hi <Ada>");
    expect(renderText('Hi {{ contact.last_name | default: "friend" }}', ctx, true)).toBe("Hi friend");
    expect(renderText("{{ trigger.cartId }} {{ nope.x }}", ctx, false)).toBe("c-1 ");
    expect(renderText("{{ contact.__proto__ }}", ctx, false)).toBe("");
  });
  it("adds the postal address and a visible unsubscribe link to marketing mail only", () => {
    const m = renderEmail({ subject: "Hello\r\n{{ contact.first_name }}", body: { html: "<b>x</b>" }, class: "marketing" }, ctx, {
      postalAddress: "1 Fjord Road",
    });
    expect(m.subject).toBe("Hello <Ada>");
    expect(m.html).toContain("1 Fjord Road");
    expect(m.html).toContain('href="https://app.example/u/tok"');
    expect(m.text).toContain("Unsubscribe: https://app.example/u/tok");
    const t = renderEmail({ subject: "Receipt", body: { text: "Thanks" }, class: "transactional" }, ctx, { postalAddress: null });
    expect(t.html).not.toContain("Unsubscribe");
  });
});
