import { createServer, type Server } from "node:http";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, createTemplate, grantConsent, graph } from "@/e2e/fixtures/flows";
import type { ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, failEnrollment, listEnrollments } from "@/db/queries/enrollments";
import { flows, messages } from "@/db/schema/index";
import type { TestApp } from "../local/test-app";
import { webhookTestRoute } from "./webhook-test-route";

/**
 * How a run ends when something outside Tillit fails: the mail provider's rate limits and
 * outages are waited out for as long as the flow allows (no retries spent), a webhook that keeps
 * answering 5xx spends the run's retries, and a run that fails for good ends its enrollment
 * "failed" at its node, says so in the trace and sends flow/run.failed.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Small, so a long wait for the provider has to continue as new in the middle of its node.
const MAX_STEPS = 20;

let h: FlowHarness;
let db: TestDatabase;
let app: TestApp;
let capture: ResendCapture;

// The webhook endpoint: a local server the runner reaches through an agent that connects here
// whatever address the (pinned, public) DNS answer gave; the SSRF screen still runs on that answer.
let hook: Server;
let hookStatus = 503;
const hookCalls: string[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    hookCalls.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(hookStatus, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  const addr = hook.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  h = await startFlowHarness({ maxStepsPerRun: MAX_STEPS, webhookRoute: webhookTestRoute({ hosts: ["hooks.example.com"], port }) });
  ({ db, app, capture } = h);
});

afterAll(async () => {
  await h?.stop();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
});

// Scripted provider failures must not leak from one test into the next.
afterEach(() => {
  capture.reset();
  hookCalls.length = 0;
  hookStatus = 503;
});

const settle = () => h.settle();
const advance = (ms: number) => h.advance(ms);

async function workspace(n: number): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(db.db, { contacts: n });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  return ws;
}

async function enrol(ws: SeededWorkspace, flowId: string, contactIds: string[]) {
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds } });
  await settle();
}

async function enrollmentsOf(ws: SeededWorkspace, flowId: string, contactId: string) {
  return listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId });
}

async function latest(ws: SeededWorkspace, flowId: string, contactId: string) {
  const rows = await enrollmentsOf(ws, flowId, contactId);
  expect(rows.length).toBeGreaterThan(0);
  return rows[rows.length - 1]!;
}

const trace = (ws: SeededWorkspace, enrollmentId: string) => enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId });

/** flow/run.failed events the runner sent for an enrollment (stored by the executor, duplicates included). */
const failedEvents = (enrollmentId: string) =>
  db.sql<{ id: string | null; data: Record<string, unknown> }[]>`
    select id, data from inngest_local.events
    where name = 'flow/run.failed' and data->>'enrollmentId' = ${enrollmentId} order by received_at`;

const runnerRuns = (enrollmentId: string) =>
  db.sql<{ id: string; status: string; error: { message?: string } | null }[]>`
    select id, status, error from inngest_local.runs
    where fn_id = 'tillit-flow-runner' and event->'data'->>'enrollmentId' = ${enrollmentId} order by created_at, id`;

/** Provider requests made for one send step (its idempotency key names the enrollment). */
/** The provider requests carrying this enrollment's mail (in a batch, or alone). */
const sendRequests = (enrollmentId: string) =>
  capture.requests.filter(
    (r) =>
      r.path.startsWith("/emails") &&
      [r.body].flat().some((m) => (m as { tags?: { name: string; value: string }[] } | null)?.tags?.some((t) => t.name === "enrollment" && t.value === enrollmentId)),
  );

function sendFlow(ws: SeededWorkspace, templateId: string, opts: { providerWaitHours?: number; name?: string } = {}) {
  return createLiveFlow(db.db, {
    workspaceId: ws.workspace.id,
    name: opts.name,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["s", "send-email", { templateId }],
        ["x", "exit", { reason: "done" }],
      ],
      [
        ["t", "next", "s"],
        ["s", "next", "x"],
      ],
    ),
  }).then(async (f) => {
    if (opts.providerWaitHours !== undefined) {
      await db.db.update(flows).set({ providerWaitHours: opts.providerWaitHours }).where(eq(flows.id, f.flowId));
    }
    return f;
  });
}

function webhookFlow(ws: SeededWorkspace, opts: { reentry?: "once" | "after" | "always"; reentryAfterDays?: number } = {}) {
  return createLiveFlow(db.db, {
    workspaceId: ws.workspace.id,
    reentry: opts.reentry,
    reentryAfterDays: opts.reentryAfterDays,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["d", "delay", { durationMs: HOUR }],
        ["w", "webhook", { url: "http://hooks.example.com/orders", method: "POST" }],
        ["x", "exit", { reason: "done" }],
      ],
      [
        ["t", "next", "d"],
        ["d", "next", "w"],
        ["w", "next", "x"],
      ],
    ),
  });
}

