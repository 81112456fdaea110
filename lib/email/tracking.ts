import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { z } from "zod";
import type { UtmOverride } from "../flows/catalog";
import { escapeHtml, unescapeHtml } from "../html";
import type { TrackingSettings } from "./policy";
import { readSignedToken } from "./signed-token";

/**
 * Our own click redirect and open pixel. Each tracked link carries a token signed with the
 * workspace secret (HMAC-SHA256), naming the workspace, the message and the destination, so the
 * redirect cannot be turned into an open redirect and a forged token records nothing.
 */

const tokenPayload = z.object({ w: z.uuid(), m: z.uuid(), u: z.url({ protocol: /^https?$/ }).max(4000).optional() });
export type TrackingToken = { workspaceId: string; messageId: string; url?: string };

// One key object per secret: createHmac with a string secret imports the key on every call.
const keyObjects = new Map<string, KeyObject>();
function keyFor(secret: string): KeyObject {
  let k = keyObjects.get(secret);
  if (!k) {
    if (keyObjects.size >= 1000) keyObjects.clear();
    k = createSecretKey(Buffer.from(secret, "utf8"));
    keyObjects.set(secret, k);
  }
  return k;
}
// The first 16 bytes of HMAC-SHA256 over "track:" and the token's body.
const MAC_BYTES = 16;
const fullMac = (secret: string, body: string) => createHmac("sha256", keyFor(secret)).update(`track:${body}`).digest();
const mac = (secret: string, body: string) => fullMac(secret, body).subarray(0, MAC_BYTES);

export function signTrackingToken(secret: string, t: TrackingToken): string {
  const body = Buffer.from(JSON.stringify(t.url ? { w: t.workspaceId, m: t.messageId, u: t.url } : { w: t.workspaceId, m: t.messageId })).toString("base64url");
  // Encoded straight from the digest: signing runs for every link of every message.
  return `${body}.${fullMac(secret, body).toString("base64url", 0, MAC_BYTES)}`;
}

/** Reads a token without trusting it: the workspace id tells whose secret verifies it. */
export function peekTrackingToken(token: string): (TrackingToken & { body: string; sig: string }) | null {
  const t = readSignedToken(token, 6000, tokenPayload);
  if (!t) return null;
  return { workspaceId: t.data.w, messageId: t.data.m, url: t.data.u, body: t.body, sig: t.sig };
}

export function verifyTrackingToken(secret: string, token: string): TrackingToken | null {
  const t = peekTrackingToken(token);
  if (!t) return null;
  const expected = mac(secret, t.body);
  const got = Buffer.from(t.sig, "base64url");
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return null;
  return { workspaceId: t.workspaceId, messageId: t.messageId, url: t.url };
}

// A template's links are the same in most of its messages: each destination is built once.
// The cache keeps copies: the URL is a slice of the rendered message, and a key or value built
// from it would keep that whole message alive for as long as the entry lives (5,000 messages,
// tens of MB, promoted and collected again and again in the render worker).
const own = (x: string) => JSON.parse(JSON.stringify(x)) as string;
const utmCache = new Map<string, string>();

function withUtm(url: string, utm: Record<string, string>, utmKey: string): string {
  const key = `${url}\n${utmKey}`;
  let hit = utmCache.get(key);
  if (hit === undefined) {
    hit = buildUtm(url, utm);
    if (utmCache.size >= 5000) utmCache.clear();
    utmCache.set(own(key), own(hit));
  }
  return hit;
}

// A URL that parsing and printing would leave exactly as it is: lower-case ASCII host, no port,
// credentials or fragment, a path of plain characters without dot segments, and a query of plain
// key=value pairs (URLSearchParams would print them the same). Most links in mail are like this.
const PLAIN_URL = /^https?:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\/[A-Za-z0-9\-._~/]*(?:\?[A-Za-z0-9\-._*]+=[A-Za-z0-9\-._*]*(?:&[A-Za-z0-9\-._*]+=[A-Za-z0-9\-._*]*)*)?$/;
const DOT_SEGMENT = /\/\.{1,2}(?:[/?]|$)/;
const formPairs = new Map<string, string>();
const formPair = (k: string, v: string) => {
  const key = `${k}\n${v}`;
  let hit = formPairs.get(key);
  if (hit === undefined) {
    hit = new URLSearchParams([[k, v]]).toString();
    if (formPairs.size >= 1000) formPairs.clear();
    formPairs.set(key, hit);
  }
  return hit;
};

/** The URL with the UTM parameters it lacks; a plain URL without parsing it (the same result, a fifth of the time). */
export function buildUtm(url: string, utm: Record<string, string>): string {
  if (PLAIN_URL.test(url) && !DOT_SEGMENT.test(url)) {
    const q = url.indexOf("?");
    const keys = q < 0 ? [] : url.slice(q + 1).split("&").map((p) => p.slice(0, p.indexOf("=")));
    const add = Object.entries(utm).filter(([k]) => !keys.includes(k));
    return add.length === 0 ? url : `${url}${q < 0 ? "?" : "&"}${add.map(([k, v]) => formPair(k, v)).join("&")}`;
  }
  return parsedUtm(url, utm);
}

/** The same by parsing: what any URL gets, and what the plain path must agree with (unit-tested). */
export function parsedUtm(url: string, utm: Record<string, string>): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  for (const [k, v] of Object.entries(utm)) if (!u.searchParams.has(k)) u.searchParams.set(k, v);
  return u.toString();
}

