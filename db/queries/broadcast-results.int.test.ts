import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { conversionRules } from "@/lib/broadcasts/conversion";
import { broadcasts, emailEvents, events, flows, messages } from "../schema/index";
import { broadcastResults } from "./broadcast-results";

/**
 * A broadcast's results against seeded messages and events with hand-computed answers. Around it
 * on purpose: another broadcast and a flow mail of the same contacts, machine activity, events
 * outside the window or before any engagement, and a message of another workspace that names
 * this broadcast.
 */

let t: TestDatabase;
let a: SeededWorkspace;
let b: SeededWorkspace;
const at = (s: string) => new Date(`2026-03-${s}Z`);
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await freshDatabase();
  const db = t.db;
  a = await seedWorkspace(db, { contacts: 6 });
  b = await seedWorkspace(db, { contacts: 1 });
  const ws = a.workspace.id;
  const c = a.contacts.map((x) => x.id);
  const [b1] = await db.insert(broadcasts).values({ workspaceId: ws, name: "Spring sale", status: "sent", recipientCount: 6 }).returning({ id: broadcasts.id });
  const [b2] = await db.insert(broadcasts).values({ workspaceId: ws, name: "Other", status: "sent" }).returning({ id: broadcasts.id });
  const [empty] = await db.insert(broadcasts).values({ workspaceId: ws, name: "Draft", status: "draft" }).returning({ id: broadcasts.id });
  const [f] = await db.insert(flows).values({ workspaceId: ws, name: "Welcome", status: "live" }).returning({ id: flows.id });
  ids.b1 = b1!.id;
  ids.b2 = b2!.id;
  ids.empty = empty!.id;

  const msg = async (workspaceId: string, contactId: string, o: { broadcastId?: string; flowId?: string; sentAt: Date | null }) => {
    const [m] = await db
      .insert(messages)
      .values({ workspaceId, contactId, broadcastId: o.broadcastId, flowId: o.flowId, class: "marketing", toEmail: "x@example.com", subject: "Spring", sentAt: o.sentAt, status: o.sentAt ? "sent" : "failed" })
      .returning({ id: messages.id });
    return m!.id;
  };
  const sent = at("01T10:00:00");
  const m1 = await msg(ws, c[0]!, { broadcastId: ids.b1, sentAt: sent });
  const m2 = await msg(ws, c[1]!, { broadcastId: ids.b1, sentAt: sent });
  const m3 = await msg(ws, c[2]!, { broadcastId: ids.b1, sentAt: sent });
  const m4 = await msg(ws, c[3]!, { broadcastId: ids.b1, sentAt: at("02T08:00:00") });
  const m5 = await msg(ws, c[4]!, { broadcastId: ids.b1, sentAt: sent });
  await msg(ws, c[5]!, { broadcastId: ids.b1, sentAt: null });
  const other = await msg(ws, c[0]!, { broadcastId: ids.b2, sentAt: sent });
  const flowMail = await msg(ws, c[1]!, { flowId: f!.id, sentAt: sent });
  const foreign = await msg(b.workspace.id, b.contacts[0]!.id, { broadcastId: ids.b1, sentAt: sent });

  let n = 0;
  const ev = (workspaceId: string, messageId: string, type: (typeof emailEvents.$inferInsert)["type"], when: string, o: { machine?: boolean; url?: string } = {}) => ({
    workspaceId,
    messageId,
    type,
    occurredAt: at(when),
    machine: o.machine ?? false,
    url: o.url ?? null,
    dedupeKey: `k${n++}`,
  });
  const U1 = "https://shop.example/spring?utm_source=tillit";
  const U2 = "https://shop.example/boots";
  await db.insert(emailEvents).values([
    ev(ws, m1, "delivered", "01T10:01:00"),
    ev(ws, m1, "opened", "01T10:05:00"),
    ev(ws, m1, "opened", "01T11:00:00"),
    ev(ws, m1, "opened", "01T10:01:30", { machine: true }),
    ev(ws, m1, "clicked", "01T10:06:00", { url: U1 }),
    ev(ws, m1, "clicked", "02T09:00:00", { url: U1 }),
    ev(ws, m1, "clicked", "01T10:01:31", { url: U1, machine: true }),
    ev(ws, m2, "delivered", "01T10:01:00"),
    ev(ws, m2, "opened", "01T10:02:00", { machine: true }),
    ev(ws, m2, "clicked", "01T10:02:01", { url: U2, machine: true }),
    ev(ws, m3, "delivered", "01T10:01:00"),
    ev(ws, m3, "opened", "01T12:00:00"),
    ev(ws, m3, "clicked", "02T12:00:00", { url: U2 }),
    ev(ws, m4, "bounced", "02T08:00:05"),
    ev(ws, m5, "delivered", "01T10:01:00"),
    ev(ws, m5, "opened", "01T13:00:00"),
    ev(ws, m5, "complained", "01T13:05:00"),
    ev(ws, m5, "unsubscribed", "01T13:06:00"),
    ev(ws, other, "delivered", "01T10:01:00"),
    ev(ws, other, "opened", "01T10:03:00"),
    ev(ws, other, "clicked", "01T10:04:00", { url: U1 }),
    ev(ws, flowMail, "opened", "01T10:03:00"),
    ev(b.workspace.id, foreign, "delivered", "01T10:01:00"),
    ev(b.workspace.id, foreign, "opened", "01T10:03:00"),
    ev(b.workspace.id, foreign, "clicked", "01T10:04:00", { url: U1 }),
  ]);
  const track = (contactId: string, name: string, when: string, properties: Record<string, unknown>) => ({ workspaceId: ws, contactId, name, occurredAt: at(when), properties });
  await db.insert(events).values([
    // c1: engaged 10:05, first order counts (49.90), the second not.
    track(c[0]!, "Order Completed", "02T10:00:00", { revenue: 49.9 }),
    track(c[0]!, "Order Completed", "03T10:00:00", { revenue: 100 }),
    // c2: only machines engaged: nothing counts.
    track(c[1]!, "Order Completed", "01T11:00:00", { revenue: 10 }),
    // c3: an order before the first open does not count; the next one (a numeric string) does.
    track(c[2]!, "Order Completed", "01T11:00:00", { revenue: 5 }),
    track(c[2]!, "Order Completed", "05T09:00:00", { revenue: "20.50" }),
    // c5: eight days after the send: outside the 5-day window, inside a 10-day one; another event name.
    track(c[4]!, "Order Completed", "09T10:00:00", { revenue: 7, order: { total: 8 } }),
    track(c[4]!, "Page Viewed", "01T13:01:00", {}),
  ]);
});

