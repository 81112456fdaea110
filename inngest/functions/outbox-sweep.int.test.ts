import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rows } from "@/db/client";
import { writeTrackingBatch, type TrackingWrite } from "@/db/queries/tracking";
import { eventOutboxBatches, events } from "@/db/schema/index";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { seedWorkspace } from "@/e2e/fixtures/seed";

/**
 * The minute's sweep forwards tracked events no forwarder sent: where no ingest process runs (the
 * app's own tracking route), a pass that failed leaves them to it. Here nothing forwards but the
 * sweep: events committed as the route commits them reach Inngest once the clock passes a minute.
 */

let h: FlowHarness;
beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(async () => {
  await h.stop();
});

it("hands stranded tracked events to Inngest, attaching a visitor's waiting ones first", async () => {
  const ws = await seedWorkspace(h.db.db, { contacts: 0 });
  const at = new Date(h.clock.nowMs());
  const w = (over: Partial<TrackingWrite> & Pick<TrackingWrite, "type" | "messageId" | "name">): TrackingWrite => ({ workspaceId: ws.workspace.id, properties: {}, occurredAt: at, ...over });
  // An anonymous visit first (no contact: it waits), then the identify and a known user's event, in
  // separate commits as separate requests make them.
  await writeTrackingBatch(h.db.db, [w({ type: "track", messageId: "s-1", anonymousId: "anon-sweep", name: "Browsed" })]);
  await writeTrackingBatch(h.db.db, [w({ type: "identify", messageId: "s-2", userId: "sweep-1", anonymousId: "anon-sweep", name: "Identified", contact: { email: "sweep@example.com" } })]);
  await writeTrackingBatch(h.db.db, [w({ type: "track", messageId: "s-3", userId: "sweep-1", name: "Ordered" })]);
  const stored = await h.db.db.select({ id: events.id, name: events.name }).from(events).where(eq(events.workspaceId, ws.workspace.id));
  expect(stored).toHaveLength(3);

  const forwarded = async () =>
    (await rows<{ eventId: string }>(h.db.db, sql`select data->>'eventId' as "eventId" from inngest_local.events where name = 'contact/event.tracked' and data->>'workspaceId' = ${ws.workspace.id}`)).map((r) => r.eventId);
  expect(await forwarded()).toEqual([]);

  await h.advance(61_000);
  expect((await forwarded()).sort()).toEqual(stored.map((s) => s.id).sort());
  expect(await h.db.db.select().from(eventOutboxBatches)).toHaveLength(0);
  const [browsed] = await h.db.db.select().from(events).where(and(eq(events.workspaceId, ws.workspace.id), eq(events.name, "Browsed")));
  expect(browsed!.contactId).not.toBeNull();
});
