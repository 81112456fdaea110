import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { addContactTag, contactTagNames } from "@/db/queries/contacts";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { contacts } from "@/db/schema/index";
import { now } from "@/lib/clock";
import { nodeKinds, type NodeKind } from "@/lib/flows/catalog";
import { pickSplitBranch } from "@/lib/flows/split";
import type { TestApp } from "../local/test-app";
import { FIRST_WAIT_MS } from "./flow-runner";
import { webhookTestRoute } from "./webhook-test-route";

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
  h = await startFlowHarness({ webhookRoute: webhookTestRoute({ hosts: ["hooks.example.com"], port }) });
  ({ db, app } = h);
});

afterAll(async () => {
  await h?.stop();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
});

afterEach(() => {
  hookCalls.length = 0;
});

/** Moves the virtual clock to `at` (never back) and lets every due run go on. */
const advanceTo = (at: number) => h.advance(Math.max(0, at - now().getTime()));

async function setContact(ws: SeededWorkspace, contactId: string, set: { timeZone?: string; attributes?: Record<string, string> }) {
  await db.db.update(contacts).set(set).where(and(eq(contacts.workspaceId, ws.workspace.id), eq(contacts.id, contactId)));
}

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

describe("actions", () => {
  it("add tag and remove tag change the contact's tags, and the added tag starts a tag-added flow", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const scope = { workspaceId: ws.workspace.id, contactId: contact.id };
    await addContactTag(db.db, { ...scope, tag: "lead" });
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["a", "add-tag", { tag: "customer" }],
          ["r", "remove-tag", { tag: "lead" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "a"],
          ["a", "next", "r"],
          ["r", "next", "x"],
        ],
      ),
    });
    const onboarding = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      name: "Onboarding",
      graph: graph(
        [
          ["t", "tag-added", { tag: "customer" }],
          ["a", "add-tag", { tag: "onboarding" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "a"],
          ["a", "next", "x"],
        ],
      ),
    });
    expect(await contactTagNames(db.db, scope)).toEqual(["lead"]);
    await enrol(ws, flowId, [contact.id]);
    const e = await enrollmentOf(ws, flowId, contact.id);
    expect(await path(ws, e.id)).toEqual(["t:next", "a:next", "r:next", "x:exit"]);
    expect((await trace(ws, e.id)).map((t) => t.outcome)).toEqual(["enrolled", "done", "done", "exit"]);
    const o = await enrollmentOf(ws, onboarding.flowId, contact.id);
    expect(o.trigger).toMatchObject({ tag: "customer" });
    expect(await path(ws, o.id)).toEqual(["t:next", "a:next", "x:exit"]);
    expect((await contactTagNames(db.db, scope)).sort()).toEqual(["customer", "onboarding"]);

    const onboardingRuns = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId: onboarding.flowId });
    expect(onboardingRuns).toHaveLength(1);
  });
});

