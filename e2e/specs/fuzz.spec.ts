import { createHash, createHmac, randomInt } from "node:crypto";
import { eq } from "drizzle-orm";
import { createApiKey } from "@/db/queries/api-keys";
import { forms, messages, workspaces } from "@/db/schema/index";
import { signTrackingToken } from "@/lib/email/tracking";
import { sessionCookieFor } from "../fixtures/sign-in";
import { testEnv } from "../fixtures/test-env";
import { expect, test } from "../fixtures/test";

/**
 * Garbage in, never a 5xx: a seeded stream of malformed requests (broken and mismatched
 * Content-Types, truncated multipart, invalid and deep JSON, NUL bytes and invalid UTF-8, large
 * headers, wrong methods, odd query strings and path segments, Next's own action and router
 * headers) against every public door of the running stack: the pages, the signup form and its
 * embeds, confirmation, unsubscribe, the open pixel and click redirect, the Resend webhook,
 * /api/inngest, the REST API, the tracking ingest and the local executor. Every answer must be
 * below 500 and carry no stack trace. The seed is printed; FUZZ_SEED=<n> replays a run.
 */

type Req = { target: string; method: string; url: string; headers: Record<string, string>; body?: Buffer };
type Rng = { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean };

/** Numbers from SHA-256 of "seed:block": the same sequence for the same seed on every machine. */
function rngFrom(seed: number): Rng {
  let block = 0;
  let bytes = Buffer.alloc(0);
  let at = 0;
  const next = () => {
    if (at === bytes.length) {
      bytes = createHash("sha256").update(`${seed}:${block++}`).digest();
      at = 0;
    }
    const v = bytes.readUInt32BE(at);
    at += 4;
    return v / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}

const REQUESTS = 2400;
const CONCURRENCY = 8;

// Text that is awkward for a server: NUL, lone surrogates, invalid percent escapes, markup, huge.
const oddText = (r: Rng): string =>
  r.pick([
    "\u0000",
    `a\u0000b`,
    "\ud800",
    "x\udfffy",
    "😀",
    "%",
    "%zz",
    "\\",
    "'; drop table contacts; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "../../etc/passwd",
    "a".repeat(r.pick([100, 300, 5000])),
    "",
    " ",
    "null",
    "-1",
    "1e400",
    "0000-01-01T00:00:00Z",
    "ok@example.com",
  ]);

// Every byte escaped; encodeURIComponent throws on a lone surrogate (which UTF-8 cannot carry anyway).
const percentEncoded = (s: string) => [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

// Percent-encoded pieces for URLs: NUL, invalid UTF-8, broken escapes, encoded slashes, huge.
const oddUrlPiece = (r: Rng): string =>
  r.pick([
    "%00",
    "a%00b",
    "%ff%fe",
    "%ed%a0%80",
    "%c3%28",
    "%e0%a4%a",
    "%",
    "%zz",
    "%2e%2e%2f%2e%2e%2fetc",
    "..%2f",
    "%2F",
    // Escaped escapes: a handler decoding twice would meet "%zz" or a NUL.
    "%25zz",
    "%2500",
    "50%25",
    "x".repeat(r.pick([200, 2000, 6000])),
    "%F0%9F%98%80",
    "__proto__",
    "constructor",
    "-",
    "0",
    percentEncoded(oddText(r)),
  ]);

function oddQuery(r: Rng, keys: readonly string[]): string {
  const n = 1 + r.int(4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.75) ? r.pick(keys) : oddUrlPiece(r);
    const shape = r.int(6);
    if (shape === 0) parts.push(key);
    else if (shape === 1) parts.push(`${key}[]=${oddUrlPiece(r)}`);
    else if (shape === 2) parts.push(`${key}=${oddUrlPiece(r)}&${key}=${oddUrlPiece(r)}`);
    else parts.push(`${key}=${oddUrlPiece(r)}`);
  }
  if (r.chance(0.1)) parts.push(`k=${"v".repeat(4000)}`);
  return `?${parts.join(r.chance(0.9) ? "&" : ";")}`;
}

const utf8 = (s: string) => Buffer.from(s, "utf8");
// Bytes that are not UTF-8: a lone continuation byte, an overlong NUL, an encoded surrogate, 0xFF.
const badBytes = () => Buffer.from([0x80, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0x00]);

function deepJson(r: Rng): string {
  const depth = r.pick([100, 1000, 5000, 20_000]);
  return r.chance(0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

function jsonBody(r: Rng, fields: Record<string, unknown>): Buffer {
  const shape = r.int(9);
  if (shape === 0) return utf8(JSON.stringify(fields).slice(0, r.int(40)));
  if (shape === 1) return utf8(deepJson(r));
  if (shape === 2) return utf8(r.pick(["[]", "null", "1", '"x"', "true", "{", "}", '{"a":}', "{'a':1}", '{"__proto__":{"x":1}}', "NaN"]));
  if (shape === 3) return Buffer.concat([utf8('{"email":"'), badBytes(), utf8('"}')]);
  if (shape === 4) {
    // Escapes JSON allows and Postgres does not store.
    const k = r.pick(Object.keys(fields).concat(["x"]));
    return utf8(JSON.stringify({ ...fields, [k]: r.pick(["\u0000", "\ud800", "a\udc00"]) }));
  }
  if (shape === 5) return utf8(JSON.stringify({ ...fields, nested: { ["k\u0000"]: { deep: ["\ud83d"] } } }));
  if (shape === 6) return utf8(JSON.stringify({ ...fields, [r.pick(Object.keys(fields).concat(["x"]))]: r.pick([{}, [], 1e308, -0, null, true, [["x"]], "x".repeat(70_000)]) }));
  if (shape === 7) return utf8(JSON.stringify(Object.fromEntries(Object.keys(fields).map((k) => [k, oddText(r)]))));
  return utf8(JSON.stringify(fields));
}

function urlencodedBody(r: Rng, fields: Record<string, string>): Buffer {
  const pairs = Object.entries(fields).map(([k, v]) => `${percentEncoded(k)}=${r.chance(0.5) ? oddUrlPiece(r) : percentEncoded(v)}`);
  if (r.chance(0.3)) pairs.push(`${oddUrlPiece(r)}=${oddUrlPiece(r)}`);
  if (r.chance(0.1)) pairs.push("&&==&=");
  const body = utf8(pairs.join("&"));
  return r.chance(0.15) ? Buffer.concat([body, utf8("&x="), badBytes()]) : body;
}

type Multipart = { type: string; body: Buffer };

function multipartBody(r: Rng, fields: Record<string, string>): Multipart {
  const boundary = r.pick(["----fuzz", "a", "x".repeat(70), "b\"q", "----WebKitFormBoundaryAbCdEf", "with space"]);
  const eol = r.chance(0.85) ? "\r\n" : "\n";
  const parts: Buffer[] = [];
  // React's root argument ("0") goes last, after the parts it refers to, as a browser sends it.
  const entries = Object.entries(fields).sort(([a], [b]) => Number(/^\d+$/.test(a)) - Number(/^\d+$/.test(b)));
  for (const [k, v] of entries) {
    const name = r.chance(0.1) ? oddText(r) : k;
    const value = r.chance(0.3) ? oddText(r) : v;
    const shape = r.int(10);
    let head = `Content-Disposition: form-data; name="${name}"`;
    if (shape === 0) head = `Content-Disposition: form-data; name="${name}"; filename="a.txt"${eol}Content-Type: application/octet-stream`;
    else if (shape === 1) head = "Content-Disposition: form-data";
    else if (shape === 2) head = `Content-Type: text/plain`;
    else if (shape === 3) head = `Content-Disposition: attachment; name=${name}`;
    else if (shape === 4) head = `Content-Disposition: form-data; name*=UTF-8''${oddUrlPiece(r)}`;
    parts.push(utf8(`--${boundary}${eol}${head}${eol}${eol}`), r.chance(0.1) ? badBytes() : utf8(value), utf8(eol));
  }
  if (r.chance(0.2)) parts.push(utf8(`--${boundary}${eol}${"X-Junk: ".padEnd(r.pick([100, 9000]), "j")}${eol}${eol}v${eol}`));
  const close = r.pick([`--${boundary}--${eol}`, `--${boundary}--`, "", `--${boundary}`, `--other--${eol}`, `--${boundary}--${eol}epilogue`]);
  let body = Buffer.concat([...parts, utf8(close)]);
  const cut = r.int(4);
  if (cut === 0) body = body.subarray(0, r.int(body.length + 1));
  const headerBoundary = r.pick([boundary, boundary, boundary, "other", "", `"${boundary}"`, `${boundary}; boundary=two`]);
  const type = r.pick([`multipart/form-data; boundary=${headerBoundary}`, `multipart/form-data; boundary=${headerBoundary}`, "multipart/form-data", "multipart/form-data; boundary=", `multipart/mixed; boundary=${headerBoundary}`, `MULTIPART/FORM-DATA; BOUNDARY=${headerBoundary}`]);
  return { type, body };
}

const brokenTypes = [
  "application/xml",
  "application/json; charset=utf-16",
  "text/plain;charset=x-user-defined",
  "application/x-www-form-urlencoded; charset=latin1",
  "*/*",
  ";;;",
  "multipart/form-data; boundary=\"unterminated",
  "application/octet-stream",
  "text/html",
  "image/gif",
  "application/x-www-form-urlencodedx",
  "multipart/form-data;boundary=--;boundary=++",
] as const;

/** A body with a content type: the right one, a mismatched one, a broken one, or none. */
function body(r: Rng, fields: Record<string, string>, expects: "form" | "json" | "any"): { type?: string; body?: Buffer } {
  const kind = r.int(expects === "json" ? 5 : 6);
  if (kind === 0) return { type: "application/json", body: jsonBody(r, fields) };
  if (kind === 1) return { type: "application/x-www-form-urlencoded", body: urlencodedBody(r, fields) };
  if (kind === 2 || kind === 5) {
    const m = multipartBody(r, fields);
    return { type: m.type, body: m.body };
  }
  if (kind === 3) {
    // Mismatched: the header says one thing, the body is another.
    const m = multipartBody(r, fields);
    const b = r.pick([m.body, jsonBody(r, fields), urlencodedBody(r, fields)]);
    return { type: r.pick(["application/json", "application/x-www-form-urlencoded", `multipart/form-data; boundary=----fuzz`, "text/plain"]), body: b };
  }
  return r.chance(0.3) ? {} : { type: r.pick(brokenTypes), body: r.chance(0.5) ? badBytes() : jsonBody(r, fields) };
}

type Ctx = {
  app: string;
  tracking: string;
  executor: string | undefined;
  slug: string;
  formSlug: string;
  unsubscribeToken: string;
  providerMessageId: string;
  webhookSecret: string | undefined;
  trackingToken: string;
  clickToken: string;
  contactId: string;
  secretKey: string;
  publicKey: string;
  cookie: string;
  csrfToken: string;
  csrfCookie: string;
  actionIds: string[];
};

/** A server action call as React encodes it (form fields as "_1_<name>", arguments in "0"), mangled. */
const reactArgs = (r: Rng, slug: string): Record<string, string> => ({
  _1_workspace: slug,
  _1_email: r.chance(0.5) ? "fuzz-action@example.com" : oddText(r),
  _1_firstName: oddText(r),
  _1_name: oddText(r),
  "0": r.pick(['["$undefined","$K1"]', '["$K1"]', '["$undefined","$K9"]', '["$Q1"]', '["$@1"]', '["$W1"]', '["$h1"]', '[{"then":"$1:then"}]', '"$T"', '["$n99999999999999999999"]', '["$D garbage"]', "[", '{"a":1}', "[]"]),
});

/** Headers that change how Next handles a request: actions, RSC, prefetch, routing. */
function nextHeaders(r: Rng, ctx: Ctx): Record<string, string> {
  const h: Record<string, string> = {};
  if (r.chance(0.5)) h["next-action"] = r.pick([...ctx.actionIds, ...ctx.actionIds, "x", "", "0".repeat(42), "7f".padEnd(42, "f"), oddUrlPiece(r)]);
  if (r.chance(0.3)) h.rsc = r.pick(["1", "0", "x"]);
  if (r.chance(0.3)) h["next-router-state-tree"] = r.pick(["garbage", "%7B%7D", encodeURIComponent(deepJson(r).slice(0, 4000)), encodeURIComponent('["",{"children":["__PAGE__",{}]},null,null,true]'), "%E0%A4%A"]);
  if (r.chance(0.2)) h["next-router-prefetch"] = r.pick(["1", "2", "x"]);
  if (r.chance(0.2)) h["next-router-segment-prefetch"] = r.pick(["/_tree", "/x", "garbage", "%00"]);
  if (r.chance(0.1)) h["next-url"] = r.pick(["/w/x", "%00", "garbage"]);
  if (r.chance(0.1)) h["x-middleware-subrequest"] = "proxy:proxy:proxy:proxy:proxy";
  return h;
}

/** Headers any client may send, some of them odd: cross-site origins, forged proxies, large values. */
function oddHeaders(r: Rng, ctx: Ctx): Record<string, string> {
  const h: Record<string, string> = {};
  // A fresh address per request: the signup form's per-IP limit must not hide what lies behind it.
  h["x-forwarded-for"] = r.chance(0.9) ? `198.18.${r.int(256)}.${r.int(256)}` : r.pick(["garbage", "1.2.3.4, , ::ffff:", "999.1.1.1", "::1"]);
  if (r.chance(0.4)) h.origin = r.pick([new URL(ctx.app).origin, new URL(ctx.app).origin, "https://evil.example", "null", "http://", "garbage"]);
  if (r.chance(0.2)) h.accept = r.pick(["application/json", "text/html", "*/*", "image/*", "garbage;q=x"]);
  if (r.chance(0.1)) h.referer = r.pick(["javascript:alert(1)", "garbage", "https://landing.example/"]);
  if (r.chance(0.1)) h.cookie = r.pick(["authjs.session-token=garbage", "a=%00", "authjs.session-token=", "=;=;"]);
  if (r.chance(0.1)) h["x-forwarded-host"] = r.pick(["evil.example", "garbage:99999", ""]);
  if (r.chance(0.1)) h["x-large"] = "h".repeat(r.pick([1000, 8000, 12_000]));
  if (r.chance(0.05)) for (let i = 0; i < 60; i++) h[`x-junk-${i}`] = String(i);
  return h;
}

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const method = (r: Rng, usual: string) => (r.chance(0.7) ? usual : r.pick(methods));

/** One malformed request against one door, chosen by the seed. */
function generate(r: Rng, ctx: Ctx): Req {
  const door = r.int(16);
  const h = oddHeaders(r, ctx);
  const withBody = (target: string, m: string, url: string, fields: Record<string, string>, expects: "form" | "json" | "any", extra: Record<string, string> = {}): Req => {
    const b = m === "GET" || m === "HEAD" ? (r.chance(0.1) ? body(r, fields, expects) : {}) : body(r, fields, expects);
    const headers = { ...h, ...extra, ...(b.type !== undefined ? { "content-type": b.type } : {}) };
    return { target, method: m, url, headers, body: b.body };
  };
  const form = { email: "fuzz@example.com", first_name: "Fuzz", topics: "news", website: "", _t: "1" };
  switch (door) {
    case 0:
    case 1: {
      // Page routes: the landing page, sign-in and its confirmation page; posts look like server actions.
      const path = r.pick(["/", "/sign-in", "/sign-in/confirm", "/sign-in/check-email", "/sign-in/error", "/invite/garbage-token-123"]);
      const q = r.chance(0.5) ? oddQuery(r, ["callbackUrl", "token", "email", "error", "_rsc", "q"]) : "";
      const actionFields = { [`$ACTION_ID_${r.pick(ctx.actionIds)}`]: "", $ACTION_REF_1: "", "$ACTION_1:0": r.pick(['{"id":"x","bound":"$@1"}', "garbage", `{"id":"${r.pick(ctx.actionIds)}","bound":"$@1"}`]), "$ACTION_1:1": r.pick(['["$undefined"]', "[", "null"]), $ACTION_KEY: "k1", email: "fuzz@example.com" };
      const fields = r.pick([actionFields, actionFields, reactArgs(r, ctx.slug), form]);
      return withBody("page", method(r, "POST"), `${ctx.app}${path}${q}`, fields, "form", nextHeaders(r, ctx));
    }
    case 2: {
      // A workspace page, signed in: search and cursors in the query, action posts.
      const path = r.pick(["/contacts", "/contacts/new", "/segments", "/settings/audit", "/flows", "/forms", "/reports", "/reports/export", ""]);
      const q = r.chance(0.2) ? `?from=${r.pick(["0000-01-01", "9999-12-31", "2026-02-30", oddUrlPiece(r)])}&to=${r.pick(["0000-01-05", "9999-12-31", "2026-03-01"])}` : oddQuery(r, ["q", "status", "after", "before", "action", "range", "view"]);
      const cookie = r.chance(0.85) ? ctx.cookie : "authjs.session-token=garbage";
      const fields = r.chance(0.5) ? reactArgs(r, ctx.slug) : { workspace: ctx.slug, email: "a@b.co", first_name: oddText(r) };
      return withBody("workspace page", method(r, r.chance(0.5) ? "POST" : "GET"), `${ctx.app}/w/${r.chance(0.9) ? ctx.slug : oddUrlPiece(r)}${path}${q}`, fields, "form", { ...nextHeaders(r, ctx), cookie });
    }
    case 3:
    case 4: {
      // The signup form's one submit endpoint, hosted and embedded.
      const slug = r.chance(0.85) ? ctx.formSlug : oddUrlPiece(r);
      const q = r.chance(0.3) ? oddQuery(r, ["embed", "submitted"]) : r.pick(["", "?embed=1"]);
      return withBody("form submit", method(r, "POST"), `${ctx.app}/f/${slug}${q}`, form, "any");
    }
    case 5: {
      const slug = r.chance(0.7) ? ctx.formSlug : oddUrlPiece(r);
      const path = r.pick([`/f/${slug}/embed.js`, `/f/${slug}`, `/f/${slug}?submitted=${oddUrlPiece(r)}`, `/tillit.js`, `/tillit.js${oddQuery(r, ["k"])}`]);
      return withBody("form embeds", method(r, "GET"), `${ctx.app}${path}`, form, "any", nextHeaders(r, ctx));
    }
    case 6: {
      const token = r.pick([oddUrlPiece(r), "x".repeat(40), `${oddUrlPiece(r)}.${oddUrlPiece(r)}`]);
      return withBody("confirm", method(r, "POST"), `${ctx.app}/f/confirm/${token}`, { confirm: "1" }, "any");
    }
    case 7:
    case 8: {
      // Unsubscribe: the preference centre (GET) and RFC 8058 one-click (POST).
      const token = r.chance(0.6) ? ctx.unsubscribeToken : oddUrlPiece(r);
      const fields = r.pick<Record<string, string>>([{ "List-Unsubscribe": "One-Click" }, { action: "preferences", topics: "news" }, { action: "unsubscribe_all" }, { action: oddText(r) }]);
      return withBody("unsubscribe", method(r, r.chance(0.5) ? "POST" : "GET"), `${ctx.app}/u/${token}${r.chance(0.2) ? oddQuery(r, ["x"]) : ""}`, fields, "form");
    }
    case 9: {
      // Tracking: the open pixel and the click redirect.
      const kind = r.pick(["o", "r"]);
      const good = kind === "o" ? ctx.trackingToken : ctx.clickToken;
      const token = r.pick([good, `${good.slice(0, -3)}${oddUrlPiece(r)}`, oddUrlPiece(r), `${Buffer.from(oddText(r)).toString("base64url")}.${oddUrlPiece(r)}`, `${good}.gif`]);
      return withBody("tracking links", method(r, "GET"), `${ctx.app}/${kind}/${token}${r.chance(0.2) ? oddQuery(r, ["u"]) : ""}`, {}, "any");
    }
    case 10: {
      // Resend's webhook: unsigned garbage, and garbage signed with the real secret, about a real message.
      const payload = {
        type: r.pick(["email.delivered", "email.bounced", "email.clicked", "email.opened", "email.complained", oddText(r)]),
        created_at: r.pick([new Date().toISOString(), "0000-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", oddText(r)]),
        data: {
          email_id: r.chance(0.8) ? ctx.providerMessageId : oddText(r),
          bounce: { type: r.pick(["Permanent", "Transient", oddText(r)]), message: oddText(r) },
          click: { ipAddress: oddText(r), link: oddText(r), timestamp: r.pick(["2026-01-01T00:00:00Z", "-271821-04-20T00:00:00Z", oddText(r)]), userAgent: oddText(r) },
        },
      };
      const b = r.chance(0.7) ? { type: "application/json", body: jsonBody(r, payload) } : body(r, {}, "json");
      const id = r.pick(["msg_1", "", oddUrlPiece(r).slice(0, 100)]);
      const timestamp = r.pick([String(Math.floor(Date.now() / 1000)), "x", "-1", "99999999999999999999"]);
      const signed = ctx.webhookSecret && r.chance(0.6);
      const signature = signed ? `v1,${createHmac("sha256", Buffer.from(ctx.webhookSecret!.replace(/^whsec_/, ""), "base64")).update(`${id}.${timestamp}.${(b.body ?? Buffer.alloc(0)).toString("utf8")}`).digest("base64")}` : r.pick(["v1,garbage", "", "v1,", "v1,AAAA v1,BBBB"]);
      const svix: Record<string, string> = r.chance(0.9) ? { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature } : {};
      const m = method(r, "POST");
      return { target: "resend webhook", method: m, url: `${ctx.app}/api/webhooks/resend${r.chance(0.2) ? oddQuery(r, ["x"]) : ""}`, headers: { ...h, ...svix, ...(b.type ? { "content-type": b.type } : {}) }, body: m === "GET" || m === "HEAD" ? undefined : b.body };
    }
    case 11: {
      const q = r.chance(0.7) ? oddQuery(r, ["fnId", "stepId", "probe", "deployId"]) : "";
      const inngest: Record<string, string> = r.chance(0.5) ? { "x-inngest-signature": r.pick(["t=1&s=garbage", "garbage", ""]), "x-inngest-framework": "x" } : {};
      return withBody("/api/inngest", r.pick(["GET", "POST", "PUT", r.pick(methods)]), `${ctx.app}/api/inngest${q}`, { event: "x", steps: "{}", ctx: "{}" }, "json", inngest);
    }
    case 12: {
      // The REST API with a valid secret key.
      const auth = { authorization: r.chance(0.9) ? `Bearer ${ctx.secretKey}` : r.pick(["Bearer ", "Bearer %00", "Basic x", "garbage"]) };
      const path = r.pick([
        `/api/v1/contacts${oddQuery(r, ["search", "limit", "cursor"])}`,
        `/api/v1/contacts/${r.chance(0.5) ? ctx.contactId : oddUrlPiece(r)}`,
        `/api/v1/contacts/${ctx.contactId}/tags/${oddUrlPiece(r)}`,
        `/api/v1/contacts/${ctx.contactId}/events${oddQuery(r, ["limit", "cursor", "name"])}`,
        `/api/v1/contacts/${ctx.contactId}/subscriptions`,
        "/api/v1/events",
        "/api/v1/topics",
        "/api/v1/flows",
      ]);
      return withBody("REST API", method(r, r.pick(["GET", "POST", "PATCH", "PUT"])), `${ctx.app}${path}`, { email: "api@example.com", first_name: "A", name: "Evt", tags: "x", topics: "x" }, "json", auth);
    }
    case 13: {
      // Auth.js's own routes; some posts carry a real CSRF token and its cookie, so they get past it.
      const path = r.pick(["/api/auth/session", "/api/auth/csrf", "/api/auth/providers", "/api/auth/signin/email", "/api/auth/signin/email", "/api/auth/callback/email", "/api/auth/signout", `/api/auth/${oddUrlPiece(r)}`]);
      const csrf = r.chance(0.6);
      const extra: Record<string, string> = csrf ? { cookie: ctx.csrfCookie } : r.chance(0.2) ? { cookie: `authjs.callback-url=${r.pick(["-", "javascript%3Aalert(1)", "%2Fw", "https%3A%2F%2Fevil.example"])}` } : {};
      const fields = { email: r.chance(0.5) ? oddText(r) : "fuzz-auth@example.com", csrfToken: csrf ? ctx.csrfToken : "x", callbackUrl: r.pick(["/w", "-", oddText(r)]) };
      return withBody("auth routes", method(r, r.chance(0.5) ? "POST" : "GET"), `${ctx.app}${path}${r.chance(0.5) ? oddQuery(r, ["token", "email", "callbackUrl", "csrfToken"]) : ""}`, fields, "form", extra);
    }
    case 14: {
      // The tracking ingest (Segment-compatible), with a valid public key most of the time.
      const path = r.pick(["/v1/identify", "/v1/track", "/v1/page", "/v1/batch", "/api/v1/track", "/health", `/v1/${oddUrlPiece(r)}`]);
      const auth: Record<string, string> = r.chance(0.85) ? { authorization: `Basic ${Buffer.from(`${ctx.publicKey}:`).toString("base64")}` } : r.chance(0.5) ? { authorization: r.pick(["Basic !!!", "Basic ", "Bearer x"]) } : {};
      const msg = { userId: "u-1", event: "Fuzzed", type: "track", timestamp: r.pick(["2026-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", "1", "garbage"]), sentAt: r.pick(["2026-01-01T00:00:00Z", "-271821-04-20T00:00:00Z", "x"]) };
      const payload = path.endsWith("batch") && r.chance(0.7) ? { batch: [msg, { ...msg, type: "identify", traits: { email: oddText(r) } }] } : msg;
      const b = r.chance(0.6) ? { type: "application/json", body: jsonBody(r, payload) } : body(r, payload as unknown as Record<string, string>, "json");
      return { target: "tracking ingest", method: method(r, "POST"), url: `${ctx.tracking}${path}`, headers: { ...h, ...auth, ...(b.type ? { "content-type": b.type } : {}) }, body: b.body };
    }
    default: {
      // The local Inngest executor's port. Bodies are never valid function registrations: other
      // specs share this executor.
      const base = ctx.executor ?? ctx.app;
      const path = r.pick(["/e/key", `/e/${oddUrlPiece(r)}`, "/fn/register", "/api/runs", `/api/runs/${oddUrlPiece(r)}`, `/api/runs${oddQuery(r, ["status", "limit"])}`, `/v1/checkpoint/${oddUrlPiece(r)}/async`, "/clock", "/clock/advance", "/api/functions", "/health", "/", `/${oddUrlPiece(r)}`]);
      return withBody("executor", method(r, path.startsWith("/e/") || path.includes("checkpoint") ? "POST" : "GET"), `${base}${path}`, { name: oddText(r), data: "{}", url: "not a url" }, "json");
    }
  }
}

// A stack trace or a server path in a body means an error escaped its handler.
const stackTrace = /\n\s+at [^\n]*:\d+:\d+|\/\.next\/server\/|node_modules\/|webpack-internal:/;

function describeRequest(i: number, q: Req): string {
  const body = q.body === undefined ? "" : ` body=${JSON.stringify(q.body.subarray(0, 300).toString("latin1"))}${q.body.length > 300 ? `…(${q.body.length} bytes)` : ""}`;
  const headers = Object.entries(q.headers)
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`)
    .join(" | ");
  return `#${i} [${q.target}] ${q.method} ${q.url.length > 300 ? `${q.url.slice(0, 300)}…` : q.url} {${headers}}${body}`;
}

test("a malformed multipart POST to a page route is a 400, not a 500", async ({ request }) => {
  for (const path of ["/", "/sign-in", "/sign-in/confirm"]) {
    for (const [type, body] of [
      ["multipart/form-data; boundary=zzz", "--nope\r\n\r\n"],
      ["multipart/form-data", "x"],
      ["multipart/form-data; boundary=a", '--a\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated'],
    ] as const) {
      const r = await request.post(path, { headers: { "content-type": type }, data: Buffer.from(body), maxRedirects: 0 });
      expect(r.status(), `${path} ${type}`).toBe(400);
      expect(await r.text()).toContain("multipart/form-data");
    }
  }
});

test("a query value naming one of Object's own properties is a plain value", async ({ request }) => {
  for (const error of ["constructor", "toString", "__proto__"]) {
    const r = await request.get(`/sign-in/error?error=${error}`);
    expect(r.status(), error).toBe(200);
    expect(await r.text()).toContain("Something went wrong while signing you in.");
  }
});

test("2,400 malformed requests across every public door: no 5xx, no stack traces", async ({ request, db, workspace }) => {
  // About 20 s on a quiet 2-core machine; generous for one shared with other work.
  test.setTimeout(240_000);
  const e = testEnv();
  const seed = e.FUZZ_SEED ?? randomInt(2 ** 31);
  console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npm test -- e2e fuzz.spec)`);
  test.info().annotations.push({ type: "fuzz seed", description: String(seed) });

  const ws = workspace.workspace;
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, ws.id));
  const formSlug = `fuzz-${ws.slug}`;
  await db.insert(forms).values({ workspaceId: ws.id, name: "Fuzz", slug: formSlug, status: "live", doubleOptIn: true, consentWording: "Yes", config: { fields: [{ key: "first_name", label: "First name" }], topics: ["news"] } });
  const contact = workspace.contacts[0]!;
  const unsubscribeToken = `fuzz${ws.slug.replace(/-/g, "")}unsubscribetoken`;
  const providerMessageId = `fuzz-${ws.slug}`;
  const [msg] = await db
    .insert(messages)
    .values({ workspaceId: ws.id, contactId: contact.id, class: "marketing", toEmail: contact.email, subject: "S", status: "sent", sentAt: new Date(), unsubscribeToken, providerMessageId })
    .returning({ id: messages.id });
  const secret = await createApiKey(db, { workspaceId: ws.id, name: "Fuzz", kind: "secret", createdBy: workspace.owner.id });
  const pub = await createApiKey(db, { workspaceId: ws.id, name: "Fuzz site", kind: "public", createdBy: workspace.owner.id });
  const session = await sessionCookieFor(db, workspace.owner.id, e.E2E_BASE_URL!);
  const cookie = `${session.name}=${session.value}`;

  // Real server action ids, as anyone reads them from a page's HTML: garbage sent to a real action
  // reaches its decoding and its code, not just Next's "unknown action" answer.
  const actionIds = new Set<string>();
  for (const [path, headers] of [["/sign-in", {}], [`/w/${ws.slug}/contacts/new`, { cookie }]] as const) {
    const html = await (await request.get(path, { headers })).text();
    // The forms' own actions; not the header's sign-out button, which would end the session used here.
    for (const m of html.matchAll(/&quot;id&quot;:&quot;([0-9a-f]{40,})&quot;/g)) actionIds.add(m[1]!);
  }
  expect(actionIds.size, "server action ids found on the sign-in and new-contact pages").toBeGreaterThan(0);
  const csrf = await request.get("/api/auth/csrf", { headers: { cookie: "fuzz=1" } });
  const csrfToken = ((await csrf.json()) as { csrfToken: string }).csrfToken;
  const csrfCookie = csrf.headersArray().find((h) => h.name.toLowerCase() === "set-cookie" && h.value.startsWith("authjs.csrf-token="))!.value.split(";")[0]!;

  const ctx: Ctx = {
    app: e.E2E_BASE_URL!,
    tracking: e.E2E_TRACKING_URL!,
    executor: e.E2E_EXECUTOR_URL,
    slug: ws.slug,
    formSlug,
    unsubscribeToken,
    providerMessageId,
    webhookSecret: e.app.RESEND_WEBHOOK_SECRET,
    trackingToken: signTrackingToken(row!.secret, { workspaceId: ws.id, messageId: msg!.id }),
    clickToken: signTrackingToken(row!.secret, { workspaceId: ws.id, messageId: msg!.id, url: "https://shop.example/" }),
    contactId: contact.id,
    secretKey: secret.key,
    publicKey: pub.key,
    cookie,
    csrfToken,
    csrfCookie,
    actionIds: [...actionIds],
  };

  // Generated up front from the seed alone, so the same seed sends the same requests whatever
  // order the answers come back in.
  const rng = rngFrom(seed);
  const reqs = Array.from({ length: REQUESTS }, () => generate(rng, ctx));
  const failures: string[] = [];
  const byTarget = new Map<string, { n: number; ms: number }>();
  let next = 0;
  let closed = 0;
  const slowest: [number, number][] = [];
  const started = Date.now();
  const worker = async () => {
    while (next < reqs.length) {
      const i = next++;
      const q = reqs[i]!;
      let status: number;
      let text: string;
      const sent = Date.now();
      try {
        // A cookie header of its own keeps the context's cookie jar (filled by earlier answers) out.
        const headers = { cookie: "fuzz=1", ...q.headers };
        const res = await request.fetch(q.url, { method: q.method, headers, data: q.body, maxRedirects: 0, failOnStatusCode: false, timeout: 20_000 });
        status = res.status();
        text = (await res.body()).toString("utf8");
        const ms = Date.now() - sent;
        slowest.push([ms, i]);
        const t = byTarget.get(q.target) ?? { n: 0, ms: 0 };
        byTarget.set(q.target, { n: t.n + 1, ms: t.ms + ms });
      } catch (err) {
        // The server closing a connection on an oversized body is an answer too; anything else is not.
        const message = (err as Error).message;
        if (/ECONNRESET|socket hang up|EPIPE/.test(message)) {
          closed++;
          continue;
        }
        failures.push(`${describeRequest(i, q)} → request failed: ${message.split("\n")[0]}`);
        continue;
      }
      if (status >= 500) failures.push(`${describeRequest(i, q)} → ${status} ${JSON.stringify(text.slice(0, 200))}`);
      else if (stackTrace.test(text)) failures.push(`${describeRequest(i, q)} → ${status} with a stack trace: ${JSON.stringify(text.match(stackTrace)![0])}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`fuzz: ${reqs.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...byTarget].map(([t, { n, ms }]) => `${t} ${n} in ${(ms / 1000).toFixed(1)} s`).join(", ")}); ${closed} connections closed by the server`);

  slowest.sort((a, b) => b[0] - a[0]);
  console.log(`fuzz: slowest answers:\n${slowest.slice(0, 5).map(([ms, i]) => `  ${ms} ms ${describeRequest(i, reqs[i]!).slice(0, 300)}`).join("\n")}`);

  // Still serving after all that.
  expect((await request.get("/api/health")).status()).toBe(200);
  expect(failures, `seed ${seed}: ${failures.length} requests answered 5xx or leaked a stack trace:\n${failures.join("\n")}`).toEqual([]);
});
