import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed, stateless tokens under the workspace secret:
 *  - the render stamp a form carries (`_t`), for the minimum fill time;
 *  - the double opt-in confirmation link, naming the contact, the opt-in event it confirms and
 *    when it expires. Replaying a confirmation is harmless (confirming twice changes nothing).
 */

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const sign = (secret: string, purpose: string, body: string) => createHmac("sha256", secret).update(`${purpose}.${body}`).digest("base64url");

function sameSignature(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function renderStamp(secret: string, formId: string, atMs: number): string {
  const body = `${formId}:${atMs}`;
  return `${b64(body)}.${sign(secret, "stamp", body)}`;
}

/** When the form was rendered, if the stamp is ours and for this form. */
export function readRenderStamp(secret: string, formId: string, stamp: string): number | undefined {
  const [encoded, sig, extra] = stamp.split(".");
  if (!encoded || !sig || extra !== undefined) return undefined;
  const body = Buffer.from(encoded, "base64url").toString();
  if (!sameSignature(sig, sign(secret, "stamp", body))) return undefined;
  const [id, at] = body.split(":");
  return id === formId && at && /^\d+$/.test(at) ? Number(at) : undefined;
}

export type ConfirmationClaims = {
  workspaceId: string;
  contactId: string;
  optInEventId: string;
  expiresAtMs: number;
  /** A re-permission request's link: the confirmation names that request (docs/forms-and-consent.md#re-permission). */
  requestId?: string;
};

/** `<workspaceId>.<payload>.<signature>`: the workspace id in the clear picks the secret to check with. */
export function confirmationToken(secret: string, c: ConfirmationClaims): string {
  const body = b64(JSON.stringify({ c: c.contactId, e: c.optInEventId, x: c.expiresAtMs, ...(c.requestId ? { r: c.requestId } : {}) }));
  return `${c.workspaceId}.${body}.${sign(secret, `confirm:${c.workspaceId}`, body)}`;
}

export function tokenWorkspace(token: string): string | undefined {
  const id = token.split(".")[0] ?? "";
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : undefined;
}

export function readConfirmationToken(secret: string, token: string): ConfirmationClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [workspaceId, body, sig] = parts as [string, string, string];
  if (!sameSignature(sig, sign(secret, `confirm:${workspaceId}`, body))) return undefined;
  try {
    const p = JSON.parse(Buffer.from(body, "base64url").toString()) as { c?: unknown; e?: unknown; x?: unknown; r?: unknown };
    if (typeof p.c !== "string" || typeof p.e !== "string" || typeof p.x !== "number") return undefined;
    if (p.r !== undefined && typeof p.r !== "string") return undefined;
    return { workspaceId, contactId: p.c, optInEventId: p.e, expiresAtMs: p.x, ...(p.r ? { requestId: p.r } : {}) };
  } catch {
    return undefined;
  }
}
