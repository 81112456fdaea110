import { describe, expect, it } from "vitest";
import { formConfig, parseSubmission, readFormConfig } from "./config";
import { BodyError, readFields } from "./body";
import { RateLimiter } from "./rate-limit";
import { plainHtmlEmbed } from "./render";
import { confirmationToken, readConfirmationToken, readRenderStamp, renderStamp, tokenWorkspace } from "./tokens";

describe("RateLimiter", () => {
  it("allows a burst, then refills over time, per key", () => {
    let t = 0;
    const l = new RateLimiter({ burst: 3, perMinute: 6 }, () => t);
    expect([l.take("a"), l.take("a"), l.take("a")]).toEqual([0, 0, 0]);
    expect(l.take("a")).toBe(10);
    expect(l.take("b")).toBe(0);
    t += 10_000;
    expect(l.take("a")).toBe(0);
    expect(l.take("a")).toBeGreaterThan(0);
  });
  it("keeps memory bounded", () => {
    const l = new RateLimiter({ burst: 2, perMinute: 1, maxKeys: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) l.take(`k${i}`);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe("tokens", () => {
  it("render stamps are bound to the form and the secret", () => {
    const s = renderStamp("secret", "form-1", 1234);
    expect(readRenderStamp("secret", "form-1", s)).toBe(1234);
    expect(readRenderStamp("secret", "form-2", s)).toBeUndefined();
    expect(readRenderStamp("other", "form-1", s)).toBeUndefined();
    expect(readRenderStamp("secret", "form-1", "x.y.z")).toBeUndefined();
  });
  it("confirmation tokens carry their claims and refuse tampering", () => {
    const claims = { workspaceId: "0b9f0a52-6c1e-4f59-9b55-1c1f0e4d2a11", contactId: "c", optInEventId: "e", expiresAtMs: 99 };
    const tok = confirmationToken("k", claims);
    expect(tokenWorkspace(tok)).toBe(claims.workspaceId);
    expect(readConfirmationToken("k", tok)).toEqual(claims);
    expect(readConfirmationToken("k2", tok)).toBeUndefined();
    const [w, body, sig] = tok.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ c: "other", e: "e", x: 99 })).toString("base64url");
    expect(readConfirmationToken("k", `${w}.${forgedBody}.${sig}`)).toBeUndefined();
    expect(readConfirmationToken("k", `${w}.${body}`)).toBeUndefined();
  });
});

describe("parseSubmission", () => {
  const config = formConfig.parse({
    fields: [
      { key: "first_name", label: "First name", required: true },
      { key: "shoe_size", label: "Shoe size", type: "number" },
      { key: "terms", label: "I accept", type: "checkbox" },
    ],
    topics: ["news", "offers"],
  });
  it("reads names, typed attributes and topics", () => {
    expect(parseSubmission(config, { email: [" Ada@Example.COM "], first_name: ["Ada"], shoe_size: ["42"], terms: ["on"], topics: ["news", "news"] })).toEqual({
      ok: true,
      value: { email: "ada@example.com", firstName: "Ada", lastName: null, attributes: { shoe_size: 42, terms: true }, topics: ["news"] },
    });
  });
  it("names the field that is wrong", () => {
    expect(parseSubmission(config, { first_name: ["A"] })).toMatchObject({ ok: false, field: "email" });
    expect(parseSubmission(config, { email: ["nope"], first_name: ["A"] })).toMatchObject({ ok: false, field: "email" });
    expect(parseSubmission(config, { email: ["a@b.co"] })).toMatchObject({ ok: false, field: "first_name" });
    expect(parseSubmission(config, { email: ["a@b.co"], first_name: ["A"], shoe_size: ["big"] })).toMatchObject({ ok: false, field: "shoe_size" });
    expect(parseSubmission(config, { email: ["a@b.co"], first_name: ["A"], topics: ["vip"] })).toMatchObject({ ok: false, field: "topics" });
  });
  it("falls back to defaults for a stored config it cannot read", () => {
    expect(readFormConfig({ fields: "nonsense" }).submitLabel).toBe("Subscribe");
  });
});

describe("readFields", () => {
  const post = (body: BodyInit, type?: string) => new Request("http://x/f/a", { method: "POST", body, headers: type ? { "content-type": type } : {} });
  it("reads urlencoded, multipart and JSON bodies alike", async () => {
    expect(await readFields(post("email=a%40b.co&topics=x&topics=y", "application/x-www-form-urlencoded"))).toEqual({ email: ["a@b.co"], topics: ["x", "y"] });
    const fd = new FormData();
    fd.append("email", "a@b.co");
    expect(await readFields(new Request("http://x", { method: "POST", body: fd }))).toEqual({ email: ["a@b.co"] });
    expect(await readFields(post(JSON.stringify({ email: "a@b.co", topics: ["x"], n: 3 }), "application/json"))).toEqual({ email: ["a@b.co"], topics: ["x"], n: ["3"] });
  });
  it("refuses garbage with a reason", async () => {
    await expect(readFields(post("{not json", "application/json"))).rejects.toMatchObject({ status: 400, message: "body is not valid JSON" });
    await expect(readFields(post("[1,2]", "application/json"))).rejects.toMatchObject({ status: 400 });
    await expect(readFields(post("<xml/>", "application/xml"))).rejects.toMatchObject({ status: 415 });
    await expect(readFields(post("x".repeat(70_000), "application/x-www-form-urlencoded"))).rejects.toBeInstanceOf(BodyError);
    await expect(readFields(post("--zzz\r\ngarbage", "multipart/form-data; boundary=abc"))).rejects.toMatchObject({ status: 400 });
  });
});

describe("plainHtmlEmbed", () => {
  it("escapes what the workspace typed, in text and in attributes", () => {
    const config = formConfig.parse({ fields: [{ key: "company", label: `R&D "Labs"` }], submitLabel: "Count me <in>" });
    const html = plainHtmlEmbed({ url: "https://app.example/f/a?x=1&y='2'", config, consentWording: "Yes, I'd like news.", topics: [{ key: "offers", name: "Offers & deals" }] });
    expect(html).toContain(`<form method="post" action="https://app.example/f/a?x=1&amp;y=&#39;2&#39;">`);
    expect(html).toContain(`<label>R&amp;D &quot;Labs&quot; <input type="text" name="company"></label>`);
    expect(html).toContain(`value="offers"> Offers &amp; deals</label>`);
    expect(html).toContain(`<p>Yes, I&#39;d like news.</p>`);
    expect(html).toContain(`<button type="submit">Count me &lt;in&gt;</button>`);
  });
});
