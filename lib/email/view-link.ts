import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { readSignedToken } from "./signed-token";

/**
 * "View in browser" links (`{{ view_url }}`): `/v/<token>`, the token naming the workspace and the
 * message, signed with the workspace secret (HMAC-SHA256 over "view:" and the body, so no other
 * token of ours verifies as one). Unguessable, and it opens that one message only.
 */

const payload = z.object({ w: z.uuid(), m: z.uuid() });
export type ViewToken = { workspaceId: string; messageId: string };

const MAC_BYTES = 16;
const macOf = (secret: string, body: string) => createHmac("sha256", secret).update(`view:${body}`).digest().subarray(0, MAC_BYTES);

export function signViewToken(secret: string, t: ViewToken): string {
  const body = Buffer.from(JSON.stringify({ w: t.workspaceId, m: t.messageId })).toString("base64url");
  return `${body}.${macOf(secret, body).toString("base64url")}`;
}

/** Reads a token without trusting it: the workspace id tells whose secret verifies it. */
export function peekViewToken(token: string): (ViewToken & { body: string; sig: string }) | null {
  const t = readSignedToken(token, 300, payload);
  return t ? { workspaceId: t.data.w, messageId: t.data.m, body: t.body, sig: t.sig } : null;
}

export function verifyViewToken(secret: string, token: string): ViewToken | null {
  const t = peekViewToken(token);
  if (!t) return null;
  const got = Buffer.from(t.sig, "base64url");
  const expected = macOf(secret, t.body);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return null;
  return { workspaceId: t.workspaceId, messageId: t.messageId };
}

export const viewUrl = (appUrl: string, secret: string, t: ViewToken) => `${appUrl}/v/${signViewToken(secret, t)}`;
