import { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { getDb } from "../../../db/client";
import { inngest } from "../../../inngest/client";
import { createFunctions } from "../../../inngest/functions/all";
import { configuredTransport } from "../../../lib/email/transport";
import { env, inngestTarget } from "../../../lib/env";

// The only importer of inngest/functions. Getters: nothing connects until a function runs.
const functions = createFunctions(inngest, {
  db: () => getDb(),
  transport: () => configuredTransport(getDb()),
});

const handler = serve({
  client: inngest,
  functions,
  // Every sync must be signed, in-band or not, and the URL Inngest is told to call is ours,
  // never a request's Host header (docs/security.md).
  enableUnauthedSync: false,
  serveOrigin: inngestTarget(env()).serveOrigin,
  servePath: "/api/inngest",
});

/**
 * The SDK reads a call's body before it checks the signature, and answers a body it cannot parse
 * with a 500. Calls and syncs always come signed and as JSON: anything else is refused here,
 * before the SDK sees it (401 unsigned, 400 not JSON); the SDK still verifies every signature.
 */
function signedJsonOnly(next: (req: NextRequest, ctx: unknown) => Promise<Response>) {
  return async (req: NextRequest, ctx: unknown): Promise<Response> => {
    if (!req.headers.get("x-inngest-signature")) return Response.json({ message: "Unauthorized" }, { status: 401 });
    const text = await req.text().catch(() => undefined);
    if (text === undefined || (text !== "" && !parsesAsJson(text))) return Response.json({ message: "body: must be JSON" }, { status: 400 });
    return next(new NextRequest(req.url, { method: req.method, headers: req.headers, body: text === "" ? undefined : text }), ctx);
  };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const GET = handler.GET;
export const POST = signedJsonOnly(handler.POST);
export const PUT = signedJsonOnly(handler.PUT);
