import { createServer, Agent, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { contactTagNames } from "@/db/queries/contacts";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { now } from "@/lib/clock";
import type { TestApp } from "../local/test-app";
import { FIRST_WAIT_MS } from "./flow-runner";

/**
 * Node kinds on the real runner (the local executor on a virtual clock, the real serve handler):
 * what each does to the contact and the world, not what simulate() predicts.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let h: FlowHarness;
let db: TestDatabase;
let app: TestApp;

// The webhook receiver: a local server reached through the harness's allow-listed route (an agent
// that connects here whatever the pinned public DNS answer said; the address screen still runs).
let hook: Server;
const hookCalls: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      hookCalls.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  const addr = hook.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const webhookAgent = new Agent({ keepAlive: false });
  Object.assign(webhookAgent, { createConnection: () => connect({ port, host: "127.0.0.1" }) });
  h = await startFlowHarness({ resolve: () => Promise.resolve([{ address: "93.184.216.34", family: 4 }]), webhookAgent });
  ({ db, app } = h);
});

afterAll(async () => {
  await h?.stop();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
});

async function workspace(n: number): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(db.db, { contacts: n });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  return ws;
}

async function enrol(ws: SeededWorkspace, flowId: string, contactIds: string[]) {
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds } });
  await h.settle();
}

async function enrollmentOf(ws: SeededWorkspace, flowId: string, contactId: string) {
  const rows = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId });
  expect(rows.length).toBeGreaterThan(0);
  return rows[rows.length - 1]!;
}

const trace = (ws: SeededWorkspace, enrollmentId: string) => enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId });
const path = async (ws: SeededWorkspace, enrollmentId: string) => (await trace(ws, enrollmentId)).map((t) => `${t.nodeId}:${t.exit ?? t.outcome}`);

describe("wait for event: the look-back window", () => {
  it("takes an event that reached Inngest before the wait was registered, and the look-back missed, within FIRST_WAIT_MS", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["w", "wait-for-event", { event: "Order Completed", timeoutMs: 3 * DAY }],
          ["ym", "add-tag", { tag: "bought" }],
          ["nt", "add-tag", { tag: "never-bought" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "w"],
          ["w", "matched", "ym"],
          ["w", "timeout", "nt"],
          ["ym", "next", "x"],
          ["nt", "next", "x"],
        ],
      ),
    });
    // The event reaches Inngest first (nothing waits for it yet) …
    await app.inngest.send({
      name: "contact/event.tracked",
      data: { workspaceId: ws.workspace.id, contactId: contact.id, eventId: crypto.randomUUID(), name: "Order Completed", properties: {}, occurredAt: now().getTime() },
    });
    await h.settle();
    // … the run's look-back finds no row and the wait is registered after the event went by …
    await enrol(ws, flowId, [contact.id]);
    const e = await enrollmentOf(ws, flowId, contact.id);
    const waiting = (await trace(ws, e.id)).find((t) => t.nodeId === "w")!;
    expect(waiting.outcome).toBe("waiting");
    // … and only now is its row visible in the table (committed after the look-back read it),
    // stamped at the instant the look-back looked.
    await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId: contact.id, name: "Order Completed", properties: {}, occurredAt: waiting.at });

    await h.advance(FIRST_WAIT_MS + 1000);
    expect(await path(ws, e.id)).toEqual(["t:next", "w:matched", "ym:next", "x:exit"]);
    const closed = (await trace(ws, e.id)).find((t) => t.nodeId === "w")!;
    expect(closed.finishedAt!.getTime() - waiting.at.getTime()).toBeLessThanOrEqual(FIRST_WAIT_MS + 1000);
    expect(await contactTagNames(db.db, { workspaceId: ws.workspace.id, contactId: contact.id })).toEqual(["bought"]);
  });

  it("still waits the whole timeout when nothing comes, and an event during the long wait is taken at once", async () => {
    const ws = await workspace(2);
    const [quiet, buyer] = ws.contacts;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["w", "wait-for-event", { event: "Order Completed", timeoutMs: DAY }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "w"],
          ["w", "matched", "x"],
          ["w", "timeout", "x"],
        ],
      ),
    });
    await enrol(ws, flowId, [quiet!.id, buyer!.id]);
    await h.advance(FIRST_WAIT_MS + 1000);
    const eq_ = await enrollmentOf(ws, flowId, quiet!.id);
    const eb = await enrollmentOf(ws, flowId, buyer!.id);
    expect(await path(ws, eq_.id)).toEqual(["t:next", "w:waiting"]);
    await h.advance(HOUR);
    const at = now();
    const { id } = await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId: buyer!.id, name: "Order Completed", properties: {}, occurredAt: at });
    await app.inngest.send({
      name: "contact/event.tracked",
      data: { workspaceId: ws.workspace.id, contactId: buyer!.id, eventId: id, name: "Order Completed", properties: {}, occurredAt: at.getTime() },
    });
    await h.settle();
    expect(await path(ws, eb.id)).toEqual(["t:next", "w:matched", "x:exit"]);
    expect(await path(ws, eq_.id)).toEqual(["t:next", "w:waiting"]);
    await h.advance(DAY);
    expect(await path(ws, eq_.id)).toEqual(["t:next", "w:timeout", "x:exit"]);
  });
});
