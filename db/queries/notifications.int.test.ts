import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { flows, memberships, users } from "../schema/index";
import { claimNoticeMail, hourOf, listNotices, markNoticesRead, noticeMailFacts, recordFlowFailure, unreadNoticeCount } from "./notifications";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

async function world() {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  const workspaceId = s.workspace.id;
  const [flow] = await t.db.insert(flows).values({ workspaceId, name: "Welcome" }).returning({ id: flows.id });
  const [other] = await t.db.insert(flows).values({ workspaceId, name: "Birthday" }).returning({ id: flows.id });
  return { s, workspaceId, flowId: flow!.id, otherFlowId: other!.id };
}

const at = (iso: string) => new Date(iso);

it("gathers a flow's failures per hour: one notice counting them, with the latest reason, unread again on each", async () => {
  const w = await world();
  const q = { workspaceId: w.workspaceId, flowId: w.flowId };
  const first = await recordFlowFailure(t.db, { ...q, reason: "Resend: 503", at: at("2026-03-02T10:05:00Z") });
  expect(first).toMatchObject({ count: 1, hour: at("2026-03-02T10:00:00Z"), mailedAt: null });
  await recordFlowFailure(t.db, { ...q, reason: "Resend: 500", at: at("2026-03-02T10:40:00Z") });
  // Arriving late, out of order: counted, but not the latest reason.
  const third = await recordFlowFailure(t.db, { ...q, reason: "older", at: at("2026-03-02T10:10:00Z") });
  expect(third).toMatchObject({ id: first!.id, count: 3 });
  await recordFlowFailure(t.db, { workspaceId: w.workspaceId, flowId: w.otherFlowId, reason: "x", at: at("2026-03-02T10:06:00Z") });
  await recordFlowFailure(t.db, { ...q, reason: "next hour", at: at("2026-03-02T11:00:00Z") });

  const list = await listNotices(t.db, { workspaceId: w.workspaceId });
  expect(list.map((n) => [n.flowName, n.count, n.detail, n.hour.toISOString()])).toEqual([
    ["Welcome", 1, "next hour", "2026-03-02T11:00:00.000Z"],
    ["Welcome", 3, "Resend: 500", "2026-03-02T10:00:00.000Z"],
    ["Birthday", 1, "x", "2026-03-02T10:00:00.000Z"],
  ]);
  expect(list[1]).toMatchObject({ title: "Runs of “Welcome” failed", firstAt: at("2026-03-02T10:05:00Z"), lastAt: at("2026-03-02T10:40:00Z") });
  expect(await unreadNoticeCount(t.db, { workspaceId: w.workspaceId })).toBe(3);

  expect(await markNoticesRead(t.db, { workspaceId: w.workspaceId, ids: [first!.id], at: at("2026-03-02T12:00:00Z") })).toBe(1);
  expect(await unreadNoticeCount(t.db, { workspaceId: w.workspaceId })).toBe(2);
  await recordFlowFailure(t.db, { ...q, reason: "again", at: at("2026-03-02T10:50:00Z") });
  expect(await unreadNoticeCount(t.db, { workspaceId: w.workspaceId })).toBe(3);
  expect(await markNoticesRead(t.db, { workspaceId: w.workspaceId, at: at("2026-03-02T12:00:00Z") })).toBe(3);
  expect(await unreadNoticeCount(t.db, { workspaceId: w.workspaceId })).toBe(0);
  expect(hourOf(at("2026-03-02T10:59:59.999Z"))).toEqual(at("2026-03-02T10:00:00Z"));
});

it("only the workspace's own: another workspace's flow records nothing, and its ids mark nothing read", async () => {
  const w = await world();
  const other = await seedWorkspace(t.db, { contacts: 0 });
  expect(await recordFlowFailure(t.db, { workspaceId: other.workspace.id, flowId: w.flowId, reason: "x", at: new Date() })).toBeNull();
  const n = await recordFlowFailure(t.db, { workspaceId: w.workspaceId, flowId: w.flowId, reason: "x", at: new Date() });
  expect(await markNoticesRead(t.db, { workspaceId: other.workspace.id, ids: [n!.id], at: new Date() })).toBe(0);
  expect(await markNoticesRead(t.db, { workspaceId: other.workspace.id, at: new Date() })).toBe(0);
  expect(await listNotices(t.db, { workspaceId: other.workspace.id })).toEqual([]);
  expect(await unreadNoticeCount(t.db, { workspaceId: w.workspaceId })).toBe(1);
  expect(await claimNoticeMail(t.db, { workspaceId: other.workspace.id, noticeId: n!.id, at: new Date() })).toBe(false);
  expect(await noticeMailFacts(t.db, { workspaceId: other.workspace.id, noticeId: n!.id })).toBeNull();
});

it("one claimant mails: of concurrent claims one wins, and nobody after it", async () => {
  const w = await world();
  const n = await recordFlowFailure(t.db, { workspaceId: w.workspaceId, flowId: w.flowId, reason: "x", at: at("2026-03-02T10:05:00Z") });
  // The same instant for all: the claim does not depend on callers' times differing.
  const won = await Promise.all(Array.from({ length: 8 }, () => claimNoticeMail(t.db, { workspaceId: w.workspaceId, noticeId: n!.id, at: at("2026-03-02T10:05:00Z") })));
  expect(won.filter(Boolean)).toHaveLength(1);
  expect(await claimNoticeMail(t.db, { workspaceId: w.workspaceId, noticeId: n!.id, at: at("2026-03-02T10:30:00Z") })).toBe(false);
  const [after] = await listNotices(t.db, { workspaceId: w.workspaceId });
  expect(after!.mailedAt).toEqual(at("2026-03-02T10:05:00Z"));
});

it("the mail goes to the owners and admins, not editors or viewers", async () => {
  const w = await world();
  for (const role of ["admin", "editor", "viewer"] as const) {
    const [u] = await t.db.insert(users).values({ email: `${role}-${w.s.workspace.slug}@example.com` }).returning({ id: users.id });
    await t.db.insert(memberships).values({ workspaceId: w.workspaceId, userId: u!.id, role });
  }
  const n = await recordFlowFailure(t.db, { workspaceId: w.workspaceId, flowId: w.flowId, reason: "Resend: 503", at: at("2026-03-02T10:05:00Z") });
  const facts = await noticeMailFacts(t.db, { workspaceId: w.workspaceId, noticeId: n!.id });
  expect(facts).toMatchObject({
    workspace: { slug: w.s.workspace.slug, name: w.s.workspace.name },
    flow: { id: w.flowId, name: "Welcome" },
    count: 1,
    detail: "Resend: 503",
  });
  expect(facts!.recipients.map((r) => r.email)).toEqual([w.s.owner.email, `admin-${w.s.workspace.slug}@example.com`]);
});
