import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApiKey } from "../db/queries/api-keys";
import { contacts, events } from "../db/schema/index";
import { freshDatabase, type TestDatabase } from "../e2e/fixtures/database";
import { freePort } from "../e2e/fixtures/ports";
import { seedWorkspace } from "../e2e/fixtures/seed";
import { generateInngestKeys } from "../inngest/keys";
import { spawnIngest } from "./test-process";

/**
 * kill -9 the ingest during a load: every event that got a 2xx is in Postgres, and reaches
 * Inngest (here a stand-in recording what the SDK sends to /e/:key) after the restart.
 */

let t: TestDatabase;
let inngest: Server;
const received = new Set<string>();
const keys = generateInngestKeys();

beforeAll(async () => {
  t = await freshDatabase();
  inngest = createServer((req, res) => {
    // As Inngest does: events count only when they name the event key.
    if (req.url !== `/e/${keys.eventKey}`) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const sent = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: string; data: { eventId: string } }[];
      for (const e of sent) received.add(e.data.eventId);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ids: sent.map((e) => e.id ?? ""), status: 200 }));
    });
  });
  await new Promise<void>((r) => inngest.listen(0, "127.0.0.1", () => r()));
});
afterAll(async () => {
  await new Promise<void>((r) => inngest.close(() => r()));
  await t.destroy();
});

async function startIngest(port: number): Promise<ChildProcess> {
  const { child } = await spawnIngest(t, {
    NODE_ENV: "development",
    TRACKING_PORT: String(port),
    // A killed forwarder's claimed rows wait this long before the restarted one takes them.
    TRACKING_FORWARD_CLAIM_MS: "1500",
    INNGEST_BASE_URL: `http://127.0.0.1:${(inngest.address() as AddressInfo).port}`,
    INNGEST_EVENT_KEY: keys.eventKey,
    INNGEST_SIGNING_KEY: keys.signingKey,
  });
  return child;
}

it("keeps every acknowledged event through a kill -9 and forwards it after the restart", async () => {
  const ws = await seedWorkspace(t.db, { contacts: 0 });
  const { key } = await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "k", kind: "public", createdBy: ws.owner.id });
  // Known contacts, so every event is forwardable.
  await t.db.insert(contacts).values(Array.from({ length: 10 }, (_, i) => ({ workspaceId: ws.workspace.id, email: `c${i}@example.com`, externalId: `u${i}` })));
  const port = await freePort();
  let child = await startIngest(port);
  const acked: string[] = [];
  let seq = 0;
  let killed = false;
  const auth = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
  const killAt = 150 + Math.floor(Math.random() * 150);

  const sender = async (w: number) => {
    for (let i = 0; i < 60; i++) {
      const messageId = `crash-${w}-${i}-${seq++}`;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v1/track`, {
          method: "POST",
          headers: { authorization: auth, "content-type": "application/json" },
          body: JSON.stringify({ userId: `u${w}`, event: "Load", messageId }),
        });
        if (r.status === 200) acked.push(messageId);
      } catch {
        // The process is gone: this one was never acknowledged.
      }
      if (!killed && acked.length >= killAt) {
        killed = true;
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        child = await startIngest(port);
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, (_, w) => sender(w)));
  expect(killed).toBe(true);

  const stored = await t.db.select({ id: events.id, messageId: events.messageId }).from(events).where(inArray(events.messageId, acked));
  expect(stored.map((s) => s.messageId).sort()).toEqual([...acked].sort());

  const deadline = Date.now() + 30_000;
  while (!stored.every((s) => received.has(s.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(stored.filter((s) => !received.has(s.id))).toEqual([]);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}, 120_000);