/** Moves the clock on in steps until `done` holds (retries and back-offs fire one at a time). */
async function advanceUntil(done: () => Promise<boolean>, step: number, limit: number) {
  for (let spent = 0; spent < limit && !(await done()); spent += step) await advance(step);
  expect(await done()).toBe(true);
}

describe("the mail provider's rate limits and outages are waited out", () => {
  it("a sustained 429 waits as Retry-After says, spends no retries, and the mail goes once", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const template = await createTemplate(db.db, ws.workspace.id, "Rate limited welcome");
    const { flowId } = await sendFlow(ws, template);
    // More 429s than the run has attempts (retries: 6): waiting must not spend them.
    capture.failNext({ status: 429, retryAfterSeconds: 60, message: "Too many requests" }, 12);
    await enrol(ws, flowId, [contact.id]);

    const e = await latest(ws, flowId, contact.id);
    expect(e.status).toBe("active");
    expect(sendRequests(e.id)).toHaveLength(1);
    const waiting = (await trace(ws, e.id)).find((t) => t.nodeId === "s")!;
    expect(waiting).toMatchObject({ outcome: "waiting", finishedAt: null });
    expect(waiting.detail).toMatch(/^Resend rate limit; retrying at \d{4}-\d\d-\d\dT/);

    // Retry-After is honoured: nothing is tried again before 60 s have passed.
    await advance(55_000);
    expect(sendRequests(e.id)).toHaveLength(1);
    await advance(5_000);
    expect(sendRequests(e.id)).toHaveLength(2);

    await advanceUntil(async () => (await latest(ws, flowId, contact.id)).status !== "active", 5 * MINUTE, 3 * HOUR);
    expect(await latest(ws, flowId, contact.id)).toMatchObject({ status: "exited", exitReason: "done" });
    const requests = sendRequests(e.id);
    expect(requests).toHaveLength(13);
    expect(new Set(requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    expect(capture.emails.filter((m) => m.to.includes(contact.email))).toHaveLength(1);
    const sent = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.enrollmentId, e.id)));
    expect(sent.map((m) => m.status)).toEqual(["sent"]);
    expect((await trace(ws, e.id)).find((t) => t.nodeId === "s")).toMatchObject({ outcome: "sent", exit: "next" });
    // The waiting spanned more steps than one run may take: it went on in a new run, same node.
    const runs = await runnerRuns(e.id);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    expect(await failedEvents(e.id)).toEqual([]);
  });

  it("a 5xx outage shorter than the allowance is waited out with a growing back-off, and the mail goes once", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const template = await createTemplate(db.db, ws.workspace.id, "Outage welcome");
    const { flowId } = await sendFlow(ws, template, { providerWaitHours: 24 });
    capture.failNext({ status: 503, message: "Service unavailable" }, 10);
    await enrol(ws, flowId, [contact.id]);
    const e = await latest(ws, flowId, contact.id);
    expect(sendRequests(e.id)).toHaveLength(1);
    const waiting = (await trace(ws, e.id)).find((t) => t.nodeId === "s")!;
    expect(waiting.detail).toMatch(/^Resend unavailable \(.*Service unavailable\); retrying at /);

    // The back-off grows: 30 s after the first failure, a minute after the second.
    await advance(30_000);
    expect(sendRequests(e.id)).toHaveLength(2);
    await advance(55_000);
    expect(sendRequests(e.id)).toHaveLength(2);
    await advance(5_000);
    expect(sendRequests(e.id)).toHaveLength(3);

    await advanceUntil(async () => (await latest(ws, flowId, contact.id)).status !== "active", 30 * MINUTE, 12 * HOUR);
    expect(await latest(ws, flowId, contact.id)).toMatchObject({ status: "exited", exitReason: "done" });
    expect(sendRequests(e.id)).toHaveLength(11);
    expect(capture.emails.filter((m) => m.to.includes(contact.email))).toHaveLength(1);
    const runs = await runnerRuns(e.id);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
  });

  it("an outage longer than the flow's allowance fails the run at the send, with the reason, once", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const template = await createTemplate(db.db, ws.workspace.id, "Never delivered");
    const { flowId } = await sendFlow(ws, template, { providerWaitHours: 3 });
    capture.failNext({ status: 500, message: "Internal error" }, 1000);
    await enrol(ws, flowId, [contact.id]);
    const e = await latest(ws, flowId, contact.id);

    // The clock moves in steps, so each sleep ends on time (or a little late, never early).
    for (let t = 0; t < 3 * HOUR - 10 * MINUTE; t += 10 * MINUTE) await advance(10 * MINUTE);
    expect((await latest(ws, flowId, contact.id)).status).toBe("active");
    // Bounded: a growing back-off, not a request every few seconds for three hours.
    expect(sendRequests(e.id).length).toBeLessThan(20);
    await advanceUntil(async () => (await latest(ws, flowId, contact.id)).status !== "active", 10 * MINUTE, 3 * HOUR);

    const failed = await latest(ws, flowId, contact.id);
    expect(failed).toMatchObject({ status: "failed", currentNodeId: "s" });
    expect(failed.finishedAt!.getTime() - e.enteredAt.getTime()).toBeGreaterThanOrEqual(3 * HOUR);
    expect(failed.exitReason).toMatch(/^Resend unavailable for 3 h/);
    expect(failed.exitReason).toContain("Internal error");
    expect(failed.finishedAt).not.toBeNull();
    const row = (await trace(ws, e.id)).find((t) => t.nodeId === "s")!;
    expect(row).toMatchObject({ outcome: "failed", detail: failed.exitReason, exit: null });
    expect(row.finishedAt).not.toBeNull();
    const [message] = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.enrollmentId, e.id)));
    expect(message).toMatchObject({ status: "failed" });

    const events = await failedEvents(e.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      workspaceId: ws.workspace.id,
      flowId,
      enrollmentId: e.id,
      contactId: contact.id,
      nodeId: "s",
      reason: failed.exitReason,
      failedAt: failed.finishedAt!.getTime(),
    });
    const runs = await runnerRuns(e.id);
    expect(runs.length).toBeGreaterThan(1); // the three hours spanned more steps than one run takes
    expect(runs[runs.length - 1]!.status).toBe("failed");

    // Nothing more is tried once it failed.
    const after = sendRequests(e.id).length;
    await advance(DAY);
    expect(sendRequests(e.id)).toHaveLength(after);
    expect(capture.emails.filter((m) => m.to.includes(contact.email))).toHaveLength(0);
  });
});

