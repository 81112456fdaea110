import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { sendEmailConfig } from "../flows/catalog";
import { applyTracking, buildUtm, machineReason, parsedUtm, signTrackingToken, utmParameters, verifyTrackingToken } from "./tracking";

const W = "11111111-1111-4111-8111-111111111111";
const M = "22222222-2222-4222-8222-222222222222";
const settings = { opens: true, clicks: true, utm: true, utmSource: "tillit", utmMedium: "email" };

describe("tracking tokens", () => {
  it("verify only under the secret that signed them, and refuse tampering", () => {
    const t = signTrackingToken("s1", { workspaceId: W, messageId: M, url: "https://shop.example/a?b=1" });
    expect(verifyTrackingToken("s1", t)).toEqual({ workspaceId: W, messageId: M, url: "https://shop.example/a?b=1" });
    expect(verifyTrackingToken("s2", t)).toBeNull();
    const [body, sig] = t.split(".");
    const evil = Buffer.from(JSON.stringify({ w: W, m: M, u: "https://evil.example/" })).toString("base64url");
    expect(verifyTrackingToken("s1", `${evil}.${sig}`)).toBeNull();
    expect(verifyTrackingToken("s1", `${body}.`)).toBeNull();
    expect(verifyTrackingToken("s1", "garbage")).toBeNull();
    const js = signTrackingToken("s1", { workspaceId: W, messageId: M, url: "javascript:alert(1)" });
    expect(verifyTrackingToken("s1", js)).toBeNull();
  });
});

describe("applyTracking", () => {
  it("wraps web links with UTM, leaves app and mailto links, adds the pixel", () => {
    const html = '<html><body><a href="https://shop.example/x?a=1&amp;b=2">x</a><a href="https://app.example/u/tok">u</a><a href="mailto:a@b.c">m</a></body></html>';
    const out = applyTracking(html, { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, settings, campaign: "spring", content: "n1" });
    const token = /href="https:\/\/app\.example\/r\/([^"]+)"/.exec(out)![1]!;
    expect(verifyTrackingToken("s", token)!.url).toBe("https://shop.example/x?a=1&b=2&utm_source=tillit&utm_medium=email&utm_campaign=spring&utm_content=n1");
    expect(out).toContain('href="https://app.example/u/tok"');
    expect(out).toContain('href="mailto:a@b.c"');
    expect(out).toMatch(/<img src="https:\/\/app\.example\/o\/[^"]+"[^>]*\/><\/body>/);
    const off = applyTracking(html, { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, settings: { ...settings, clicks: false, opens: false, utm: false }, campaign: null, content: null });
    expect(off).toBe(html);
  });

  it("reads a link as the browser would follow it, and writes an untracked one back the same", () => {
    const html = '<a href="https://shop.example/it&#39;s?q=a&amp;lt;b&amp;c=&quot;d&quot;">x</a>';
    const scope = { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, campaign: null, content: null };
    const tracked = applyTracking(html, { ...scope, settings: { ...settings, opens: false, utm: false } });
    const token = /href="https:\/\/app\.example\/r\/([^"]+)"/.exec(tracked)![1]!;
    // Decoded once, as a browser does: "&amp;lt;" is the text "&lt;", not "<".
    expect(verifyTrackingToken("s", token)!.url).toBe(`https://shop.example/it's?q=a&lt;b&c="d"`);
    const untracked = { ...scope, settings: { ...settings, clicks: false, opens: false, utm: false } };
    expect(applyTracking(html, untracked)).toBe(html);
    // React writes an apostrophe as &#x27;, rewritten as &#39;: the same URL to the browser.
    expect(applyTracking('<a href="https://shop.example/it&#x27;s">x</a>', untracked)).toBe('<a href="https://shop.example/it&#39;s">x</a>');
  });
});

describe("the destination cache", () => {
  it("keeps no rendered message alive: 2,000 messages of 100 KB, each with its own link, leave the heap about as it was", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const scope = { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, settings, campaign: "spring", content: "n1" };
    const pad = "x".repeat(100_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2_000; i++) applyTracking(`<html><body><p>${i}${pad}</p><a href="https://shop.example/sale?member=M${i}">x</a></body></html>`, scope);
    gc();
    // Each cache entry built from a slice of its message would keep all 100 KB of it: 200 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(20_000_000);
  });
});

