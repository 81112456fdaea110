import type { ChildProcess } from "node:child_process";
import { networkInterfaces } from "node:os";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../e2e/fixtures/database";
import { freePort } from "../e2e/fixtures/ports";
import { generateInngestKeys } from "../inngest/keys";
import { spawnIngest } from "./test-process";

/**
 * The ingest as a service of its own, as deploy/compose.yaml runs it: no supervisor, an external
 * Inngest, and TRACKING_HOST=0.0.0.0 so that the app's container and a load balancer can reach it.
 * Under the supervisor it stays on loopback.
 */

let t: TestDatabase;
const keys = generateInngestKeys();
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await freshDatabase();
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});
afterAll(async () => {
  await t.destroy();
});

/** An address of this machine other than loopback: what another container would connect to. */
function outsideAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === "IPv4");
  if (!found) throw new Error("this test needs a network interface besides loopback");
  return found.address;
}

async function startIngest(port: number, extra: Record<string, string>): Promise<string> {
  const { child, out } = await spawnIngest(t, {
    NODE_ENV: "production",
    TRACKING_PORT: String(port),
    TILLIT_INNGEST: "external",
    INNGEST_BASE_URL: `http://127.0.0.1:${port + 1}`,
    INNGEST_EVENT_KEY: keys.eventKey,
    INNGEST_SIGNING_KEY: keys.signingKey,
    ...extra,
  });
  children.push(child);
  return out;
}

it("listens on every interface with TRACKING_HOST=0.0.0.0, answering its health from outside loopback", async () => {
  const port = await freePort();
  expect(await startIngest(port, { TRACKING_HOST: "0.0.0.0" })).toContain("(bound to 0.0.0.0)");
  const r = await fetch(`http://${outsideAddress()}:${port}/health`);
  expect(r.status).toBe(200);
  expect(await r.json()).toMatchObject({ ok: true, database: { reachable: true } });
});

it("stays on loopback by default", async () => {
  const port = await freePort();
  await startIngest(port, {});
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  await expect(fetch(`http://${outsideAddress()}:${port}/health`)).rejects.toThrow();
});

it("refuses to start on an address that is none, naming the setting", async () => {
  await expect(startIngest(await freePort(), { TRACKING_HOST: "not an address!" })).rejects.toThrow(/TRACKING_HOST must be an address to listen on/);
});