describe("a webhook that keeps answering 5xx", () => {
  it("spends the run's retries, then ends the enrollment failed at the webhook, in the trace, and sends flow/run.failed", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const { flowId } = await webhookFlow(ws);
    await enrol(ws, flowId, [contact.id]);
    await advance(HOUR);
    const e = await latest(ws, flowId, contact.id);
    expect(hookCalls).toEqual(["POST /orders"]);

    await advanceUntil(async () => (await latest(ws, flowId, contact.id)).status !== "active", 15 * MINUTE, 3 * HOUR);
    expect(hookCalls).toHaveLength(7); // retries: 6
    const failed = await latest(ws, flowId, contact.id);
    expect(failed).toMatchObject({ status: "failed", currentNodeId: "w" });
    expect(failed.exitReason).toBe("Webhook POST http://hooks.example.com/orders failed after 7 attempts: the endpoint answered 503");
    const steps = await trace(ws, e.id);
    expect(steps.map((s) => [s.nodeId, s.outcome, s.exit])).toEqual([
      ["t", "enrolled", "next"],
      ["d", "waited", "next"],
      ["w", "failed", null],
    ]);
    expect(steps[2]!.detail).toBe(failed.exitReason);
    expect(steps.every((s) => s.finishedAt !== null)).toBe(true);

    const events = await failedEvents(e.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ flowId, enrollmentId: e.id, contactId: contact.id, nodeId: "w", reason: failed.exitReason });
    const runs = await runnerRuns(e.id);
    expect(runs.map((r) => r.status)).toEqual(["failed"]);
  });

  it("a failed enrollment has ended: the contact re-enters under 'always', and under 'after' once the days have passed", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const always = await webhookFlow(ws, { reentry: "always" });
    const after = await webhookFlow(ws, { reentry: "after", reentryAfterDays: 2 });
    for (const f of [always, after]) await enrol(ws, f.flowId, [contact.id]);
    await advance(HOUR);
    await advanceUntil(
      async () => (await latest(ws, always.flowId, contact.id)).status === "failed" && (await latest(ws, after.flowId, contact.id)).status === "failed",
      15 * MINUTE,
      3 * HOUR,
    );

    hookStatus = 200;
    for (const f of [always, after]) await enrol(ws, f.flowId, [contact.id]);
    expect((await enrollmentsOf(ws, always.flowId, contact.id)).map((e) => e.status)).toEqual(["failed", "active"]);
    expect((await enrollmentsOf(ws, after.flowId, contact.id)).map((e) => e.status)).toEqual(["failed"]);

    await advance(2 * DAY);
    await enrol(ws, after.flowId, [contact.id]);
    expect((await enrollmentsOf(ws, always.flowId, contact.id)).map((e) => [e.status, e.exitReason])).toEqual([
      ["failed", expect.stringContaining("answered 503")],
      ["exited", "done"],
    ]);
    await advance(HOUR);
    expect((await enrollmentsOf(ws, after.flowId, contact.id)).map((e) => e.status)).toEqual(["failed", "exited"]);
  });
});

