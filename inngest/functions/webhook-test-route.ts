import { Agent } from "node:http";
import { connect } from "node:net";
import { env, type Env } from "@/lib/env";
import type { Resolver } from "./webhook-call";

const made = new WeakSet<object>();

/**
 * Tests only: the route by which the flow runner's webhook nodes reach a receiver on this machine,
 * which the SSRF guard rightly refuses. An allow-list of host names answers with a pinned public
 * address (every other name fails to resolve, so a test cannot reach the internet), and, with a
 * port, an agent connects plain-http requests to 127.0.0.1:port whatever that address was. The
 * guard's URL and address screens still run first (docs/security.md). Refused in production: it
 * throws when made there, and the flow functions refuse one passed to them (checkFlowDeps).
 */
export type WebhookTestRoute = {
  readonly hosts: readonly string[];
  readonly resolve: Resolver;
  readonly agent: Agent | undefined;
};

export class WebhookRouteRefused extends Error {
  override name = "WebhookRouteRefused";
}

export function webhookTestRoute(
  opts: { hosts: readonly string[]; port?: number; address?: string; onResolve?: (host: string) => void },
  nodeEnv: Env["NODE_ENV"] = env().NODE_ENV,
): WebhookTestRoute {
  refuseInProduction(nodeEnv);
  const hosts = opts.hosts.map((h) => h.toLowerCase());
  const address = opts.address ?? "93.184.216.34";
  const resolve: Resolver = (host) => {
    opts.onResolve?.(host);
    if (!hosts.includes(host.toLowerCase())) return Promise.reject(new Error(`${host} is not on the test allow-list`));
    return Promise.resolve([{ address, family: address.includes(":") ? 6 : 4 }]);
  };
  let agent: Agent | undefined;
  if (opts.port !== undefined) {
    const port = opts.port;
    agent = new Agent({ keepAlive: false });
    Object.assign(agent, { createConnection: () => connect({ port, host: "127.0.0.1" }) });
  }
  const route = Object.freeze({ hosts: Object.freeze(hosts), resolve, agent });
  made.add(route);
  return route;
}

/** Throws when the flow functions are given a webhook test route in production (or a forged one anywhere). */
export function checkWebhookRoute(route: WebhookTestRoute | undefined, nodeEnv: Env["NODE_ENV"]): void {
  if (route === undefined) return;
  refuseInProduction(nodeEnv);
  if (!made.has(route)) throw new WebhookRouteRefused("A webhook test route must be made by webhookTestRoute()");
}

function refuseInProduction(nodeEnv: Env["NODE_ENV"]): void {
  if (nodeEnv === "production") throw new WebhookRouteRefused("The webhook test route is refused in production: webhooks there go only to public addresses");
}
