import type { ChildProcess } from "node:child_process";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { broadcastProgress } from "@/db/queries/broadcast-audience";
import { broadcasts } from "@/db/schema/index";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { killHard, startExecutorProcess } from "@/e2e/fixtures/executor-process";
import { freePort } from "@/e2e/fixtures/ports";
import { startResendCapture, type ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { generateInngestKeys } from "../keys";
import { executorClient, waitFor } from "../local/test-app";
import { startBroadcastApp } from "./broadcast-app";
import { scheduledBroadcast, seedAudience, sendRequested, setPace } from "./broadcast-fixture";

/**
 * Durability of a broadcast: 5,000 recipients; the executor and the app, each a process of its
 * own, killed with SIGKILL together at random moments mid-send and restarted. Every eligible
 * recipient must have exactly one message at the capture server (which de-duplicates by
 * Idempotency-Key as Resend does: a second message to anyone means a second key was used).
 */

const RECIPIENTS = 5000;

let db: TestDatabase;
let capture: ResendCapture;
const keys = generateInngestKeys();
let executorPort: number;
let appPort: number;
let executor: ChildProcess | undefined;
let app: ChildProcess | undefined;

const start = async () => {
  const served = await startBroadcastApp({ executor: { url: `http://127.0.0.1:${executorPort}`, keys }, db, captureUrl: capture.url, port: appPort });
  app = served.child;
  executor = await startExecutorProcess({ db, port: executorPort, keys, appServeUrl: served.serveUrl, workers: 4 });
};
const killBoth = async () => {
  await Promise.all([executor && killHard(executor), app && killHard(app)]);
};

beforeAll(async () => {
  db = await freshDatabase();
  capture = await startResendCapture();
  executorPort = await freePort();
  appPort = await freePort();
});

afterAll(async () => {
  await killBoth();
  await capture?.close();
  await db?.destroy();
});

it("survives kill -9 of the executor and the app mid-send: one message per eligible recipient", async () => {
  const ws = await seedWorkspace(db.db, { contacts: 0 });
  const workspaceId = ws.workspace.id;
  // A slow pace (20 requests/s: 50 batches over a few seconds), so the kills land mid-send.
  await setPace(db.db, workspaceId, 20);
  const { segmentId } = await seedAudience(db.db, { workspaceId, n: RECIPIENTS, prefix: "crash" });
  const { broadcastId } = await scheduledBroadcast(db.db, { workspaceId, audience: { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] } });

  await start();
  await waitFor("the app to be synced", async () => {
    const r = await fetch(`http://127.0.0.1:${executorPort}/api/functions`).then((x) => x.json() as Promise<{ functions: { id: string }[] }>);
    return r.functions.some((f) => f.id === "tillit-broadcast-batch");
  });
  await executorClient("tillit-outbox", { url: `http://127.0.0.1:${executorPort}`, keys }).send(sendRequested(workspaceId, broadcastId));

  const status = async () => (await db.db.select({ status: broadcasts.status }).from(broadcasts).where(eq(broadcasts.id, broadcastId)))[0]!.status;
  let kills = 0;
  const atKill: number[] = [];
  while (kills < 3 && (await status()) !== "sent") {
    const before = capture.emails.length;
    await waitFor("progress", async () => capture.emails.length >= before + 100 + Math.floor(Math.random() * 600) || (await status()) === "sent", 60_000);
    if ((await status()) === "sent") break;
    atKill.push(capture.emails.length);
    await killBoth();
    kills++;
    await start();
  }
  await waitFor("the broadcast to be sent", async () => (await status()) === "sent", 120_000);
  expect(kills).toBeGreaterThanOrEqual(2);
  expect(atKill.some((n) => n < RECIPIENTS)).toBe(true);

  const mine = capture.emails.filter((e) => e.tags.some((t) => t.name === "broadcast" && t.value === broadcastId));
  const perAddress = new Map<string, number>();
  for (const e of mine) perAddress.set(e.to[0]!, (perAddress.get(e.to[0]!) ?? 0) + 1);
  expect(perAddress.size).toBe(RECIPIENTS);
  expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
  expect(mine).toHaveLength(RECIPIENTS);
  expect(await broadcastProgress(db.db, { workspaceId, broadcastId })).toEqual({ total: RECIPIENTS, queued: 0, sent: RECIPIENTS, failed: 0, skipped: {} });
}, 240_000);
