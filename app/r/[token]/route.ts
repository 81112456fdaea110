import { getDb } from "@/db/client";
import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { requestIp } from "@/lib/client-ip";
import { recordTrackingHit } from "@/lib/server/email/feedback";

export const dynamic = "force-dynamic";

/**
 * The click redirect of tracked links: records the click (scanners, HEAD requests and bursts
 * flagged as machine) and sends the visitor on. Only destinations signed into the token are
 * followed, so this is no open redirect; a forged token gets 404.
 */
async function handle(request: Request, params: Promise<{ token: string }>) {
  const { token } = await params;
  const db = getDb();
  const hit = await recordTrackingHit(
    db,
    { kind: "click", token, method: request.method, userAgent: request.headers.get("user-agent"), ip: requestIp(request), now: now() },
    outboxEmitter(db),
  );
  if (!hit.url) return new Response("This link is not valid.", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  return new Response(null, { status: 302, headers: { location: hit.url, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}

export async function GET(request: Request, ctx: { params: Promise<{ token: string }> }) {
  return handle(request, ctx.params);
}

export async function HEAD(request: Request, ctx: { params: Promise<{ token: string }> }) {
  return handle(request, ctx.params);
}
