import { env } from "@/lib/env";
import { trackingSnippet } from "@/lib/tracking/snippet";

/** The browser snippet, served as JavaScript so websites can load it cross-origin. */
export function GET() {
  const e = env();
  const api = e.TRACKING_URL ?? `http://127.0.0.1:${e.TRACKING_PORT}`;
  return new Response(trackingSnippet(api), {
    headers: {
      "content-type": "application/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
      "access-control-allow-origin": "*",
    },
  });
}
