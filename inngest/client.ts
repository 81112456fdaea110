import { Inngest } from "inngest";
import { env } from "../lib/env";
import { sdkFetch } from "./sdk-fetch";

/**
 * The app's Inngest client. Mode and URLs follow lib/env, passed explicitly because the SDK
 * snapshots process.env at construction (protocol reference §1.3):
 *  - INNGEST_EVENT_KEY / INNGEST_SIGNING_KEY set → Inngest Cloud or self-hosted (INNGEST_BASE_URL);
 *  - INNGEST_DEV = a URL → that dev server (the local executor in `npm run dev` and tests);
 *  - INNGEST_DEV = 1 → dev mode at the default http://localhost:8288.
 */
const e = env();
const devUrl = e.INNGEST_DEV && /^https?:\/\//.test(e.INNGEST_DEV) ? e.INNGEST_DEV : undefined;
const devFlag = devUrl !== undefined || ["1", "true"].includes(e.INNGEST_DEV ?? "");
const isDev = e.INNGEST_DEV === "0" || e.INNGEST_DEV === "false" ? false : devFlag || (!e.INNGEST_SIGNING_KEY && !e.INNGEST_EVENT_KEY);

export const inngest = new Inngest({
  id: "tillit",
  isDev,
  fetch: sdkFetch,
  ...(isDev
    ? { baseUrl: devUrl ?? e.INNGEST_BASE_URL ?? `http://127.0.0.1:${e.INNGEST_LOCAL_PORT}` }
    : {
        ...(e.INNGEST_BASE_URL ? { baseUrl: e.INNGEST_BASE_URL } : {}),
        ...(e.INNGEST_EVENT_KEY ? { eventKey: e.INNGEST_EVENT_KEY } : {}),
        ...(e.INNGEST_SIGNING_KEY ? { signingKey: e.INNGEST_SIGNING_KEY } : {}),
      }),
});