describe("UTM parameters per node", () => {
  const scope = { settings, campaign: "spring-sale", content: "s1" };
  const node = (utm: unknown) => sendEmailConfig.parse({ templateId: "t", utm }).utm;

  it("without a node setting: the workspace's source and medium, the flow as campaign, the node as content", () => {
    expect(node(undefined)).toBeUndefined();
    expect(utmParameters({ ...scope, utm: node(undefined) })).toEqual({ utm_source: "tillit", utm_medium: "email", utm_campaign: "spring-sale", utm_content: "s1" });
    expect(utmParameters({ ...scope, settings: { ...settings, utmSource: "acme", utmMedium: "newsletter" } })).toEqual({
      utm_source: "acme",
      utm_medium: "newsletter",
      utm_campaign: "spring-sale",
      utm_content: "s1",
    });
    expect(utmParameters({ ...scope, settings: { ...settings, utm: false } })).toBeNull();
  });

  it("a node's values win, and the ones it leaves empty fall back", () => {
    expect(utmParameters({ ...scope, utm: node({ campaign: "vip-launch", content: "hero" }) })).toEqual({
      utm_source: "tillit",
      utm_medium: "email",
      utm_campaign: "vip-launch",
      utm_content: "hero",
    });
    expect(utmParameters({ ...scope, utm: node({ source: "crm", medium: "mail", campaign: null }) })).toEqual({
      utm_source: "crm",
      utm_medium: "mail",
      utm_campaign: "spring-sale",
      utm_content: "s1",
    });
  });

  it("a node decides on or off, whatever the workspace's default", () => {
    expect(utmParameters({ ...scope, utm: node({ off: true, campaign: "ignored" }) })).toBeNull();
    expect(utmParameters({ ...scope, settings: { ...settings, utm: false }, utm: node({ campaign: "vip" }) })).toMatchObject({ utm_campaign: "vip" });
  });

  it("refuses values analytics tools would split or mangle", () => {
    expect(sendEmailConfig.safeParse({ templateId: "t", utm: { campaign: "spring sale" } }).success).toBe(false);
    expect(sendEmailConfig.safeParse({ templateId: "t", utm: { source: "a&b=c" } }).success).toBe(false);
    expect(sendEmailConfig.safeParse({ templateId: "t", utm: { source: "x".repeat(61) } }).success).toBe(false);
  });

  it("lands in the rewritten links", () => {
    const html = '<a href="https://shop.example/x">x</a>';
    const out = applyTracking(html, { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, ...scope, utm: node({ campaign: "vip-launch" }) });
    const token = /href="https:\/\/app\.example\/r\/([^"]+)"/.exec(out)![1]!;
    expect(verifyTrackingToken("s", token)!.url).toBe("https://shop.example/x?utm_source=tillit&utm_medium=email&utm_campaign=vip-launch&utm_content=s1");
    const off = applyTracking(html, { appUrl: "https://app.example", secret: "s", workspaceId: W, messageId: M, ...scope, settings: { ...settings, clicks: false, opens: false }, utm: node({ off: true }) });
    expect(off).toBe(html);
  });
});

describe("machineReason", () => {
  const base = { kind: "click" as const, method: "GET", ip: "84.1.2.3", sentAt: 1_000_000, deliveredAt: null };
  const browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15";
  it("flags HEAD requests, scanner agents, bursts right after delivery and Apple's privacy proxy", () => {
    expect(machineReason({ ...base, method: "HEAD", userAgent: browser, at: 9_000_000 })).toBe("head-request");
    expect(machineReason({ ...base, userAgent: "Mozilla/5.0 (compatible; proofpoint)", at: 9_000_000 })).toBe("scanner-agent");
    expect(machineReason({ ...base, userAgent: null, at: 9_000_000 })).toBe("no-user-agent");
    expect(machineReason({ ...base, userAgent: browser, at: 1_002_000 })).toBe("burst-after-delivery");
    expect(machineReason({ ...base, kind: "open", userAgent: "Mozilla/5.0", at: 9_000_000 })).toBe("apple-mail-privacy-protection");
    expect(machineReason({ ...base, kind: "open", userAgent: browser, ip: "17.1.2.3", at: 9_000_000 })).toBe("apple-mail-privacy-protection");
    expect(machineReason({ ...base, userAgent: browser, at: 9_000_000, recentClicks: 3 })).toBe("click-burst");
  });
  it("counts a later browser click as a person", () => {
    expect(machineReason({ ...base, userAgent: browser, at: 1_000_000 + 60_000 })).toBeNull();
  });
});

describe("UTM parameters on a plain URL", () => {
  const utm = { utm_source: "tillit", utm_medium: "email", utm_campaign: "spring-sale", utm_content: "s1" };
  const odd = { utm_source: "Our news & more", utm_medium: "e-mail/ø", utm_campaign: "a+b", utm_content: "50%" };
  const urls = [
    "https://shop.example/sale?member=M100001",
    "https://shop.example/",
    "https://shop.example/a/b.html",
    "https://shop.example/a/b.html?x=1&y=",
    "https://shop.example/a/../b",
    "https://shop.example/a/./b",
    "https://shop.example/a/..",
    "https://shop.example/a/...b/c",
    "https://shop.example/path.with.dots/",
    "http://shop.example/x?utm_source=partner&y=2",
    "https://shop.example/x?utm_medium=sms",
    "https://Shop.Example/x",
    "https://shop.example",
    "https://shop.example:443/x",
    "https://shop.example/x?a=b%20c",
    "https://shop.example/x?a=b+c",
    "https://shop.example/x?a",
    "https://shop.example/x?a=1&&b=2",
    "https://shop.example/x#top",
    "https://shop.example/ä",
    "https://user:pw@shop.example/x",
    "https://shop.example/x?q=a*b.c-d_e",
    "https://shop.example//double//slash",
  ];
  it("is exactly what parsing the URL gives, for plain and odd URLs and values", () => {
    for (const u of urls) for (const set of [utm, odd]) expect(buildUtm(u, set), u).toBe(parsedUtm(u, set));
  });
});
