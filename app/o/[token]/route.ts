import { getDb } from "@/db/client";
import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { requestIp } from "@/lib/client-ip";
import { recordTrackingHit } from "@/lib/server/email/feedback";

export const dynamic = "force-dynamic";

// A transparent 1×1 GIF.
const PIXEL = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/**
 * The open pixel. Always answers with the image (a broken image helps no one); records the open
 * only for a valid token, flagging privacy proxies (Apple Mail Privacy Protection), scanners and
 * prefetch bursts as machine.
 */
async function handle(request: Request, params: Promise<{ token: string }>) {
  const { token } = await params;
  const db = getDb();
  await recordTrackingHit(
    db,
    { kind: "open", token: token.replace(/\.gif$/, ""), method: request.method, userAgent: request.headers.get("user-agent"), ip: requestIp(request), now: now() },
    outboxEmitter(db),
  ).catch(() => undefined);
  return new Response(request.method === "HEAD" ? null : PIXEL, {
    status: 200,
    headers: { "content-type": "image/gif", "content-length": String(PIXEL.length), "cache-control": "no-store, max-age=0" },
  });
}

export async function GET(request: Request, ctx: { params: Promise<{ token: string }> }) {
  return handle(request, ctx.params);
}

export async function HEAD(request: Request, ctx: { params: Promise<{ token: string }> }) {
  return handle(request, ctx.params);
}
