import type { z } from "zod";

/**
 * The shape our signed links share (tracking, view in browser): `<base64url JSON body>.<base64url MAC>`.
 * Reads one without trusting it: the body parsed against `schema`, or null for anything else. Each
 * kind of token verifies its MAC itself, with its own domain prefix.
 */
export function readSignedToken<T>(token: string, maxLength: number, schema: z.ZodType<T>): { data: T; body: string; sig: string } | null {
  if (token.length > maxLength) return null;
  const [body, sig, ...rest] = token.split(".");
  if (!body || !sig || rest.length > 0) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const p = schema.safeParse(json);
  return p.success ? { data: p.data, body, sig } : null;
}
