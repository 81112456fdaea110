import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, createTemplate, grantConsent, graph, publish } from "@/e2e/fixtures/flows";
import type { ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { addContactTag } from "@/db/queries/contacts";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { waitingByNode } from "@/db/queries/flow-stats";
import { now } from "@/lib/clock";
import { movingEntries, suggestMigration, type MigrationMap } from "@/lib/flows/editor/migration";
import type { LocalExecutor } from "../local/server";
import type { TestApp } from "../local/test-app";

/**
 * The editor's migration map honoured by the runtime: the real serve handler, the local executor
 * on a virtual clock, mail through the Resend SDK into the capture server.
 */

const HOUR = 3_600_000;
let h: FlowHarness;
let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;
let capture: ResendCapture;

beforeAll(async () => {
  h = await startFlowHarness();
  ({ db, ex, app, capture } = h);
  expect(h.functions).toContain("tillit-flow-migration");
});

afterAll(() => h?.stop());

const settle = () => h.settle();
const subjects = (email: string) => capture.emails.filter((e) => e.to.includes(email)).map((e) => e.subject);

describe("publishing with contacts waiting: the migration map", () => {
  it("moves mapped waiters to the new version at the chosen node, keeps the rest on the old one", async () => {
    const ws = await seedWorkspace(db.db, { contacts: 3 });
    const w = ws.workspace.id;
    await grantConsent(db.db, w, ws.contacts);
    const v1t = await createTemplate(db.db, w, "Reminder v1");
    const v2t = await createTemplate(db.db, w, "Reminder v2");
    // VIPs wait in a delay; the others wait for a purchase of their cart.
    const g = (template: string) =>
      graph(
        [
          ["t", "event-tracked", { event: "Product Added" }],
          ["vip", "condition", { mode: "yes-no", match: "all", rules: [{ type: "tag", tag: "vip" }] }],
          ["d", "delay", { durationMs: 2 * HOUR }],
          ["w", "wait-for-event", { event: "Order Completed", correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: 2 * HOUR }],
          ["s", "send-email", { templateId: template }],
          ["g", "goal", { name: "Purchased" }],
          ["x", "exit"],
        ],
        [
          ["t", "next", "vip"],
          ["vip", "yes", "d"],
          ["vip", "no", "w"],
          ["d", "next", "s"],
          ["w", "timeout", "s"],
          ["w", "matched", "g"],
          ["s", "next", "x"],
        ],
      );
    const g1 = g(v1t);
    const { flowId, versionId: v1 } = await createLiveFlow(db.db, { workspaceId: w, graph: g1 });
    const [stayer, buyer, forgetful] = ws.contacts;
    await addContactTag(db.db, { workspaceId: w, contactId: stayer!.id, tag: "vip" });
    const track = async (contactId: string, name: string, properties: Record<string, unknown>) => {
      const at = now();
      const { id } = await insertEvent(db.db, { workspaceId: w, contactId, name, properties, occurredAt: at });
      await app.inngest.send({ name: "contact/event.tracked", data: { workspaceId: w, contactId, eventId: id, name, properties, occurredAt: at.getTime() } });
      await settle();
    };
    for (const c of [stayer!, buyer!, forgetful!]) await track(c.id, "Product Added", { cartId: `cart-${c.id}` });
    const waiting = await waitingByNode(db.db, { workspaceId: w, flowId, flowVersionId: v1 });
    expect(Object.fromEntries(waiting.map((r) => [r.nodeId, r.count]))).toEqual({ d: 1, w: 2 });

    const g2 = g(v2t);
    const { versionId: v2 } = await publish(db.db, { workspaceId: w, flowId, graph: g2 });
    // The marketer keeps the suggestion for the wait, but lets the delay finish on v1.
    const map: MigrationMap = { ...suggestMigration(waiting, g1, g2), d: null };
    expect(map).toEqual({ d: null, w: "w" });
    const moving = Object.fromEntries(movingEntries(map));
    await app.inngest.send({ name: "flow/migration.requested", data: { workspaceId: w, flowId, fromVersionId: v1, toVersionId: v2, map: moving } });
    await settle();

    const moved = await listEnrollments(db.db, { workspaceId: w, flowId, contactId: buyer!.id });
    expect(moved.map((e) => [e.flowVersionId, e.status, e.exitReason, e.currentNodeId])).toEqual([
      [v1, "exited", "migrated", "w"],
      [v2, "active", null, "w"],
    ]);
    expect((await waitingByNode(db.db, { workspaceId: w, flowId, flowVersionId: v2 })).map((r) => [r.nodeId, r.count])).toEqual([["w", 2]]);
    // The correlation still uses the cart the contact entered with.
    await track(buyer!.id, "Order Completed", { cartId: "another-cart" });
    await track(buyer!.id, "Order Completed", { cartId: `cart-${buyer!.id}` });

    await ex.advanceClock(2 * HOUR + 1000);
    await settle();
    expect(subjects(stayer!.email)).toEqual(["Reminder v1"]);
    expect(subjects(forgetful!.email)).toEqual(["Reminder v2"]);
    expect(subjects(buyer!.email)).toEqual([]);

    const [, after] = await listEnrollments(db.db, { workspaceId: w, flowId, contactId: buyer!.id });
    expect([after!.status, after!.exitReason]).toEqual(["exited", "goal"]);
    const trace = await enrollmentTrace(db.db, { workspaceId: w, enrollmentId: after!.id });
    expect(trace.map((t) => `${t.nodeId}:${t.exit ?? t.outcome}`)).toEqual(["w:matched", "g:goal"]);
    const [old] = await listEnrollments(db.db, { workspaceId: w, flowId, contactId: forgetful!.id });
    const oldTrace = await enrollmentTrace(db.db, { workspaceId: w, enrollmentId: old!.id });
    expect(oldTrace.at(-1)).toMatchObject({ nodeId: "w", outcome: "exited:migrated" });

    // A retried request moves nobody twice and starts nothing new.
    await app.inngest.send({ name: "flow/migration.requested", data: { workspaceId: w, flowId, fromVersionId: v1, toVersionId: v2, map: moving } });
    await settle();
    expect(await listEnrollments(db.db, { workspaceId: w, flowId, contactId: forgetful!.id })).toHaveLength(2);
    expect(subjects(forgetful!.email)).toEqual(["Reminder v2"]);
  });
});

describe("a migration request whose payload does not fit its schema", () => {
  it("fails at once, naming the field, instead of retrying a parse that cannot succeed", async () => {
    const uuid = "00000000-0000-4000-8000-000000000000";
    const [id] = await ex.engine.ingest([
      { name: "flow/migration.requested", data: { workspaceId: "not-a-uuid", flowId: uuid, fromVersionId: uuid, toVersionId: uuid, map: {} } },
    ]);
    // Settled on the virtual clock: a retry would still be due later, leaving the run "running".
    await settle();
    const runs = await db.sql<{ status: string; error: { message?: string } | null }[]>`
      select status, error from inngest_local.runs where fn_id = 'tillit-flow-migration' and event->>'id' = ${id!}`;
    expect(runs.map((r) => r.status)).toEqual(["failed"]);
    expect(runs[0]!.error?.message).toMatch(/workspaceId: Invalid UUID/);
  });
});