describe("webhook", () => {
  it("calls the endpoint with its method, headers and the body rendered for the contact; without a body, the default JSON", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    await setContact(ws, contact.id, { attributes: { plan: "pro" } });
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          [
            "w1",
            "webhook",
            {
              url: "http://hooks.example.com/crm?source=tillit",
              method: "PUT",
              headers: { "X-Api-Key": "k-123", Authorization: "Bearer abc" },
              body: '{"email": "{{ contact.email }}", "name": "{{ contact.first_name | upcase }}", "plan": "{{ contact.plan }}"}',
            },
          ],
          ["w2", "webhook", { url: "http://hooks.example.com/default" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "w1"],
          ["w1", "next", "w2"],
          ["w2", "next", "x"],
        ],
      ),
    });
    await enrol(ws, flowId, [contact.id]);
    const e = await enrollmentOf(ws, flowId, contact.id);
    expect(await path(ws, e.id)).toEqual(["t:next", "w1:next", "w2:next", "x:exit"]);
    expect(hookCalls.map((c) => `${c.method} ${c.url}`)).toEqual(["PUT /crm?source=tillit", "POST /default"]);
    const [custom, plain] = hookCalls;
    expect(custom!.headers["x-api-key"]).toBe("k-123");
    expect(custom!.headers.authorization).toBe("Bearer abc");
    expect(custom!.headers["content-type"]).toBe("application/json");
    expect(custom!.headers["user-agent"]).toBe("Tillit-Webhook/1");
    expect(custom!.headers.host).toBe("hooks.example.com");
    expect(JSON.parse(custom!.body)).toEqual({ email: contact.email, name: "ADA", plan: "pro" });
    expect(JSON.parse(plain!.body)).toEqual({
      contact: { id: contact.id, email: contact.email },
      flow: { id: flowId, nodeId: "w2", enrollmentId: e.id },
      trigger: e.trigger,
    });
    const detail = (await trace(ws, e.id)).find((t) => t.nodeId === "w1")!.detail;
    expect(detail).toBe("Called PUT http://hooks.example.com/crm?source=tillit: 204");
  });

  it("a host off the test allow-list is never reached: the run spends its retries and fails at the node", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["w", "webhook", { url: "http://elsewhere.example.net/x" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "w"],
          ["w", "next", "x"],
        ],
      ),
    });
    await enrol(ws, flowId, [contact.id]);
    for (let i = 0; i < 8; i++) await h.advance(HOUR);
    const e = await enrollmentOf(ws, flowId, contact.id);
    expect(e).toMatchObject({ status: "failed", currentNodeId: "w" });
    expect(e.exitReason).toMatch(/^Webhook POST http:\/\/elsewhere\.example\.net\/x failed after 7 attempts: could not resolve .* not on the test allow-list$/);
    expect(hookCalls).toEqual([]);
  });
});

/** The second Sunday of March (US daylight saving starts) and the last Sunday of March (EU), of the first year whose both lie ahead. */
function marchSundays(after: number): { us: { y: number; d: number }; eu: { y: number; d: number } } {
  for (let y = new Date(after).getUTCFullYear(); ; y++) {
    const firstSunday = 1 + ((7 - new Date(Date.UTC(y, 2, 1)).getUTCDay()) % 7);
    const us = firstSunday + 7;
    const lastSunday = 31 - new Date(Date.UTC(y, 2, 31)).getUTCDay();
    if (Date.UTC(y, 2, us) > after + 7 * DAY) return { us: { y, d: us }, eu: { y, d: lastSunday } };
  }
}
const pad = (n: number) => String(n).padStart(2, "0");

