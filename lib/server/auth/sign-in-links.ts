import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { AuthError } from "next-auth";
import type { Db } from "@/db/client";
import { dropSignInLink, reserveSignInLink } from "@/db/queries/sign-in";
import { RateLimiter } from "@/lib/forms/rate-limit";
import { requestIp } from "@/lib/client-ip";

/**
 * The caps on sign-in mail, enforced where the mail is sent (Auth.js's sendVerificationRequest), so
 * the sign-in page and Auth.js's own POST /api/auth/signin/email both honour them:
 *  - per address: 3 links in 10 minutes, counted in Postgres (every server process sees them);
 *  - per network (the requester's IP as the signup forms tell it, X-Forwarded-For believed only
 *    from TRUSTED_PROXIES): a burst of 20, then one every 3 minutes, i.e. 20 an hour. In memory,
 *    per server process, like the signup forms' limits: with N app instances a network gets N×.
 */
const LINKS_PER_ADDRESS = 3;
const ADDRESS_WINDOW_MS = 10 * 60_000;
// On globalThis: Next bundles route handlers and pages (with their server actions) apart, each
// with its own copy of this module, and both paths must draw on one budget per process.
const g = globalThis as unknown as { __tillitSignInPerNetwork?: RateLimiter };
const perNetwork = (g.__tillitSignInPerNetwork ??= new RateLimiter({ burst: 20, perMinute: 20 / 60 }));

/** Auth.js's error page reads this as `?error=`; the page says why no link came. */
export const REFUSED_ERROR_CODE = "TooManySignInLinks";

export class SignInLinkRefused extends AuthError {
  static type = REFUSED_ERROR_CODE;
  constructor(readonly reason: "address" | "network") {
    super(`no sign-in link sent: too many for this ${reason}`);
  }
}

// Auth.js turns any error it does not know into "Configuration" on its error page; the HTTP
// handler learns of a refusal through this instead, to name it (answerRefusals).
const refusals = new AsyncLocalStorage<{ refused?: SignInLinkRefused }>();

/**
 * Stores the link and sends its mail, or refuses (SignInLinkRefused) with nothing stored or sent.
 * A link whose mail fails is withdrawn, so an outage does not use up an address's links.
 */
export async function sendCappedSignInLink(
  db: Db,
  link: { request: Request; email: string; tokenHash: string; expires: Date },
  send: () => Promise<unknown>,
): Promise<void> {
  const refuse = (reason: SignInLinkRefused["reason"]) => {
    const err = new SignInLinkRefused(reason);
    const scope = refusals.getStore();
    if (scope) scope.refused = err;
    return err;
  };
  // The network first: a map lookup, before anything touches the database.
  if (perNetwork.take(requestIp(link.request)) > 0) throw refuse("network");
  const stored = await reserveSignInLink(db, {
    email: link.email,
    tokenHash: link.tokenHash,
    expires: link.expires,
    windowMs: ADDRESS_WINDOW_MS,
    max: LINKS_PER_ADDRESS,
  });
  if (!stored) throw refuse("address");
  try {
    await send();
  } catch (err) {
    await dropSignInLink(db, { email: link.email, tokenHash: link.tokenHash });
    throw err;
  }
}

/**
 * Runs Auth.js's HTTP handler; when it refused a sign-in link, answers with Auth.js's error page
 * naming the reason (as a redirect, or as JSON `{ url }` for clients that ask with
 * X-Auth-Return-Redirect, as Auth.js does).
 */
export async function answerRefusals(req: Request, handler: () => Promise<Response>): Promise<Response> {
  const scope: { refused?: SignInLinkRefused } = {};
  const res = await refusals.run(scope, handler);
  if (!scope.refused) return res;
  const url = new URL(`/sign-in/error?${new URLSearchParams({ error: REFUSED_ERROR_CODE })}`, res.headers.get("location") ?? req.url).toString();
  return req.headers.has("x-auth-return-redirect") ? Response.json({ url }) : Response.redirect(url, 302);
}
