import { describe, expect, it } from "vitest";
import { applyTracking, machineReason, signTrackingToken, verifyTrackingToken } from "./tracking";

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
    const js = signTrackingToken("s1", { workspaceId: W, messageId: M, url: "javascript:alert(1)" as string });
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
