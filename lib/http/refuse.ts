import { BodyError, readCapped } from "../forms/body";
import { UNSTORABLE_MESSAGE, unstorableField } from "../storable";

/**
 * What proxy.ts refuses before Next reads a request, answered with a 4xx naming the part at fault.
 * Next itself would answer these with a 500: it decodes dynamic path segments (and fails on a
 * malformed escape), and it parses any multipart POST to a page, or any POST carrying a
 * `Next-Action` header, as a server action (and fails on a broken body or a foreign Origin).
 */

export type Refusal = { status: 400 | 403 | 413; message: string; field: string };

/** A path segment Next cannot decode, or a NUL in the path or a query parameter. */
export function unreadableUrl(url: URL): Refusal | undefined {
  for (const segment of url.pathname.split("/")) {
    if (!segment.includes("%")) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { status: 400, field: "path", message: "path: a %-escape is malformed or not UTF-8" };
    }
    if (decoded.includes("\0")) return { status: 400, field: "path", message: `path: ${UNSTORABLE_MESSAGE}` };
  }
  if (!url.search.includes("%00")) return undefined;
  const field = unstorableField(url.searchParams);
  return field === undefined ? undefined : { status: 400, field, message: `${field}: ${UNSTORABLE_MESSAGE}` };
}

/** Next's own limit on a server action's body (serverActions.bodySizeLimit, unset: 1 MB). */
export const ACTION_BODY_LIMIT = 1024 * 1024;

/**
 * Refuses a POST Next would decode as a server action when the decoding would throw: a foreign
 * or unreadable Origin, a body over Next's limit, a multipart body that does not parse, or React's
 * JSON-encoded arguments that are not JSON. Route handlers never decode actions and answer such
 * requests themselves: /api/…, the public /f/… and /u/… requests next.config.js rewrites to their
 * handlers (those with a body), and the workspace's preview routes (/w/<workspace>/<section>/preview,
 * lib/auth/action `actionRoute`).
 */
export async function brokenServerAction(req: Request, pathname: string): Promise<Refusal | undefined> {
  if (req.method !== "POST") return undefined;
  const type = req.headers.get("content-type");
  // Next's own tests (server-action-request-meta): a Next-Action header, or a multipart body.
  const multipart = type?.startsWith("multipart/form-data") ?? false;
  if (!req.headers.has("next-action") && !multipart) return undefined;
  const routeHandler = pathname.startsWith("/api/") || (type !== null && /^\/[fu]\//.test(pathname)) || /^\/w\/[^/]+\/[^/]+\/preview$/.test(pathname);
  if (routeHandler) return undefined;

  // As Next's CSRF check: the Origin's host must be the forwarded host, else the Host.
  const origin = req.headers.get("origin");
  if (origin !== null) {
    const originHost = origin === "null" ? "null" : URL.canParse(origin) ? new URL(origin).host : undefined;
    const host = req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || req.headers.get("host");
    if (originHost === undefined || originHost !== host) return { status: 403, field: "origin", message: "origin: forms may only be posted from this site" };
  }

  let bytes: Uint8Array;
  try {
    bytes = await readCapped(req, ACTION_BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyError) return { status: 413, field: "body", message: err.message };
    throw err;
  }
  if (!multipart) {
    const problem = encodedProblem(new TextDecoder().decode(bytes), "list");
    return problem ? { status: 400, field: "body", message: `body: ${problem}` } : undefined;
  }
  let form: FormData;
  try {
    form = await new Response(bytes as BodyInit, { headers: { "content-type": type! } }).formData();
  } catch {
    return { status: 400, field: "body", message: "body: not valid multipart/form-data" };
  }
  // React's encoded parts, each JSON: "0" (the arguments, a list), "1" … of a script's call;
  // "$ACTION_1:0" (the action), "$ACTION_1:1" … (its bound arguments) of a form posted without
  // JavaScript.
  if (req.headers.has("next-action") && !form.has("0")) return { status: 400, field: "0", message: "0: a server action's arguments are missing" };
  for (const [k, v] of form) {
    const shape = k === "0" ? "list" : /^\$ACTION_\d+:0$/.test(k) ? "object" : /^\d+$/.test(k) || /^\$ACTION_\d+:\d+$/.test(k) ? "any" : undefined;
    if (!shape) continue;
    const problem = typeof v === "string" ? encodedProblem(v, shape) : "a file, not text";
    if (problem) return { status: 400, field: k, message: `${k}: ${problem}` };
  }
  return undefined;
}

/** Deeper than any real call's arguments, shallow enough for React's recursive decoding. */
const MAX_ARGUMENT_DEPTH = 64;

/** What is wrong with one JSON-encoded part of a server action call, if anything. */
function encodedProblem(text: string, shape: "list" | "object" | "any"): string | undefined {
  if (jsonDepth(text) > MAX_ARGUMENT_DEPTH) return `nested deeper than ${MAX_ARGUMENT_DEPTH} levels`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "a server action's arguments are JSON";
  }
  if (shape === "list" && !Array.isArray(value)) return "a server action's arguments are a JSON list";
  if (shape === "object" && (typeof value !== "object" || value === null || Array.isArray(value))) return "a server action's descriptor is a JSON object";
  return undefined;
}

/** How deeply brackets nest in JSON text, strings aside (counted before parsing, so cheaply). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
