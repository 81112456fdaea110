import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { now } from "@/lib/clock";
import { env } from "@/lib/env";
import type { TestApp } from "../local/test-app";

/**
 * Long waits on the real runner and executor (docs/flows.md#long-waits): a wait longer than
 * TILLIT_MAX_SLEEP_DAYS (default 7) is a chain of sleeps, or of wait registrations, none longer
 * than that, ending when the wait ends; an event that lands between two links is not lost.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

let h: FlowHarness;
let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  h = await startFlowHarness();
  ({ db, app } = h);
});

afterAll(async () => {
  await h?.stop();
});

/** Every timer the executor held (sleeps and wait timeouts), by job id: what it was for and how long. */
const timers = new Map<string, { kind: string; createdAt: number; dueAt: number }>();
async function noteTimers() {
  const rows = await db.sql<{ id: string; kind: string; created_at: string; due_at: string }[]>`
    select id::text, kind, created_at, due_at from inngest_local.jobs where kind in ('sleep', 'wait_timeout')`;
  for (const r of rows) timers.set(r.id, { kind: r.kind, createdAt: Number(r.created_at), dueAt: Number(r.due_at) });
}

/** Moves the clock a day at a time for `days`, noting every timer the executor holds on the way. */
async function passDays(days: number) {
  await noteTimers();
  for (let i = 0; i < days; i++) {
    await h.advance(DAY);
    await noteTimers();
  }
}

async function workspace(n: number): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(db.db, { contacts: n });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  return ws;
}

async function enrolled(ws: SeededWorkspace, flowId: string, contactId: string) {
  const rows = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const trace = (ws: SeededWorkspace, enrollmentId: string) => enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId });
const path = async (ws: SeededWorkspace, enrollmentId: string) => (await trace(ws, enrollmentId)).map((t) => `${t.nodeId}:${t.exit ?? t.outcome}`);

describe("long waits are chains of sleeps of at most TILLIT_MAX_SLEEP_DAYS", () => {
  it("the setting defaults to 7 days", () => {
    expect(env().TILLIT_MAX_SLEEP_DAYS).toBe(7);
  });

  it("a 30-day delay and a wait until a date 40 days out complete at exactly their ends, the executor never asked for a sleep over 7 days", async () => {
    timers.clear();
    const ws = await workspace(1);
    const contact = ws.contacts[0]!;
    const start = now().getTime();
    const until = Math.floor((start + 40 * DAY) / 1000) * 1000;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["d", "delay", { durationMs: 30 * DAY }],
          ["u", "wait-until", { mode: "date", at: new Date(until).toISOString() }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "d"],
          ["d", "next", "u"],
          ["u", "next", "x"],
        ],
      ),
    });
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [contact.id] } });
    await h.settle();
    const e = await enrolled(ws, flowId, contact.id);
    const delayFrom = (await trace(ws, e.id)).find((t) => t.nodeId === "d")!.at.getTime();

    await passDays(29);
    expect(await path(ws, e.id)).toEqual(["t:next", "d:waiting"]);
    await passDays(2);
    expect(await path(ws, e.id)).toEqual(["t:next", "d:next", "u:waiting"]);
    await passDays(9);
    expect(await path(ws, e.id)).toEqual(["t:next", "d:next", "u:next", "x:exit"]);

    const rows = await trace(ws, e.id);
    expect(rows.find((t) => t.nodeId === "d")!.finishedAt!.getTime()).toBe(delayFrom + 30 * DAY);
    expect(rows.find((t) => t.nodeId === "u")!.finishedAt!.getTime()).toBe(until);
    const sleeps = [...timers.values()].filter((t) => t.kind === "sleep");
    // 30 days in 7-day links is 5 sleeps; the 10 days left to the date, 2.
    expect(sleeps).toHaveLength(7);
    for (const s of sleeps) expect(s.dueAt - s.createdAt).toBeLessThanOrEqual(WEEK);
    const ends = sleeps.map((s) => s.dueAt).sort((a, b) => a - b);
    expect(ends).toContain(delayFrom + 30 * DAY);
    expect(ends.at(-1)).toBe(until);
  });

  it("a 20-day wait for an event registers for at most 7 days at a time: an event sent during a link is taken at once, one that only reached the table between links at the next link's end, and nothing times out at exactly 20 days", async () => {
    timers.clear();
    const ws = await workspace(3);
    const [sent, missed, quiet] = ws.contacts;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["w", "wait-for-event", { event: "Order Completed", timeoutMs: 20 * DAY }],
          ["x", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "w"],
          ["w", "matched", "x"],
          ["w", "timeout", "x"],
        ],
      ),
    });
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [sent!.id, missed!.id, quiet!.id] } });
    await h.settle();
    const [es, em, eq] = [await enrolled(ws, flowId, sent!.id), await enrolled(ws, flowId, missed!.id), await enrolled(ws, flowId, quiet!.id)];
    const began = (await trace(ws, eq.id)).find((t) => t.nodeId === "w")!.at.getTime();

    await passDays(10);
    // Day 10, in the second link: one event reaches Inngest; another only the events table (its
    // hand-over to Inngest came before anything waited, as between two links).
    const at = now();
    const { id } = await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId: sent!.id, name: "Order Completed", properties: {}, occurredAt: at });
    await app.inngest.send({
      name: "contact/event.tracked",
      data: { workspaceId: ws.workspace.id, contactId: sent!.id, eventId: id, name: "Order Completed", properties: {}, occurredAt: at.getTime() },
    });
    await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId: missed!.id, name: "Order Completed", properties: {}, occurredAt: at });
    await h.settle();
    expect(await path(ws, es.id)).toEqual(["t:next", "w:matched", "x:exit"]);
    expect(await path(ws, em.id)).toEqual(["t:next", "w:waiting"]);

    await passDays(5);
    // The second link ended (day 7 + 1 minute … day 14 + 1 minute) and its catch-up found the row.
    expect(await path(ws, em.id)).toEqual(["t:next", "w:matched", "x:exit"]);
    expect(await path(ws, eq.id)).toEqual(["t:next", "w:waiting"]);

    await passDays(5);
    expect(await path(ws, eq.id)).toEqual(["t:next", "w:timeout", "x:exit"]);
    expect((await trace(ws, eq.id)).find((t) => t.nodeId === "w")!.finishedAt!.getTime()).toBe(began + 20 * DAY);

    const waits = [...timers.values()].filter((t) => t.kind === "wait_timeout");
    expect(waits.length).toBeGreaterThanOrEqual(4);
    for (const w of waits) expect(w.dueAt - w.createdAt).toBeLessThanOrEqual(WEEK);
  });
});
