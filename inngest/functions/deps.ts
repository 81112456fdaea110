import type { Agent } from "node:http";
import type { Db } from "@/db/client";
import type { MailTransport } from "@/lib/server/email/transport";
import type { Resolver } from "./webhook-call";

/**
 * What the flow functions need from the outside, passed in so the route serves them with the
 * app's database and mail transport, and tests with their own (a fresh database, the Resend
 * capture server). Getters: the route module must not open a pool at import time.
 */
export type FlowDeps = {
  db: () => Db;
  transport: () => MailTransport;
  /** DNS for webhook nodes (tests pin it). */
  resolve?: Resolver;
  /**
   * The HTTP agent webhook requests go through (tests: one that connects to a local endpoint
   * whatever the pinned address; the URL and address screens still run first). Plain http only.
   */
  webhookAgent?: Agent;
  /** Continue-as-new once a run has used this many steps (Inngest's hard limit is 1000). */
  maxStepsPerRun?: number;
  /** Per-workspace throttle of flow-runner starts (sends follow runs), Inngest's `throttle`. */
  throttle?: { limit: number; period: `${number}s` | `${number}m`; burst?: number };
};

export const DEFAULT_MAX_STEPS_PER_RUN = 900;
export const DEFAULT_THROTTLE = { limit: 100, period: "1s", burst: 200 } as const;
