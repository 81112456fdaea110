import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedFailedRun } from "@/e2e/fixtures/failed-runs";
import { createLiveFlow, createTemplate, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { appOutbox, enrollments } from "../schema/index";
import { nodeCounters } from "./enrollments";
import { exitFailedRuns, failedRunCounts, listFailedRuns, retryFailedRuns, type RetryStarted } from "./failed-runs";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

const startEvents = (started: RetryStarted[]) =>
  started.map((s) => ({ id: `${s.enrollmentId}:0`, name: "flow/enrollment.started", data: { enrollmentId: s.enrollmentId, runKey: `${s.enrollmentId}:0` } }));

/** A live flow (re-entry "once") with three contacts whose runs failed: two at the send, one at the tag. */
async function world() {
  const s = await seedWorkspace(t.db, { contacts: 4 });
  const workspaceId = s.workspace.id;
  const templateId = await createTemplate(t.db, workspaceId, "Welcome");
  const { flowId, versionId } = await createLiveFlow(t.db, {
    workspaceId,
    graph: graph(
      [["t", "manual-enrol"], ["tag", "add-tag", { tag: "welcomed" }], ["s", "send-email", { templateId }], ["x", "exit"]],
      [["t", "next", "tag"], ["tag", "next", "s"], ["s", "next", "x"]],
    ),
  });
  const [a, b, c, d] = s.contacts;
  const base = { workspaceId, flowId, flowVersionId: versionId };
  const hour = 3_600_000;
  const at = new Date("2026-03-02T10:00:00Z");
  const failed = {
    a: await seedFailedRun(t.db, { ...base, contactId: a!.id, nodeId: "s", at: new Date(at.getTime() + hour), trigger: { cartId: "cart-a" } }),
    b: await seedFailedRun(t.db, { ...base, contactId: b!.id, nodeId: "s", at, reason: "Resend: daily quota exceeded" }),
    c: await seedFailedRun(t.db, { ...base, contactId: c!.id, nodeId: "tag", kind: "add-tag", at: new Date(at.getTime() + 2 * hour), reason: "database unavailable" }),
  };
  return { s, workspaceId, flowId, versionId, contacts: { a: a!, b: b!, c: c!, d: d! }, failed };
}

describe("failed runs: counts and the list", () => {
  it("counts open failures per node apart from exits, lists them newest first, and only the workspace's own", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId };
    expect(await failedRunCounts(t.db, q)).toEqual({ total: 3, byNode: { s: 2, tag: 1 } });
    const counters = await nodeCounters(t.db, q);
    expect(counters.find((c) => c.nodeId === "s")).toMatchObject({ failed: 2, exited: {} });

    const list = await listFailedRuns(t.db, q);
    expect(list.map((r) => [r.email, r.nodeId, r.reason])).toEqual([
      [w.contacts.c.email, "tag", "database unavailable"],
      [w.contacts.a.email, "s", expect.stringContaining("503")],
      [w.contacts.b.email, "s", "Resend: daily quota exceeded"],
    ]);
    expect(list[0]).toMatchObject({ enrollmentId: w.failed.c, contactId: w.contacts.c.id, flowVersionId: w.versionId, failedAt: new Date("2026-03-02T12:00:00Z") });
    expect((await listFailedRuns(t.db, { ...q, nodeId: "s" })).map((r) => r.enrollmentId)).toEqual([w.failed.a, w.failed.b]);

    const other = await seedWorkspace(t.db, { contacts: 0 });
    expect(await listFailedRuns(t.db, { workspaceId: other.workspace.id, flowId: w.flowId })).toEqual([]);
    expect(await failedRunCounts(t.db, { workspaceId: other.workspace.id, flowId: w.flowId })).toEqual({ total: 0, byNode: {} });
  });
});

