import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import type { InngestKeys } from "../keys";
import { sdkFetch } from "../sdk-fetch";

/**
 * For the executor's tests: the real SDK serve handler (inngest/node) on a free port, its client
 * pointed at an executor in cloud mode with that executor's keys, as the app runs (every call
 * signed and verified); the app's own fetch for the SDK (inngest/client.ts gives it the same).
 */
export type TestApp = { inngest: Inngest; serveUrl: string; close: () => Promise<void> };

/** An executor to talk to: its base URL and the keys it shares with the app (a LocalExecutor is one). */
export type ExecutorTarget = { url: string; keys: InngestKeys };

/** A client as the app makes it: cloud mode, the executor as its API and event base. */
export function executorClient(appId: string, target: ExecutorTarget): Inngest {
  return new Inngest({
    id: appId,
    isDev: false,
    baseUrl: target.url,
    eventKey: target.keys.eventKey,
    signingKey: target.keys.signingKey,
    fetch: sdkFetch,
  });
}

export async function startTestApp(
  appId: string,
  target: ExecutorTarget,
  define: (inngest: Inngest) => Parameters<typeof serve>[0]["functions"],
  opts: { onRequest?: (method: string, url: string) => void } = {},
): Promise<TestApp> {
  const inngest = executorClient(appId, target);
  const handler = serve({ client: inngest, functions: define(inngest), enableUnauthedSync: false });
  const server: Server = createServer((req, res) => {
    opts.onRequest?.(req.method ?? "", req.url ?? "");
    return handler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    inngest,
    serveUrl: `http://127.0.0.1:${port}/api/inngest`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls a condition across processes until it holds or the deadline passes. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type Gate = { promise: Promise<void>; release: () => void };

/** Named gates a test function awaits and the test releases, to hold runs at a chosen step. */
export function createGates() {
  const gates = new Map<string, Gate>();
  const gateOf = (tag: string): Gate => {
    let g = gates.get(tag);
    if (!g) {
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      g = { promise, release };
      gates.set(tag, g);
    }
    return g;
  };
  return { gateOf, releaseAll: () => gates.forEach((g) => g.release()) };
}
