import { and, eq, like, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastProgress, snapshotAudience } from "@/db/queries/broadcast-audience";
import { broadcasts, consentEvents, contacts, messages, templates, workspaces } from "@/db/schema/index";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { now } from "@/lib/clock";
import { verifyViewToken } from "@/lib/email/view-link";
import { scheduledBroadcast, seedAudience, sendRequested, setPace } from "./broadcast-fixture";

/**
 * Broadcasts end to end: the sender and batch functions served by the real SDK, run by the local
 * executor on a virtual clock, mail through the real Resend SDK into the capture server.
 */

let h: FlowHarness;
beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(async () => h.stop());

const db = () => h.db.db;
const mineOf = (broadcastId: string) => h.capture.emails.filter((e) => e.tags.some((t) => t.name === "broadcast" && t.value === broadcastId));
const statusOf = async (broadcastId: string) => (await db().select().from(broadcasts).where(eq(broadcasts.id, broadcastId)))[0]!;

async function workspaceWith(n: number, prefix: string) {
  const ws = await seedWorkspace(db(), { contacts: 0 });
  await setPace(db(), ws.workspace.id, 1000);
  const { segmentId } = await seedAudience(db(), { workspaceId: ws.workspace.id, n, prefix });
  return { workspaceId: ws.workspace.id, segmentId };
}

describe("a broadcast to a segment", () => {
  it("sends exactly once per eligible recipient, pinned content, List-Unsubscribe, batches of at most 100", async () => {
    const { workspaceId, segmentId } = await workspaceWith(250, "seg");
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId, templateId } = await scheduledBroadcast(db(), { workspaceId, audience });
    // Someone who withdraws after scheduling, and the template edited after pinning.
    const [leaver] = await db().select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.email, "seg-7@example.com")));
    await db().insert(consentEvents).values({ workspaceId, contactId: leaver!.id, kind: "withdrawn", source: "unsubscribe_link" });
    await db().update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, leaver!.id));
    await db().update(templates).set({ subject: "EDITED", body: { html: "<p>EDITED</p>", text: "EDITED" } }).where(eq(templates.id, templateId));
    const requestsBefore = h.capture.requests.length;

    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();

    const mine = mineOf(broadcastId);
    expect(mine).toHaveLength(249);
    expect(new Set(mine.map((e) => e.to[0])).size).toBe(249);
    expect(mine.some((e) => e.to.includes(leaver!.email))).toBe(false);
    const one = mine.find((e) => e.to.includes("seg-3@example.com"))!;
    expect(one.subject).toBe("March news for Reader3");
    expect(one.html).toContain("Hi Reader3");
    expect(one.html).not.toContain("EDITED");
    expect(one.headers["List-Unsubscribe"]).toMatch(/^<http[^>]+\/u\/[A-Za-z0-9_-]+>/);
    expect(one.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(one.idempotencyKey).toMatch(/^send-batch:/); // batched: the request carries its frozen batch's key
    // The view-in-browser link names this message, signed for this workspace.
    const token = /\/v\/([^"]+)"/.exec(one.html!)![1]!;
    const secret = (await db().execute<{ secret: string }>(sql`select secret from workspaces where id = ${workspaceId}`))[0]!.secret;
    const viewed = verifyViewToken(secret, token);
    const [msg] = await db().select().from(messages).where(eq(messages.id, viewed!.messageId));
    expect(msg).toMatchObject({ broadcastId, toEmail: "seg-3@example.com", status: "sent", subject: "March news for Reader3", idempotencyKey: `broadcast:${broadcastId}:${msg!.contactId}` });
    expect(msg!.consentEventId).not.toBeNull();

    const batchRequests = h.capture.requests.slice(requestsBefore).filter((r) => r.path === "/emails/batch");
    expect(batchRequests.length).toBeGreaterThanOrEqual(3);
    for (const r of batchRequests) expect((r.body as unknown[]).length).toBeLessThanOrEqual(100);

    const b = await statusOf(broadcastId);
    expect(b.status).toBe("sent");
    expect(b.finishedAt).not.toBeNull();
    expect(b.recipientCount).toBe(249); // the leaver left before the snapshot
    expect(await broadcastProgress(db(), { workspaceId, broadcastId })).toEqual({ total: 249, queued: 0, sent: 249, failed: 0, skipped: {} });

    // Replays: the same event, and a later attempt's, send nothing more.
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId, 5));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(249);
  }, 60_000);

  it("someone who unsubscribes after the snapshot is skipped with the reason", async () => {
    const { workspaceId, segmentId } = await workspaceWith(120, "late");
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience });
    // Sending started and the snapshot was taken (as the sender's start step does), nothing handed off yet.
    await db().update(broadcasts).set({ status: "sending", startedAt: now() }).where(eq(broadcasts.id, broadcastId));
    expect(await snapshotAudience(db(), { workspaceId, broadcastId, audience })).toBe(120);
    const [leaver] = await db().select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.email, "late-110@example.com")));
    await db().insert(consentEvents).values({ workspaceId, contactId: leaver!.id, kind: "withdrawn", source: "unsubscribe_link" });
    await db().update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, leaver!.id));
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    const mine = mineOf(broadcastId);
    expect(mine).toHaveLength(119);
    expect(mine.some((e) => e.to.includes("late-110@example.com"))).toBe(false);
    const progress = await broadcastProgress(db(), { workspaceId, broadcastId });
    expect(progress).toEqual({ total: 120, queued: 0, sent: 119, failed: 0, skipped: { not_subscribed: 1 } });
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 60_000);
});