afterAll(async () => t?.destroy());

describe("broadcast results", () => {
  it("counts every figure from the broadcast's own messages, people apart from machines", async () => {
    const r = await broadcastResults(t.db, { workspaceId: a.workspace.id, broadcastId: ids.b1!, conversion: conversionRules() });
    expect(r!.broadcast).toMatchObject({ name: "Spring sale", status: "sent", recipientCount: 6 });
    const { days, ...f } = r!.figures;
    expect(f).toEqual({
      sent: 5,
      delivered: 4,
      bounced: 1,
      complained: 1,
      unsubscribed: 1,
      opened: 3,
      openedMachine: 2,
      openEvents: 4,
      clicked: 2,
      clickedMachine: 2,
      clickEvents: 3,
      conversions: 2,
      revenue: 70.4,
    });
    expect(days).toEqual([
      { day: "2026-03-01", sent: 4, delivered: 4, opened: 3, clicked: 1 },
      { day: "2026-03-02", sent: 1, delivered: 0, opened: 0, clicked: 1 },
    ]);
    expect(r!.rates).toEqual({
      deliveryRate: 4 / 5,
      openRate: 3 / 4,
      clickRate: 2 / 4,
      clickToOpenRate: 2 / 3,
      bounceRate: 1 / 5,
      complaintRate: 1 / 4,
      unsubscribeRate: 1 / 4,
      conversionRate: 2 / 4,
    });
    expect(r!.links).toEqual([
      { url: "https://shop.example/spring?utm_source=tillit", clicks: 2, uniqueClicks: 1, machineClicks: 1 },
      { url: "https://shop.example/boots", clicks: 1, uniqueClicks: 1, machineClicks: 1 },
    ]);
  });

  it("takes the conversion event, window and revenue property it is given", async () => {
    const wide = await broadcastResults(t.db, { workspaceId: a.workspace.id, broadcastId: ids.b1!, conversion: conversionRules({ window_days: 10 }) });
    expect(wide!.figures).toMatchObject({ conversions: 3, revenue: 77.4 });
    const nested = await broadcastResults(t.db, {
      workspaceId: a.workspace.id,
      broadcastId: ids.b1!,
      conversion: conversionRules({ window_days: 10, revenue_property: "order.total" }),
    });
    expect(nested!.figures).toMatchObject({ conversions: 3, revenue: 8 });
    const views = await broadcastResults(t.db, { workspaceId: a.workspace.id, broadcastId: ids.b1!, conversion: conversionRules({ conversion_event: "Page Viewed" }) });
    expect(views!.figures).toMatchObject({ conversions: 1, revenue: 0 });
  });

  it("answers zeros before anything is sent, and nothing for another workspace's broadcast", async () => {
    const none = await broadcastResults(t.db, { workspaceId: a.workspace.id, broadcastId: ids.empty!, conversion: conversionRules() });
    expect(none!.figures).toMatchObject({ sent: 0, delivered: 0, opened: 0, clicked: 0, conversions: 0, revenue: 0, days: [] });
    expect(none!.rates.openRate).toBeNull();
    expect(none!.links).toEqual([]);
    expect(await broadcastResults(t.db, { workspaceId: b.workspace.id, broadcastId: ids.b1!, conversion: conversionRules() })).toBeUndefined();
  });
});
