import { getDb } from "@/db/client";
import { outboxEmitter } from "@/inngest/emit";
import { env } from "@/lib/env";
import { handleResendWebhook } from "@/lib/server/email/feedback";

export const dynamic = "force-dynamic";

/**
 * Resend's delivery webhooks. The raw body is verified (svix-style signature, 5-minute
 * tolerance) before anything is read; each delivery is stored once by its svix-id, so replays
 * are harmless. A non-2xx answer makes Resend retry.
 */
export async function POST(request: Request) {
  const payload = await request.text();
  const h = request.headers;
  const db = getDb();
  const result = await handleResendWebhook(db, {
    payload,
    headers: { id: h.get("svix-id") ?? h.get("webhook-id"), timestamp: h.get("svix-timestamp") ?? h.get("webhook-timestamp"), signature: h.get("svix-signature") ?? h.get("webhook-signature") },
    secret: env().RESEND_WEBHOOK_SECRET,
    emit: outboxEmitter(db),
  });
  return Response.json(result.body, { status: result.status });
}