describe("failure handling is idempotent", () => {
  it("a second delivery of the failure changes nothing and raises no second notice", async () => {
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const { flowId } = await webhookFlow(ws);
    await enrol(ws, flowId, [contact.id]);
    await advance(HOUR);
    await advanceUntil(async () => (await latest(ws, flowId, contact.id)).status === "failed", 15 * MINUTE, 3 * HOUR);
    const e = await latest(ws, flowId, contact.id);
    const steps = await trace(ws, e.id);
    const [run] = await runnerRuns(e.id);
    const [original] = await db.sql<{ data: Record<string, unknown> }[]>`
      select data from inngest_local.events
      where name = 'inngest/function.failed' and data->>'run_id' = ${run!.id}`;
    expect(original).toBeDefined();

    // Inngest delivers the failure again (its onFailure function retried or re-run), later.
    await advance(HOUR);
    await h.ex.engine.ingest([{ name: "inngest/function.failed", data: original!.data }]);
    await settle();
    const failureRuns = await db.sql<{ status: string }[]>`
      select status from inngest_local.runs
      where fn_id = 'tillit-flow-runner-failure' and event->'data'->>'run_id' = ${run!.id}`;
    expect(failureRuns.map((r) => r.status)).toEqual(["completed", "completed"]);

    expect(await latest(ws, flowId, contact.id)).toEqual(e);
    expect(await trace(ws, e.id)).toEqual(steps);
    const events = await failedEvents(e.id);
    // One notice: a repeat would carry the same event id, which Inngest drops as a duplicate.
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((x) => x.id !== null && x.id === events[0]!.id)).toBe(true);

    // Calling the query again: the enrollment is no longer active, so nothing changes.
    const again = await failEnrollment(db.db, { workspaceId: ws.workspace.id, enrollmentId: e.id, nodeId: "x", reason: "another reason", at: new Date() });
    expect(again).toMatchObject({ changed: false, status: "failed", nodeId: "w", reason: e.exitReason });
    expect(await latest(ws, flowId, contact.id)).toEqual(e);
    expect(await trace(ws, e.id)).toEqual(steps);
  });

  it("failEnrollment is scoped by workspace and ends only an active enrollment", async () => {
    const ws = await workspace(1);
    const other = await workspace(1);
    const contact = ws.contacts[0]!;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph([["t", "manual-enrol"], ["d", "delay", { durationMs: DAY }], ["x", "exit"]], [["t", "next", "d"], ["d", "next", "x"]]),
    });
    await enrol(ws, flowId, [contact.id]);
    const e = await latest(ws, flowId, contact.id);
    const at = new Date();

    // Another workspace cannot fail it, even knowing its id.
    const foreign = await failEnrollment(db.db, { workspaceId: other.workspace.id, enrollmentId: e.id, nodeId: "d", reason: "nope", at });
    expect(foreign).toBeNull();
    expect((await latest(ws, flowId, contact.id)).status).toBe("active");

    const long = "x".repeat(800);
    const done = await failEnrollment(db.db, { workspaceId: ws.workspace.id, enrollmentId: e.id, nodeId: "d", reason: long, at });
    expect(done).toMatchObject({ changed: true, status: "failed", nodeId: "d", flowId, contactId: contact.id });
    const row = await latest(ws, flowId, contact.id);
    expect(row.exitReason!.length).toBeLessThanOrEqual(500);
    expect(row.exitReason!.endsWith("…")).toBe(true);
    // The delay's open row is closed as failed, with the reason.
    const steps = await trace(ws, e.id);
    expect(steps.map((s) => [s.nodeId, s.outcome])).toEqual([
      ["t", "enrolled"],
      ["d", "failed"],
    ]);
    expect(steps[1]!.detail).toBe(row.exitReason);
    expect(steps[1]!.finishedAt).toEqual(at);
  });
});
