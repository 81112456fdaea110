import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listEnrollments } from "@/db/queries/enrollments";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { createLiveFlow, createTemplate, grantConsent, graph } from "@/e2e/fixtures/flows";
import { killHard, startExecutorProcess } from "@/e2e/fixtures/executor-process";
import { generateInngestKeys } from "../keys";
import { freePort } from "@/e2e/fixtures/ports";
import { startResendCapture, type ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { resendTransport } from "@/lib/server/email/transport";
import { startTestApp, waitFor, type TestApp } from "../local/test-app";
import { createFunctions } from "./all";

/**
 * Durability of real flows: the executor as a child process, killed with SIGKILL at random
 * moments while 50 enrollments run a two-send flow, and restarted. Every enrollment must finish,
 * and the Resend capture server — de-duplicating by Idempotency-Key as Resend does — must hold
 * exactly one message per send step.
 */

const ENROLLMENTS = 50;

let db: TestDatabase;
let app: TestApp;
let capture: ResendCapture;
let port: number;
const keys = generateInngestKeys();
let child: ChildProcess | undefined;
let ws: SeededWorkspace;

const startExecutor = () => startExecutorProcess({ db, port, keys, appServeUrl: app.serveUrl, workers: 4 });
const kill = killHard;

beforeAll(async () => {
  db = await freshDatabase();
  capture = await startResendCapture();
  port = await freePort();
  app = await startTestApp("tillit", { url: `http://127.0.0.1:${port}`, keys }, (inngest) =>
    createFunctions(inngest, { db: () => db.db, transport: () => resendTransport({ apiKey: "re_test", baseUrl: capture.url }) }),
  );
  ws = await seedWorkspace(db.db, { contacts: ENROLLMENTS });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
});

afterAll(async () => {
  if (child) await kill(child);
  await app?.close();
  await capture?.close();
  await db?.destroy();
});

it("survives kill -9 during 50 enrollments: all finish, one message per send step", async () => {
  const hello = await createTemplate(db.db, ws.workspace.id, "Hello");
  const again = await createTemplate(db.db, ws.workspace.id, "Again");
  const { flowId } = await createLiveFlow(db.db, {
    workspaceId: ws.workspace.id,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["s1", "send-email", { templateId: hello }],
        ["u", "update-attribute", { attribute: "touched", op: "set", value: true }],
        ["s2", "send-email", { templateId: again }],
        ["x", "exit", { reason: "done" }],
      ],
      [
        ["t", "next", "s1"],
        ["s1", "next", "u"],
        ["u", "next", "s2"],
        ["s2", "next", "x"],
      ],
    ),
  });
  child = await startExecutor();
  await waitFor("the app to be synced", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/functions`).then((x) => x.json() as Promise<{ functions: { id: string }[] }>);
    return r.functions.some((f) => f.id === "tillit-flow-runner");
  });
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: ws.contacts.map((c) => c.id) } });

  const finished = async () =>
    (await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId })).filter((e) => e.status !== "active").length;
  let kills = 0;
  const deadline = Date.now() + 90_000;
  while ((await finished()) < ENROLLMENTS && Date.now() < deadline && kills < 5) {
    const before = capture.requests.length;
    await waitFor("progress", async () => capture.requests.length >= before + 1 + Math.floor(Math.random() * 12) || (await finished()) === ENROLLMENTS);
    if ((await finished()) === ENROLLMENTS) break;
    await kill(child);
    kills++;
    child = await startExecutor();
  }
  await waitFor("every enrollment to finish", async () => (await finished()) === ENROLLMENTS, 90_000);
  expect(kills).toBeGreaterThanOrEqual(2);

  const enrollments = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId });
  expect(enrollments).toHaveLength(ENROLLMENTS);
  expect(enrollments.every((e) => e.status === "exited" && e.exitReason === "done")).toBe(true);
  const mine = capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));
  expect(mine).toHaveLength(ENROLLMENTS * 2);
  const perStep = new Set(mine.map((e) => `${e.tags.find((t) => t.name === "enrollment")!.value}:${e.tags.find((t) => t.name === "node")!.value}`));
  expect(perStep.size).toBe(ENROLLMENTS * 2);
  for (const c of ws.contacts) expect(mine.filter((e) => e.to.includes(c.email)).map((e) => e.subject).sort()).toEqual(["Again", "Hello"]);
}, 150_000);