describe("timing in the contact's zone (daylight saving days)", () => {
  it("wait until a date waits for that instant; a date already past continues at once", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const target = now().getTime() + 5 * DAY;
    // The same instant written with a +05:30 offset.
    const local = new Date(target + 5.5 * HOUR).toISOString().slice(0, 19);
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["u", "wait-until", { mode: "date", at: `${local}+05:30` }],
          ["p", "wait-until", { mode: "date", at: "2020-01-01T00:00:00Z" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "u"],
          ["u", "next", "p"],
          ["p", "next", "x"],
        ],
      ),
    });
    await enrol(ws, flowId, [contact.id]);
    const e = await enrollmentOf(ws, flowId, contact.id);
    const exact = Math.floor(target / 1000) * 1000;
    await advanceTo(exact - MINUTE);
    expect(await path(ws, e.id)).toEqual(["t:next", "u:waiting"]);
    await advanceTo(exact + MINUTE);
    expect(await path(ws, e.id)).toEqual(["t:next", "u:next", "p:next", "x:exit"]);
    const rows = await trace(ws, e.id);
    expect(rows[1]!.finishedAt!.getTime()).toBe(exact);
    expect(rows[2]!.outcome).toBe("continued");
  });

  it("wait until an attribute's date wakes at the wall-clock time in the contact's zone, on the day the clocks go forward", async () => {
    const ws = await workspace(2);
    const [ny, oslo] = ws.contacts;
    const { us } = marchSundays(now().getTime());
    const date = `${us.y}-03-${pad(us.d)}`;
    await setContact(ws, ny!.id, { timeZone: "America/New_York", attributes: { renewal_on: date } });
    // No zone of its own: the workspace's (Europe/Oslo, still on winter time that day).
    await setContact(ws, oslo!.id, { attributes: { renewal_on: date } });
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["u", "wait-until", { mode: "attribute", attribute: "renewal_on", offsetMs: 0, time: "09:30" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "u"],
          ["u", "next", "x"],
        ],
      ),
    });
    await enrol(ws, flowId, [ny!.id, oslo!.id]);
    // 09:30 that Sunday in New York is EDT (UTC-4, the clocks went forward at 02:00): 13:30 UTC, not 14:30.
    const nyAt = Date.UTC(us.y, 2, us.d, 13, 30);
    // Oslo is still on CET (UTC+1) that day: 08:30 UTC.
    const osloAt = Date.UTC(us.y, 2, us.d, 8, 30);
    const en = await enrollmentOf(ws, flowId, ny!.id);
    const eo = await enrollmentOf(ws, flowId, oslo!.id);
    expect((await trace(ws, en.id))[1]!.detail).toBe(`Waiting until ${new Date(nyAt).toISOString()}`);
    expect((await trace(ws, eo.id))[1]!.detail).toBe(`Waiting until ${new Date(osloAt).toISOString()}`);
    await advanceTo(osloAt - MINUTE);
    expect(await path(ws, eo.id)).toEqual(["t:next", "u:waiting"]);
    await advanceTo(osloAt + MINUTE);
    expect(await path(ws, eo.id)).toEqual(["t:next", "u:next", "x:exit"]);
    expect(await path(ws, en.id)).toEqual(["t:next", "u:waiting"]);
    await advanceTo(nyAt - MINUTE);
    expect(await path(ws, en.id)).toEqual(["t:next", "u:waiting"]);
    await advanceTo(nyAt + MINUTE);
    expect(await path(ws, en.id)).toEqual(["t:next", "u:next", "x:exit"]);
    expect((await trace(ws, en.id))[1]!.finishedAt!.getTime()).toBe(nyAt);
  });

  it("wait for a time window opens at the window's start in the contact's zone, across the night the clocks change", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    await setContact(ws, contact.id, { timeZone: "Europe/Berlin" });
    const { eu } = marchSundays(now().getTime());
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["ww", "wait-window", { days: ["sun"], from: "09:00", to: "10:00", timeZone: "Asia/Tokyo" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "ww"],
          ["ww", "next", "x"],
        ],
      ),
    });
    // Saturday noon UTC before the change; the window opens Sunday 09:00 CEST = 07:00 UTC (on
    // Saturday's CET reading it would be 08:00). The contact's own zone wins over the node's fallback.
    await advanceTo(Date.UTC(eu.y, 2, eu.d - 1, 12, 0));
    await enrol(ws, flowId, [contact.id]);
    const e = await enrollmentOf(ws, flowId, contact.id);
    const opens = Date.UTC(eu.y, 2, eu.d, 7, 0);
    expect((await trace(ws, e.id))[1]!.detail).toBe(`Waiting for sun 09:00–10:00 Europe/Berlin (opens ${new Date(opens).toISOString()})`);
    await advanceTo(opens - MINUTE);
    expect(await path(ws, e.id)).toEqual(["t:next", "ww:waiting"]);
    await advanceTo(opens + MINUTE);
    expect(await path(ws, e.id)).toEqual(["t:next", "ww:next", "x:exit"]);
    expect((await trace(ws, e.id))[1]!.finishedAt!.getTime()).toBe(opens);
  });
});

