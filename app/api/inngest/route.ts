import { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { createFunctions } from "@/inngest/functions/all";
import { configuredTransport } from "@/lib/server/email/transport";
import { env, inngestTarget } from "@/lib/env";
import { BodyError, readCapped } from "@/lib/forms/body";

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
 * before the SDK sees it (401 unsigned, 400 not JSON, 413 over the cap, read without buffering
 * more than that); the SDK still verifies every signature.
 */
function signedJsonOnly(next: (req: NextRequest, ctx: unknown) => Promise<Response>) {
  return async (req: NextRequest, ctx: unknown): Promise<Response> => {
    if (!req.headers.get("x-inngest-signature")) return Response.json({ message: "Unauthorized" }, { status: 401 });
    let text: string;
    try {
      text = new TextDecoder().decode(await readCapped(req, MAX_CALL_BODY));
    } catch (err) {
      if (err instanceof BodyError) return Response.json({ message: err.message }, { status: err.status });
      return Response.json({ message: "body: could not be read" }, { status: 400 });
    }
    if (text !== "" && !parsesAsJson(text)) return Response.json({ message: "body: must be JSON" }, { status: 400 });
    return next(new NextRequest(req.url, { method: req.method, headers: req.headers, body: text === "" ? undefined : text }), ctx);
  };
}

/** Inngest sends at most 4 MB of call state (use_api above that); the local executor's own cap is 16 MB. */
const MAX_CALL_BODY = 16 * 1024 * 1024;

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
