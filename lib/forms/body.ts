import { UNSTORABLE_MESSAGE, unstorableField } from "../storable";
import type { RawFields } from "./config";

/**
 * Reads a public POST body — urlencoded, multipart or JSON — into field → values, refusing
 * anything else with a reason. The size is capped while reading, so a huge body costs at most
 * the cap.
 */

export const MAX_BODY_BYTES = 64 * 1024;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
    /** The field at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Reads a body of at most `cap` bytes; over it, stops reading and throws a 413. */
export async function readCapped(req: Request, cap: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > cap) throw new BodyError(413, `body too large: at most ${cap} bytes`);
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => undefined);
      throw new BodyError(413, `body too large: at most ${cap} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function add(out: RawFields, k: string, v: string) {
  (out[k] ??= []).push(v);
}

export async function readFields(req: Request, cap = MAX_BODY_BYTES): Promise<RawFields> {
  const fields = await parseFields(req, cap);
  const bad = unstorableField(Object.entries(fields));
  if (bad !== undefined) throw new BodyError(400, `${bad}: ${UNSTORABLE_MESSAGE}`, bad);
  return fields;
}

async function parseFields(req: Request, cap: number): Promise<RawFields> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const bytes = await readCapped(req, cap);
  // No prototype: a field named "constructor" or "__proto__" is a field like any other.
  const out: RawFields = Object.create(null) as RawFields;
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    for (const [k, v] of new URLSearchParams(text)) add(out, k, v);
    return out;
  }
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await new Response(bytes as BodyInit, { headers: { "content-type": req.headers.get("content-type")! } }).formData();
    } catch {
      throw new BodyError(400, "body is not valid multipart/form-data");
    }
    for (const [k, v] of form) {
      if (typeof v === "string") add(out, k, v);
      else throw new BodyError(400, `${k}: files are not accepted`, k);
    }
    return out;
  }
  if (type.startsWith("application/json") || type.startsWith("text/plain")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new BodyError(400, "body is not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new BodyError(400, "body must be a JSON object of fields");
    for (const [k, v] of Object.entries(parsed)) {
      const values = Array.isArray(v) ? v : [v];
      for (const x of values) {
        if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") add(out, k, String(x));
        else if (x !== null) throw new BodyError(400, `${k}: must be a string, number, boolean or a list of them`, k);
      }
    }
    return out;
  }
  throw new BodyError(415, "send the form as application/x-www-form-urlencoded, multipart/form-data or application/json");
}