describe("a batch in flight", () => {
  it("whose answer was lost goes again as frozen, even to someone who unsubscribed meanwhile, and counts as sent", async () => {
    const { workspaceId, segmentId } = await workspaceWith(50, "lost");
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience });
    // The provider takes the batch, and its answer is lost: the run waits and sends the frozen batch again.
    h.capture.failNext({ status: 500, afterAccept: true });
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(50);
    const [leaver] = await db().select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.email, "lost-9@example.com")));
    await db().insert(consentEvents).values({ workspaceId, contactId: leaver!.id, kind: "withdrawn", source: "unsubscribe_link" });
    await db().update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, leaver!.id));
    await h.advance(10 * 60_000);
    // One message each (the same key again), and the record says what happened: sent, not skipped.
    expect(mineOf(broadcastId)).toHaveLength(50);
    expect(await broadcastProgress(db(), { workspaceId, broadcastId })).toEqual({ total: 50, queued: 0, sent: 50, failed: 0, skipped: {} });
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 60_000);
});

describe("frequency cap", () => {
  async function cappedWorkspace(prefix: string) {
    const { workspaceId, segmentId } = await workspaceWith(30, prefix);
    await db().update(workspaces).set({ sendingPolicy: { pace: { requestsPerSecond: 1000 }, frequencyCap: { max: 1, windowHours: 24 } } }).where(eq(workspaces.id, workspaceId));
    // A third of them had a marketing message an hour ago.
    const recent = await db().select().from(contacts).where(and(eq(contacts.workspaceId, workspaceId), like(contacts.email, `${prefix}-1%`)));
    await db().insert(messages).values(recent.map((c) => ({ workspaceId, contactId: c.id, class: "marketing" as const, toEmail: c.email, subject: "Earlier", status: "sent" as const, sentAt: new Date(now().getTime() - 3_600_000) })));
    return { workspaceId, audience: { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] }, held: recent.length };
  }

  it("holds the capped recipients queued and sends them when the window frees", async () => {
    const { workspaceId, audience, held } = await cappedWorkspace("capped");
    expect(held).toBeGreaterThan(0);
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience });
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(30 - held);
    expect((await broadcastProgress(db(), { workspaceId, broadcastId })).queued).toBe(held);
    expect((await statusOf(broadcastId)).status).toBe("sending");
    await h.advance(24 * 3_600_000);
    expect(mineOf(broadcastId)).toHaveLength(30);
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 60_000);

  it("does not hold a broadcast marked to bypass caps", async () => {
    const { workspaceId, audience } = await cappedWorkspace("bypass");
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience, bypassCaps: true });
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(30);
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 60_000);
});

