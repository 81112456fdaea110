import type { Db } from "@/db/client";
import type { MailTransport } from "@/lib/server/email/transport";
import type { WebhookTestRoute } from "./webhook-test-route";

/**
 * What the flow functions need from the outside, passed in so the route serves them with the
 * app's database and mail transport, and tests with their own (a fresh database, the Resend
 * capture server). Getters: the route module must not open a pool at import time.
 */
export type FlowDeps = {
  db: () => Db;
  transport: () => MailTransport;
  /**
   * Tests only: webhook nodes reach a local receiver through this allow-list (webhookTestRoute();
   * the URL and address screens still run first). Refused in production.
   */
  webhookRoute?: WebhookTestRoute;
  /** Continue-as-new once a run has used this many steps (Inngest's hard limit is 1000). */
  maxStepsPerRun?: number;
  /** Per-workspace throttle of flow-runner starts (sends follow runs), Inngest's `throttle`. */
  throttle?: { limit: number; period: `${number}s` | `${number}m`; burst?: number };
};

export const DEFAULT_MAX_STEPS_PER_RUN = 900;
export const DEFAULT_THROTTLE = { limit: 100, period: "1s", burst: 200 } as const;
