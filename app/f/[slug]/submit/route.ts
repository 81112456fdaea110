import { getDb } from "@/db/client";
import { liveFormBySlug } from "@/db/queries/forms";
import { outboxEmitter } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { configuredTransport } from "@/lib/server/email/transport";
import { env } from "@/lib/env";
import { BodyError, readFields } from "@/lib/forms/body";
import { readFormConfig } from "@/lib/forms/config";
import { perIp } from "@/lib/forms/limits";
import { requestIp } from "@/lib/client-ip";
import { htmlPage, userAgentOf } from "@/lib/forms/request";
import { escapeHtml } from "@/lib/html";
import { submitForm } from "@/lib/server/forms/submit";

/**
 * POST /f/[slug] (rewritten here by next.config.js): the one submit endpoint of the hosted page, the
 * embeds and plain HTML forms on any site. Public and cross-origin (no cookies are read), so any
 * origin may post; answers are JSON for scripts and a page (or a redirect) for browsers.
 */

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type, accept",
  "access-control-max-age": "86400",
};

export function OPTIONS() {
  return new Response(null, { status: 204, headers: CORS });
}

const wantsJson = (req: Request) =>
  (req.headers.get("accept") ?? "").includes("application/json") || (req.headers.get("content-type") ?? "").startsWith("application/json");

function refuse(req: Request, status: number, message: string, field?: string, extra: Record<string, string> = {}) {
  if (wantsJson(req)) return Response.json({ error: { message, ...(field ? { field } : {}) } }, { status, headers: { ...CORS, ...extra } });
  return htmlPage(
    status,
    "We could not sign you up",
    `<p role="alert">${escapeHtml(message)}</p><p><a href="javascript:history.back()">Go back</a> and try again.</p>`,
    { ...CORS, ...extra },
  );
}

export async function POST(req: Request, route: { params: Promise<{ slug: string }> }) {
  try {
    // The IP limit runs before anything touches the database: a flood costs a map lookup each.
    const ip = requestIp(req);
    const wait = perIp.take(ip);
    if (wait > 0) return refuse(req, 429, "too many submissions from your network: try again in a minute", undefined, { "retry-after": String(wait) });
    const { slug } = await route.params;
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return refuse(req, 404, "there is no signup form at this address");
    let fields;
    try {
      fields = await readFields(req);
    } catch (err) {
      if (err instanceof BodyError) return refuse(req, err.status, err.message, err.field);
      throw err;
    }
    const db = getDb();
    const form = await liveFormBySlug(db, { slug });
    if (!form) return refuse(req, 404, "there is no signup form at this address (or it is closed)");
    const appOrigin = new URL(env().appUrl).origin;
    const origin = req.headers.get("origin");
    const page = req.headers.get("referer");
    const ownOrigin = !origin || origin === appOrigin || origin === new URL(req.url).origin;
    const source = ownOrigin && new URL(req.url).searchParams.get("embed") !== "1" ? "hosted_form" : "embedded_form";
    const result = await submitForm(db, {
      form,
      fields,
      ip,
      userAgent: userAgentOf(req),
      source,
      page,
      now: now(),
      transport: configuredTransport(db),
      emit: outboxEmitter(db),
    });
    if (result.outcome === "refused") {
      return refuse(req, result.status, result.message, result.field, result.retryAfter ? { "retry-after": String(result.retryAfter) } : {});
    }
    const config = readFormConfig(form.config);
    const needsConfirmation = result.outcome === "accepted" ? result.needsConfirmation : form.doubleOptIn;
    const message = needsConfirmation ? config.successMessage : config.successMessage.replace(/Check your inbox to confirm your subscription\.?/, "You are subscribed.");
    if (wantsJson(req)) return Response.json({ ok: true, message, confirmation_required: needsConfirmation, redirect: config.redirectUrl }, { status: 200, headers: CORS });
    if (config.redirectUrl) return new Response(null, { status: 303, headers: { ...CORS, location: config.redirectUrl } });
    const embedded = new URL(req.url).searchParams.get("embed") === "1" ? "&embed=1" : "";
    return new Response(null, { status: 303, headers: { ...CORS, location: `/f/${slug}?submitted=${needsConfirmation ? "confirm" : "done"}${embedded}` } });
  } catch (err) {
    console.error("forms: submission failed", err);
    return refuse(req, 503, "we could not save your signup just now: please try again in a moment");
  }
}
