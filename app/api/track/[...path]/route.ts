import { after } from "next/server";
import { getDb } from "@/db/client";
import { sendAppEventsToInngest, sendToInngest } from "@/ingest/forward";
import { webTracking } from "@/ingest/web";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";

/**
 * The Segment-compatible tracking API on the app's own origin, `/api/track/v1/…` (the same paths,
 * settings document and analytics.js bundle as the ingest process, ingest/api.ts), for deployments
 * where no ingest runs (serverless: docs/deploy.md). Public: the workspace comes from the write key.
 */
let tracking: ReturnType<typeof webTracking> | undefined;

function api() {
  if (tracking) return tracking;
  const e = env();
  tracking = webTracking({
    db: getDb(),
    basePath: "/api/track",
    publicUrl: e.TRACKING_URL,
    writers: e.embeddedDatabase ? 1 : e.TRACKING_WRITERS,
    forward: e.TRACKING_FORWARD ? { send: sendToInngest, sendApp: sendAppEventsToInngest, claimMs: e.TRACKING_FORWARD_CLAIM_MS } : undefined,
    defer: after,
  });
  return tracking;
}

const handle = (req: Request) => api().handle(req);
export { handle as GET, handle as POST, handle as OPTIONS };
