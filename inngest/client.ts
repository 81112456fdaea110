import { Inngest } from "inngest";
import { env, inngestTarget } from "../lib/env";
import { sdkFetch } from "./sdk-fetch";

/**
 * The app's Inngest client, always in cloud mode: events carry the event key, calls into the app
 * are verified against the signing key (docs/security.md). Options are passed explicitly because
 * the SDK reads its environment once, at construction. Without keys (e.g. during `next build`) sends
 * fail and the serve handler refuses every call; a server start without them stops at boot.
 */
const e = env();
const { baseUrl } = inngestTarget(e);

export const inngest = new Inngest({
  id: "tillit",
  isDev: false,
  fetch: sdkFetch,
  ...(baseUrl ? { baseUrl } : {}),
  ...(e.INNGEST_EVENT_KEY ? { eventKey: e.INNGEST_EVENT_KEY } : {}),
  ...(e.INNGEST_SIGNING_KEY ? { signingKey: e.INNGEST_SIGNING_KEY } : {}),
});
