import { serve } from "inngest/next";
import { inngest } from "../../../inngest/client";

// The only importer of inngest/functions: the flow router and runner register here.
export const { GET, POST, PUT } = serve({ client: inngest, functions: [] });