describe("a form trigger and a random split", () => {
  it("a submitted form enrols its flows (and not another form's), and each contact takes the branch its hash picks", async () => {
    const ws = await workspace(12);
    const formId = crypto.randomUUID();
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "form-submitted", { formId }],
          [
            "s",
            "random-split",
            {
              branches: [
                { id: "a", label: "A", weight: 1 },
                { id: "b", label: "B", weight: 1 },
              ],
            },
          ],
          ["ta", "add-tag", { tag: "variant-a" }],
          ["tb", "add-tag", { tag: "variant-b" }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "s"],
          ["s", "split:a", "ta"],
          ["s", "split:b", "tb"],
          ["ta", "next", "x"],
          ["tb", "next", "x"],
        ],
      ),
    });
    const other = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      name: "Another form",
      graph: graph(
        [
          ["t", "form-submitted", { formId: "some-other-form" }],
          ["x", "exit", { reason: "done" }],
        ],
        [["t", "next", "x"]],
      ),
    });
    for (const c of ws.contacts) {
      await app.inngest.send({ name: "form/submitted", data: { workspaceId: ws.workspace.id, contactId: c.id, formId, fields: { company: "Fjord AS" } } });
    }
    await h.settle();
    expect(await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId: other.flowId })).toEqual([]);
    const taken = new Set<string>();
    for (const c of ws.contacts) {
      const e = await enrollmentOf(ws, flowId, c.id);
      const expected = pickSplitBranch(c.id, "s", [
        { id: "a", label: "A", weight: 1 },
        { id: "b", label: "B", weight: 1 },
      ]).id;
      taken.add(expected);
      expect(await path(ws, e.id)).toEqual(["t:next", `s:split:${expected}`, `t${expected}:next`, "x:exit"]);
      expect(await contactTagNames(db.db, { workspaceId: ws.workspace.id, contactId: c.id })).toEqual([`variant-${expected}`]);
    }
    expect([...taken].sort()).toEqual(["a", "b"]);
  });
});

/**
 * Where each node kind is run by the real runner (startFlowHarness) in an integration test, and
 * its effect asserted: file and test name. A kind added to the catalog fails here until it has one.
 */
const RUNNER_TESTS: Record<NodeKind, [file: string, test: string]> = {
  "form-submitted": ["node-kinds.int.test.ts", "a submitted form enrols its flows"],
  "contact-created": ["segments.int.test.ts", "an import's new contacts start 'contact created' flows"],
  "tag-added": ["node-kinds.int.test.ts", "the added tag starts a tag-added flow"],
  "event-tracked": ["flows.int.test.ts", "takes the matching cart within the timeout"],
  "segment-entered": ["segments.int.test.ts", "enrols each contact once per entry"],
  "date-anniversary": ["flows.int.test.ts", "a date anniversary enrols once per year"],
  "manual-enrol": ["node-kinds.int.test.ts", "add tag and remove tag change the contact's tags"],
  delay: ["flows.int.test.ts", "sends once per step, waits two days"],
  "wait-until": ["node-kinds.int.test.ts", "wait until an attribute's date wakes at the wall-clock time"],
  "wait-window": ["node-kinds.int.test.ts", "wait for a time window opens at the window's start"],
  "wait-for-event": ["node-kinds.int.test.ts", "takes an event that reached Inngest before the wait was registered"],
  condition: ["flows.int.test.ts", "branches on opens"],
  "random-split": ["node-kinds.int.test.ts", "each contact takes the branch its hash picks"],
  "add-tag": ["node-kinds.int.test.ts", "add tag and remove tag change the contact's tags"],
  "remove-tag": ["node-kinds.int.test.ts", "add tag and remove tag change the contact's tags"],
  "update-attribute": ["flows.int.test.ts", "continue as new before the step limit, keeping visit counts"],
  webhook: ["node-kinds.int.test.ts", "calls the endpoint with its method, headers and the body rendered"],
  goal: ["flows.int.test.ts", "a goal event exits the enrollment with reason goal"],
  exit: ["flows.int.test.ts", "sends once per step, waits two days"],
  "send-email": ["flows.int.test.ts", "sends once per step, waits two days"],
  "notify-team": ["notify-team.int.test.ts", "notify team mails each chosen member with the contact link"],
};

describe("every node kind", () => {
  it("has a runner integration test that uses it", () => {
    expect(Object.keys(RUNNER_TESTS).sort()).toEqual([...nodeKinds].sort());
    for (const [kind, [file, test]] of Object.entries(RUNNER_TESTS)) {
      const source = readFileSync(join(import.meta.dirname, file), "utf8");
      expect(source, `${kind}: ${file} has no test "${test}"`).toContain(test);
      const at = source.indexOf(test);
      const ends = ["\n  it(", "\ndescribe(", "\nconst "].map((m) => source.indexOf(m, at)).filter((i) => i !== -1);
      const body = source.slice(at, ends.length ? Math.min(...ends) : undefined);
      expect(body, `${kind}: "${test}" in ${file} builds no ${kind} node`).toContain(`"${kind}"`);
      expect(source, `${kind}: ${file} does not run the real runner`).toContain("startFlowHarness(");
    }
  });
});
