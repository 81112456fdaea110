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

export const { GET, POST, PUT } = serve({
  client: inngest,
  functions,
  // Every sync must be signed, in-band or not, and the URL Inngest is told to call is ours,
  // never a request's Host header (docs/security.md).
  enableUnauthedSync: false,
  serveOrigin: inngestTarget(env()).serveOrigin,
  servePath: "/api/inngest",
});