describe("events that do not fit", () => {
  it("another workspace's id, garbage and floods of the same batch send nothing extra", async () => {
    const { workspaceId, segmentId } = await workspaceWith(40, "abuse");
    const other = await seedWorkspace(db(), { contacts: 0 });
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience });
    // Named under another workspace: not found there, nothing starts.
    await h.app.inngest.send(sendRequested(other.workspace.id, broadcastId, 9));
    await h.app.inngest.send({ name: "broadcast/batch.requested", data: { workspaceId: other.workspace.id, broadcastId, batchNo: 0 } });
    // Garbage: refused by the event's schema (the run, if any, fails on the field before anything).
    await h.app.inngest.send({ name: "broadcast/batch.requested", data: { workspaceId, broadcastId: "not-an-id", batchNo: -1 } }).catch(() => undefined);
    // A batch requested before sending started stops without a trace.
    await h.app.inngest.send({ name: "broadcast/batch.requested", data: { workspaceId, broadcastId, batchNo: 0 } });
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(0);
    expect((await statusOf(broadcastId)).status).toBe("scheduled");
    // The real send, then the same batch requested fifty times over (with and without the fan-out's ids).
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(40);
    await h.app.inngest.send(
      Array.from({ length: 50 }, (_, i) => ({ ...(i % 2 ? { id: `broadcast:${broadcastId}:batch:0:0` } : {}), name: "broadcast/batch.requested", data: { workspaceId, broadcastId, batchNo: 0 } })),
    );
    await h.settle();
    const mine = mineOf(broadcastId);
    expect(mine).toHaveLength(40);
    expect(new Set(mine.map((e) => e.to[0])).size).toBe(40);
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 60_000);
});

describe("cancel, pause and resume", () => {
  it("a broadcast cancelled before its time sends nothing", async () => {
    const { workspaceId, segmentId } = await workspaceWith(30, "cancel");
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience, scheduledAt: new Date(now().getTime() + 3_600_000) });
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    await db().update(broadcasts).set({ status: "cancelled", cancelledAt: now() }).where(eq(broadcasts.id, broadcastId));
    await h.advance(2 * 3_600_000);
    expect(mineOf(broadcastId)).toHaveLength(0);
    const b = await statusOf(broadcastId);
    expect(b.status).toBe("cancelled");
    expect(b.recipientCount).toBeNull();
  }, 60_000);

  it("pause stops new batches; resume sends the rest, each recipient once", async () => {
    const { workspaceId, segmentId } = await workspaceWith(500, "pause");
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };
    const { broadcastId } = await scheduledBroadcast(db(), { workspaceId, audience });
    // Every hand-off meets a rate limit and waits a minute; meanwhile the broadcast is paused.
    h.capture.failNext({ status: 429, retryAfterSeconds: 60 }, 1000);
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId));
    await h.settle();
    expect(mineOf(broadcastId)).toHaveLength(0);
    await db().update(broadcasts).set({ status: "paused" }).where(eq(broadcasts.id, broadcastId));
    await h.advance(10 * 60_000);
    // Woken after the pause: none hands off.
    expect(mineOf(broadcastId)).toHaveLength(0);
    const paused = await broadcastProgress(db(), { workspaceId, broadcastId });
    expect(paused.queued).toBe(500);
    expect((await statusOf(broadcastId)).status).toBe("paused");

    h.capture.reset(); // the provider is back
    await db().update(broadcasts).set({ status: "sending" }).where(eq(broadcasts.id, broadcastId));
    await h.app.inngest.send(sendRequested(workspaceId, broadcastId, 1));
    await h.settle();
    const mine = mineOf(broadcastId);
    expect(mine).toHaveLength(500);
    expect(new Set(mine.map((e) => e.to[0])).size).toBe(500);
    expect((await statusOf(broadcastId)).status).toBe("sent");
  }, 90_000);
});
