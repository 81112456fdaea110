import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { eventOutboxBatches, events, workspaces } from "../schema/index";
import { attachPendingEvents, forwardOutbox, outboxBacklog, writeTrackingBatch, type OutboxEvent, type TrackingWrite } from "./tracking";

let t: TestDatabase;
let ws: SeededWorkspace;
beforeAll(async () => {
  t = await freshDatabase();
  ws = await seedWorkspace(t.db, { contacts: 0 });
});
afterAll(async () => {
  await t.destroy();
});

const at = new Date("2026-11-23T12:00:00Z");
const write = (w: Partial<TrackingWrite> & Pick<TrackingWrite, "type" | "messageId">, workspaceId = ws.workspace.id): TrackingWrite => ({
  workspaceId,
  name: w.type === "identify" ? "Identified" : "Viewed",
  properties: {},
  occurredAt: at,
  ...w,
});
const idOf = async (messageId: string) => (await t.db.select({ id: events.id }).from(events).where(eq(events.messageId, messageId)))[0]!.id;
const forwardAll = async (limit = 500) => {
  const calls: OutboxEvent[][] = [];
  let pass;
  do pass = await forwardOutbox(t.db, limit, (b) => Promise.resolve(void calls.push(b)));
  while (pass.rows > 0);
  return calls;
};

describe("the tracking outbox", () => {
  it("lists a group's events with a contact in one row, forwards them in order once, and leaves unknown visitors waiting", async () => {
    await writeTrackingBatch(t.db, [
      write({ type: "identify", messageId: "o-1", userId: "o-user", contact: { email: "o-user@example.com" } }),
      write({ type: "track", messageId: "o-2", userId: "o-user" }),
      write({ type: "track", messageId: "o-3", userId: "o-nobody" }),
      write({ type: "page", messageId: "o-4", anonymousId: "o-anon" }),
    ]);
    const rows = await t.db.select().from(eventOutboxBatches);
    expect(rows.map((r) => r.eventIds)).toEqual([[await idOf("o-1"), await idOf("o-2")]]);
    expect((await idOf("o-2"))[14]).toBe("7");
    expect(await outboxBacklog(t.db)).toEqual({ ready: 2, waiting: 2, capped: false, oldestSeconds: expect.any(Number) });
    // The lag is the age of the oldest row waiting.
    await t.sql`update event_outbox_batches set created_at = now() - interval '90 seconds'`;
    expect((await outboxBacklog(t.db)).oldestSeconds).toBeGreaterThanOrEqual(90);
    expect((await outboxBacklog(t.db)).oldestSeconds).toBeLessThan(120);

    const calls = await forwardAll();
    expect(calls.flat().map((e) => e.eventId)).toEqual([await idOf("o-1"), await idOf("o-2")]);
    expect(calls[0]![1]).toMatchObject({ name: "Viewed", workspaceId: ws.workspace.id, contactId: expect.any(String) });
    expect(await t.db.select().from(eventOutboxBatches)).toEqual([]);
    expect(await forwardAll()).toEqual([]);
  });

  it("queues a waiting event once its person becomes known, by userId or by the anonymous id identify links", async () => {
    // o-nobody and o-anon from the test above become known.
    await writeTrackingBatch(t.db, [
      write({ type: "identify", messageId: "o-5", userId: "o-nobody", contact: { email: "nobody@example.com" } }),
      write({ type: "identify", messageId: "o-6", userId: "o-known", anonymousId: "o-anon", contact: { email: "anon@example.com" } }),
    ]);
    // The anonymous visitor's page view was merged by the identify itself; the userId match waits for the pass.
    expect(await attachPendingEvents(t.db)).toBe(1);
    expect(await attachPendingEvents(t.db)).toBe(0);
    const sent = (await forwardAll()).flat().map((e) => e.eventId);
    expect(sent.sort()).toEqual([await idOf("o-3"), await idOf("o-4"), await idOf("o-5"), await idOf("o-6")].sort());
    expect(await outboxBacklog(t.db)).toEqual({ ready: 0, waiting: 0, capped: false, oldestSeconds: null });
    // The app's own outbox counts towards the lag too (the ingest forwards it as well).
    await t.sql`insert into app_outbox (event_id, name, data, created_at) values ('lag-1', 'contact/created', '{}', now() - interval '30 seconds')`;
    expect((await outboxBacklog(t.db)).oldestSeconds).toBeGreaterThanOrEqual(30);
    await t.sql`delete from app_outbox where event_id = 'lag-1'`;
  });

  it("sends at most `limit` events a call, and never an event deleted since it was listed (erasure, a deleted workspace)", async () => {
    const other = await seedWorkspace(t.db, { contacts: 0 });
    await writeTrackingBatch(t.db, [
      write({ type: "identify", messageId: "d-1", userId: "d-user", contact: { email: "d@example.com" } }),
      ...[2, 3, 4].map((n) => write({ type: "track", messageId: `d-${n}`, userId: "d-user" })),
      write({ type: "identify", messageId: "d-5", userId: "d-other", contact: { email: "d@example.com" } }, other.workspace.id),
    ]);
    const keep = [await idOf("d-1"), await idOf("d-3"), await idOf("d-4")];
    await t.db.delete(events).where(eq(events.id, await idOf("d-2")));
    await t.db.delete(workspaces).where(eq(workspaces.id, other.workspace.id));
    const calls = await forwardAll(2);
    // Ids are looked up `limit` at a time: the first two held the deleted one.
    expect(calls.map((c) => c.map((e) => e.eventId))).toEqual([keep.slice(0, 1), keep.slice(1)]);
    expect(await t.db.select().from(eventOutboxBatches)).toEqual([]);
  });

  it("keeps claimed rows for a failed hand-over until the claim lapses", async () => {
    await writeTrackingBatch(t.db, [write({ type: "identify", messageId: "f-1", userId: "f-user", contact: { email: "f@example.com" } })]);
    await expect(forwardOutbox(t.db, 500, async () => Promise.reject(new Error("Inngest unreachable")), 60_000)).rejects.toThrow("Inngest unreachable");
    expect(await forwardAll()).toEqual([]);
    await t.sql`update event_outbox_batches set claimed_until = now() - interval '1 second'`;
    expect((await forwardAll()).flat().map((e) => e.eventId)).toEqual([await idOf("f-1")]);
  });
});
