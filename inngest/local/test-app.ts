import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { sdkFetch } from "../sdk-fetch";

/**
 * For the executor's tests: the real SDK serve handler (inngest/node) on a free port, its client
 * pointed at an executor. Dev mode, so no signatures, as with `npm run dev`; the app's own fetch
 * for the SDK (inngest/client.ts gives it the same).
 */
export type TestApp = { inngest: Inngest; serveUrl: string; close: () => Promise<void> };

export async function startTestApp(
  appId: string,
  executorUrl: string,
  define: (inngest: Inngest) => Parameters<typeof serve>[0]["functions"],
  opts: { onRequest?: (method: string, url: string) => void } = {},
): Promise<TestApp> {
  const inngest = new Inngest({ id: appId, isDev: true, baseUrl: executorUrl, fetch: sdkFetch });
  const handler = serve({ client: inngest, functions: define(inngest) });
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
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
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
