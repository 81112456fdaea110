import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { healthCheck, type HealthCheck } from "@/lib/server/health";
import { env, ingestInternalUrl, inngestTarget } from "@/lib/env";

export const dynamic = "force-dynamic";

/**
 * For the supervisor, load balancers and uptime checks: 200 while this process can serve (its
 * database answers), with each part's state; 503 when it cannot; `?strict=1` also 503 when any part
 * is degraded. Shape and rules: lib/server/health.ts, docs/operations.md.
 */
export function GET(req: Request): Promise<Response> {
  return appHealth().respond(req);
}

let check: HealthCheck | undefined;

function appHealth(): HealthCheck {
  if (check) return check;
  const e = env();
  const { baseUrl } = inngestTarget(e);
  check = healthCheck({
    db: getDb,
    instance: e.TILLIT_INSTANCE_ID ?? null,
    inngest: e.TILLIT_INNGEST === "external" || !baseUrl ? { mode: "external" } : { mode: "bundled", url: baseUrl.replace(/\/$/, ""), appId: inngest.id },
    ingestUrl: ingestInternalUrl(e),
  });
  return check;
}
