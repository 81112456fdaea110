import { serve } from "inngest/next";
import { getDb } from "../../../db/client";
import { inngest } from "../../../inngest/client";
import { createFunctions } from "../../../inngest/functions/all";
import { configuredTransport } from "../../../lib/email/transport";

// The only importer of inngest/functions. Getters: nothing connects until a function runs.
const functions = createFunctions(inngest, {
  db: () => getDb(),
  transport: () => configuredTransport(getDb()),
});

export const { GET, POST, PUT } = serve({ client: inngest, functions });