export type TrackingScope = {
  appUrl: string;
  secret: string;
  workspaceId: string;
  messageId: string;
  settings: TrackingSettings;
  /** utm_campaign and utm_content: the flow and the node. */
  campaign: string | null;
  content: string | null;
  /** The send node's own UTM settings, which take precedence over the workspace's and the two above. */
  utm?: UtmOverride | null;
};

/** The UTM parameters a message's links get, or null for none. Pure; see the unit tests. */
export function utmParameters(s: Pick<TrackingScope, "settings" | "campaign" | "content" | "utm">): Record<string, string> | null {
  const node = s.utm ?? null;
  if (node ? node.off : !s.settings.utm) return null;
  const utm: Record<string, string> = {
    utm_source: node?.source || s.settings.utmSource,
    utm_medium: node?.medium || s.settings.utmMedium,
  };
  const campaign = node?.campaign || s.campaign;
  const content = node?.content || s.content;
  if (campaign) utm.utm_campaign = campaign;
  if (content) utm.utm_content = content;
  return utm;
}

/**
 * Rewrites a rendered message's links through the click redirect (UTM parameters added first)
 * and appends the open pixel. Links into the app itself (unsubscribe, preference centre) and
 * non-web links (mailto:, tel:) stay as they are.
 */
export function applyTracking(html: string, s: TrackingScope): string {
  const utm = utmParameters(s);
  const utmKey = utm ? JSON.stringify(utm) : "";
  const appPrefix = `${s.appUrl}/`;
  const pixel = s.settings.opens
    ? `<img src="${s.appUrl}/o/${signTrackingToken(s.secret, { workspaceId: s.workspaceId, messageId: s.messageId })}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px" />`
    : "";
  // The layout writes </body> in lower case, near the end: the pixel goes before the last one, in
  // the same pass that rewrites the links (one copy of the message, not two).
  const bodyEnd = pixel ? html.lastIndexOf("</body>") : -1;
  const out = html.replace(/href="(https?:\/\/[^"]+)"|<\/body>/gi, (m, raw: string | undefined, offset: number) => {
    if (raw === undefined) return offset === bodyEnd ? pixel + m : m;
    const url = unescapeHtml(raw);
    if (url.startsWith(appPrefix)) return m;
    const dest = utm ? withUtm(url, utm, utmKey) : url;
    if (!s.settings.clicks) return `href="${escapeHtml(dest)}"`;
    return `href="${s.appUrl}/r/${signTrackingToken(s.secret, { workspaceId: s.workspaceId, messageId: s.messageId, url: dest })}"`;
  });
  if (!pixel || bodyEnd >= 0) return out;
  // No lower-case </body>: before the first in any case, or at the end.
  return /<\/body>/i.test(out) ? out.replace(/<\/body>/i, `${pixel}</body>`) : out + pixel;
}

/** utm_campaign from a flow name: lower-case words joined by dashes. */
export const campaignSlug = (name: string) =>
  name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60) || "flow";

// Mail-security scanners, link checkers and HTTP libraries: their fetches are not people.
const SCANNER =
  /bot\b|bot\/|crawler|spider|preview|scan|proofpoint|mimecast|barracuda|symantec|messagelabs|trend ?micro|fortinet|fortiguard|sophos|safelinks|safe ?links|cisco|ironport|zscaler|forcepoint|checkpoint|libwww|python-requests|python-urllib|aiohttp|curl\/|wget|go-http-client|java\/|okhttp|axios|node-fetch|undici|headless|phantomjs|slurp|facebookexternalhit|skypeuripreview|microsoft office|ms-office|outlook-ios-linkpreview|whatsapp|slackbot|discordbot/i;

/** Within this long after delivery, activity is a prefetch or scan, not a person reading. */
export const BURST_AFTER_DELIVERY_MS = 10_000;

export type Activity = {
  kind: "open" | "click";
  method: string;
  userAgent: string | null;
  ip: string | null;
  at: number;
  /** When the message was sent, and delivered if the provider told us. */
  sentAt: number | null;
  deliveredAt: number | null;
  /** Clicks on other links of the same message in the last couple of seconds. */
  recentClicks?: number;
};

/** Why activity is judged machine-made, or null for a person. Pure; see the unit tests. */
export function machineReason(a: Activity): string | null {
  if (a.method.toUpperCase() === "HEAD") return "head-request";
  const ua = (a.userAgent ?? "").trim();
  if (ua === "") return "no-user-agent";
  if (SCANNER.test(ua)) return "scanner-agent";
  if (a.kind === "open" && (ua === "Mozilla/5.0" || isAppleProxyIp(a.ip))) return "apple-mail-privacy-protection";
  const delivered = Math.max(a.sentAt ?? 0, a.deliveredAt ?? 0);
  if (delivered > 0 && a.at - delivered >= -1_000 && a.at - delivered < BURST_AFTER_DELIVERY_MS) return "burst-after-delivery";
  if (a.kind === "click" && (a.recentClicks ?? 0) >= 2) return "click-burst";
  return null;
}

/** Apple's Mail Privacy Protection fetches images from Apple's 17.0.0.0/8 network. */
function isAppleProxyIp(ip: string | null): boolean {
  if (!ip) return false;
  const v4 = ip.replace(/^::ffff:/, "");
  return /^17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