describe("retrying a failed run", () => {
  it("starts a new enrollment at the failed node of the same version with the trigger copied, through the outbox, and the failure leaves the list", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId };
    const at = new Date("2026-03-03T09:00:00Z");
    const r = await retryFailedRuns(t.db, { ...q, which: { enrollmentIds: [w.failed.a] }, at, startEvents });
    expect(r.started).toHaveLength(1);
    expect(r.alreadyInFlow).toEqual([]);
    const started = r.started[0]!;
    expect(started).toMatchObject({ failedId: w.failed.a, contactId: w.contacts.a.id, flowVersionId: w.versionId, startNodeId: "s" });
    const [row] = await t.db.select().from(enrollments).where(eq(enrollments.id, started.enrollmentId));
    expect(row).toMatchObject({
      workspaceId: w.workspaceId,
      flowId: w.flowId,
      flowVersionId: w.versionId,
      contactId: w.contacts.a.id,
      status: "active",
      startNodeId: "s",
      currentNodeId: "s",
      trigger: { cartId: "cart-a" },
      sourceEventId: `retry:${w.failed.a}`,
      enteredAt: at,
    });
    // The run's start event waits in the outbox, written in the same transaction.
    const outbox = await t.db.select().from(appOutbox).where(eq(appOutbox.eventId, `${started.enrollmentId}:0`));
    expect(outbox.map((o) => [o.name, o.data])).toEqual([["flow/enrollment.started", { enrollmentId: started.enrollmentId, runKey: `${started.enrollmentId}:0` }]]);
    expect(r.outboxIds).toEqual([outbox[0]!.id]);

    // The failed enrollment stays failed (its history) but is no longer listed nor counted.
    const [old] = await t.db.select().from(enrollments).where(eq(enrollments.id, w.failed.a));
    expect(old!.status).toBe("failed");
    expect((await listFailedRuns(t.db, q)).map((x) => x.enrollmentId)).toEqual([w.failed.c, w.failed.b]);
    expect(await failedRunCounts(t.db, q)).toEqual({ total: 2, byNode: { s: 1, tag: 1 } });

    // Asking again starts nothing.
    const again = await retryFailedRuns(t.db, { ...q, which: { enrollmentIds: [w.failed.a] }, at, startEvents });
    expect([again.picked, again.started.length]).toEqual([0, 0]);
    expect(await t.db.select().from(enrollments).where(eq(enrollments.contactId, w.contacts.a.id))).toHaveLength(2);
  });

  it("two retries at once (a double click) start one run", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId, which: { enrollmentIds: [w.failed.b] }, at: new Date(), startEvents };
    const [one, two] = await Promise.all([retryFailedRuns(t.db, q), retryFailedRuns(t.db, q)]);
    expect(one.started.length + two.started.length).toBe(1);
    expect([...one.alreadyInFlow, ...two.alreadyInFlow]).toEqual([]);
    const rows = await t.db.select().from(enrollments).where(and(eq(enrollments.flowId, w.flowId), eq(enrollments.contactId, w.contacts.b.id)));
    expect(rows.map((e) => e.status).sort()).toEqual(["active", "failed"]);
    expect(await t.db.select().from(appOutbox).where(eq(appOutbox.eventId, `${rows.find((e) => e.status === "active")!.id}:0`))).toHaveLength(1);
  });

  it("a contact already back in the flow is reported, not enrolled twice, and stays in the list", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId };
    await t.db.insert(enrollments).values({ workspaceId: w.workspaceId, flowId: w.flowId, flowVersionId: w.versionId, contactId: w.contacts.c.id, status: "active", currentNodeId: "t" });
    const r = await retryFailedRuns(t.db, { ...q, which: { all: true }, at: new Date(), startEvents });
    expect(r.started.map((s) => s.failedId).sort()).toEqual([w.failed.a, w.failed.b].sort());
    expect(r.alreadyInFlow).toEqual([{ failedId: w.failed.c, contactId: w.contacts.c.id, email: w.contacts.c.email }]);
    expect(await t.db.select().from(enrollments).where(and(eq(enrollments.contactId, w.contacts.c.id), eq(enrollments.status, "active")))).toHaveLength(1);
    expect((await listFailedRuns(t.db, q)).map((x) => x.enrollmentId)).toEqual([w.failed.c]);
  });

  it("retry all at one node, in batches, touches only that node's failures", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId };
    const first = await retryFailedRuns(t.db, { ...q, which: { all: true, nodeId: "s" }, at: new Date(), startEvents, limit: 1 });
    expect([first.picked, first.started.length]).toEqual([1, 1]);
    const second = await retryFailedRuns(t.db, { ...q, which: { all: true, nodeId: "s" }, at: new Date(), startEvents, limit: 1, after: first.lastId });
    expect([second.picked, second.started.length]).toEqual([1, 1]);
    const third = await retryFailedRuns(t.db, { ...q, which: { all: true, nodeId: "s" }, at: new Date(), startEvents, limit: 1, after: second.lastId });
    expect(third.picked).toBe(0);
    expect(await failedRunCounts(t.db, q)).toEqual({ total: 1, byNode: { tag: 1 } });
  });

  it("another workspace's ids retry nothing and write nothing", async () => {
    const w = await world();
    const other = await seedWorkspace(t.db, { contacts: 0 });
    const r = await retryFailedRuns(t.db, { workspaceId: other.workspace.id, flowId: w.flowId, which: { enrollmentIds: [w.failed.a] }, at: new Date(), startEvents });
    expect(r).toMatchObject({ picked: 0, started: [], outboxIds: [] });
    const all = await retryFailedRuns(t.db, { workspaceId: other.workspace.id, flowId: w.flowId, which: { all: true }, at: new Date(), startEvents });
    expect(all.picked).toBe(0);
    expect(await t.db.select().from(enrollments).where(eq(enrollments.contactId, w.contacts.a.id))).toHaveLength(1);
  });
});

describe("exiting a failed run", () => {
  it("dismisses it as exited after failure; a retried or foreign one is left alone", async () => {
    const w = await world();
    const q = { workspaceId: w.workspaceId, flowId: w.flowId };
    await retryFailedRuns(t.db, { ...q, which: { enrollmentIds: [w.failed.a] }, at: new Date(), startEvents });
    const other = await seedWorkspace(t.db, { contacts: 0 });
    expect(await exitFailedRuns(t.db, { workspaceId: other.workspace.id, flowId: w.flowId, which: { enrollmentIds: [w.failed.b] } })).toEqual([]);
    expect(await exitFailedRuns(t.db, { ...q, which: { enrollmentIds: [w.failed.a] } })).toEqual([]);

    const ended = await exitFailedRuns(t.db, { ...q, which: { enrollmentIds: [w.failed.b] } });
    expect(ended).toEqual([{ enrollmentId: w.failed.b, contactId: w.contacts.b.id, nodeId: "s" }]);
    const [b] = await t.db.select().from(enrollments).where(eq(enrollments.id, w.failed.b));
    expect([b!.status, b!.exitReason, b!.finishedAt]).toEqual(["exited", "exited after failure", new Date("2026-03-02T10:00:00Z")]);
    const [a] = await t.db.select().from(enrollments).where(eq(enrollments.id, w.failed.a));
    expect(a!.status).toBe("failed");
    expect((await listFailedRuns(t.db, q)).map((x) => x.enrollmentId)).toEqual([w.failed.c]);
    expect(await exitFailedRuns(t.db, { ...q, which: { all: true } })).toHaveLength(1);
    expect(await listFailedRuns(t.db, q)).toEqual([]);
  });
});
