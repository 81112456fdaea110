import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import {
  consentEvents,
  contacts,
  emailEvents,
  enrollments,
  enrollmentSteps,
  flows,
  flowVersions,
  forms,
  messages,
} from "../schema/index";
import { rebuildRollups, subscriberGrowth } from "./analytics";
import { attributeConversion, recordConversion } from "./conversions";
import { flowFunnel, flowSeries, flowTotals, splitArms, topFlows } from "./flow-reports";
import { formFunnel, recordFormView } from "./forms";
import { flowMail, listHealth, messageReport } from "./mail-stats";

/**
 * Seeded data with hand-computed answers: every report figure must match to the unit. The range
 * is 2026-03-01 … 2026-03-03 (UTC days); rows just outside it are seeded on purpose.
 */

let t: TestDatabase;
let a: SeededWorkspace;
let b: SeededWorkspace;
const R = { from: "2026-03-01", to: "2026-03-03" };
const at = (s: string) => new Date(`2026-${s}Z`);
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await freshDatabase();
  const db = t.db;
  a = await seedWorkspace(db, { contacts: 0 });
  b = await seedWorkspace(db, { contacts: 0 });
  const ws = a.workspace.id;

  // Contacts: 2 confirmed + 1 unconfirmed before the range; 03-01: 3 confirmed, 1 unconfirmed;
  // 03-02: 2 unconfirmed and one who confirmed then unsubscribed (a status change moves them); 03-04: outside.
  const mk = (email: string, status: "subscribed" | "unconfirmed", createdAt: string) => ({ workspaceId: ws, email, status, createdAt: at(createdAt) });
  const rows = await db
    .insert(contacts)
    .values([
      mk("p1@x.example", "subscribed", "02-20T10:00:00"),
      mk("p2@x.example", "subscribed", "02-20T10:00:00"),
      mk("p3@x.example", "unconfirmed", "02-20T10:00:00"),
      mk("c1@x.example", "subscribed", "03-01T08:00:00"),
      mk("c2@x.example", "subscribed", "03-01T08:00:00"),
      mk("c3@x.example", "subscribed", "03-01T23:59:59"),
      mk("c4@x.example", "unconfirmed", "03-01T09:00:00"),
      mk("c5@x.example", "unconfirmed", "03-02T09:00:00"),
      mk("c6@x.example", "unconfirmed", "03-02T09:00:00"),
      mk("c7@x.example", "subscribed", "03-02T09:00:00"),
      mk("c8@x.example", "subscribed", "03-04T00:00:00"),
    ])
    .returning({ id: contacts.id, email: contacts.email });
  for (const r of rows) ids[r.email.split("@")[0]!] = r.id;
  await db.update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, ids.c7!));

  // Flows: F1 (t → split → send, e1 loops back to send once), F2 with one enrollment.
  const [f1] = await db.insert(flows).values({ workspaceId: ws, name: "Welcome", status: "live" }).returning({ id: flows.id });
  const [f2] = await db.insert(flows).values({ workspaceId: ws, name: "Winback", status: "live" }).returning({ id: flows.id });
  ids.f1 = f1!.id;
  ids.f2 = f2!.id;
  const [v1] = await db.insert(flowVersions).values({ workspaceId: ws, flowId: ids.f1, number: 1, hash: "h1", plan: {}, graph: {} }).returning({ id: flowVersions.id });
  const [v2] = await db.insert(flowVersions).values({ workspaceId: ws, flowId: ids.f2, number: 1, hash: "h2", plan: {}, graph: {} }).returning({ id: flowVersions.id });
  ids.v1 = v1!.id;
  const enrol = async (flowId: string, versionId: string, contact: string, enteredAt: string) => {
    const [e] = await db
      .insert(enrollments)
      .values({ workspaceId: ws, flowId, flowVersionId: versionId, contactId: ids[contact]!, status: "completed", enteredAt: at(enteredAt) })
      .returning({ id: enrollments.id });
    return e!.id;
  };
  ids.e1 = await enrol(ids.f1, ids.v1, "c1", "03-01T09:00:00");
  ids.e2 = await enrol(ids.f1, ids.v1, "c2", "03-01T09:00:00");
  ids.e3 = await enrol(ids.f1, ids.v1, "c3", "03-01T09:00:00");
  ids.e4 = await enrol(ids.f1, ids.v1, "c4", "03-01T09:00:00");
  ids.e9 = await enrol(ids.f1, ids.v1, "c8", "03-05T09:00:00"); // outside
  ids.e5 = await enrol(ids.f2, v2!.id, "c5", "03-02T09:00:00");

  const steps: (typeof enrollmentSteps.$inferInsert)[] = [];
  const step = (e: string, contact: string, nodeId: string, visit: number, exit: string | null, when: string) =>
    steps.push({ workspaceId: ws, flowId: ids.f1!, flowVersionId: ids.v1!, enrollmentId: ids[e]!, contactId: ids[contact]!, stepId: `${nodeId}#${visit}:x`, nodeId, visit, kind: "x", outcome: "done", exit, at: at(when) });
  for (const [e, c, arm] of [["e1", "c1", "split:a"], ["e2", "c2", "split:a"], ["e3", "c3", "split:b"], ["e4", "c4", "split:b"]] as const) {
    step(e, c, "t", 1, "next", "03-01T09:00:00");
    step(e, c, "split", 1, arm, "03-01T09:00:01");
  }
  step("e1", "c1", "send", 1, "next", "03-01T10:00:00");
  step("e2", "c2", "send", 1, "next", "03-01T10:00:00");
  step("e3", "c3", "send", 1, "next", "03-02T10:00:00");
  step("e1", "c1", "send", 2, "next", "03-02T10:00:00"); // a loop's second visit: not in the funnel
  step("e9", "c8", "t", 1, "next", "03-05T09:00:00"); // outside
  await db.insert(enrollmentSteps).values(steps);

  // Messages: m1..m3 from F1's send node, m4 from F2, m5 queued (never sent).
  const msg = async (name: string, flowId: string, enrollment: string, contact: string, nodeId: string, sentAt: string | null) => {
    const [m] = await db
      .insert(messages)
      .values({ workspaceId: ws, contactId: ids[contact]!, flowId, enrollmentId: ids[enrollment]!, nodeId, class: "marketing", toEmail: `${contact}@x.example`, subject: "Hi", status: "queued" })
      .returning({ id: messages.id });
    ids[name] = m!.id;
    // Marked sent afterwards, as the send step does: the rollup counts the transition.
    if (sentAt) await db.update(messages).set({ status: "sent", sentAt: at(sentAt) }).where(eq(messages.id, m!.id));
  };
  await msg("m1", ids.f1, "e1", "c1", "send", "03-01T10:00:00");
  await msg("m2", ids.f1, "e2", "c2", "send", "03-01T10:00:00");
  await msg("m3", ids.f1, "e3", "c3", "send", "03-02T10:00:00");
  await msg("m4", ids.f2, "e5", "c5", "mail", "03-02T10:00:00");
  await msg("m5", ids.f1, "e1", "c1", "send", null);

  let n = 0;
  const ev = (m: string, type: (typeof emailEvents.$inferInsert)["type"], when: string, extra: { machine?: boolean; url?: string } = {}) => ({
    workspaceId: ws,
    messageId: ids[m]!,
    type,
    occurredAt: at(when),
    dedupeKey: `k${n++}`,
    machine: extra.machine ?? false,
    url: extra.url ?? null,
  });
  await db.insert(emailEvents).values([
    ev("m1", "delivered", "03-01T10:00:05"),
    ev("m1", "opened", "03-01T10:01:00", { machine: true }),
    ev("m1", "clicked", "03-01T10:01:00", { machine: true, url: "https://shop.example/a" }),
    ev("m1", "opened", "03-01T11:00:00"),
    ev("m1", "opened", "03-01T12:00:00"),
    ev("m1", "clicked", "03-01T11:05:00", { url: "https://shop.example/a" }),
    ev("m1", "clicked", "03-02T08:00:00", { url: "https://shop.example/a" }),
    ev("m1", "clicked", "03-02T08:01:00", { url: "https://shop.example/b" }),
    ev("m2", "delivered", "03-01T10:00:05"),
    ev("m2", "opened", "03-02T09:00:00"),
    ev("m2", "complained", "03-02T09:30:00"),
    ev("m2", "unsubscribed", "03-02T09:31:00"),
    ev("m3", "sent", "03-02T10:00:01"), // the provider's echo of a send: not a second send
    ev("m3", "delivered", "03-02T10:00:05"),
    ev("m3", "opened", "03-05T10:00:00"), // outside
    ev("m4", "delivered", "03-02T10:00:05"),
    ev("m4", "unsubscribed", "03-03T07:00:00"),
    ev("m4", "clicked", "03-03T06:00:00", { url: "https://shop.example/c" }),
  ]);

  // Forms: 5 views in the range, 3 opt-ins (one confirmed at once, one later, one never), one opt-in outside.
  const [form] = await db.insert(forms).values({ workspaceId: ws, name: "Newsletter", slug: `nl-${a.workspace.slug}` }).returning({ id: forms.id });
  ids.form = form!.id;
  for (const day of ["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-02", "2026-03-02", "2026-02-28"]) {
    await recordFormView(db, { workspaceId: ws, formId: ids.form, day });
  }
  await recordFormView(db, { workspaceId: b.workspace.id, formId: ids.form, day: "2026-03-01" }); // another workspace: counts nothing
  const consent = (contact: string, kind: "opt_in" | "confirmed", when: string, formId: string | null) => ({
    workspaceId: ws,
    contactId: ids[contact]!,
    kind,
    source: "hosted_form",
    formId,
    occurredAt: at(when),
  });
  await db.insert(consentEvents).values([
    consent("c1", "opt_in", "03-01T08:00:00", ids.form),
    consent("c1", "confirmed", "03-01T08:05:00", null),
    consent("c2", "opt_in", "03-01T08:00:00", ids.form),
    consent("c3", "opt_in", "03-02T08:00:00", ids.form),
    consent("c3", "confirmed", "03-04T08:00:00", ids.form),
    consent("p1", "opt_in", "02-20T10:00:00", ids.form),
    consent("c4", "confirmed", "03-01T09:00:00", null),
  ]);

  // Workspace B: activity that must never show in A's figures.
  const [bc] = await db.insert(contacts).values({ workspaceId: b.workspace.id, email: "b@y.example", status: "subscribed", createdAt: at("03-01T10:00:00") }).returning({ id: contacts.id });
  const [bm] = await db
    .insert(messages)
    .values({ workspaceId: b.workspace.id, contactId: bc!.id, class: "marketing", toEmail: "b@y.example", subject: "B", status: "sent", sentAt: at("03-01T10:00:00") })
    .returning({ id: messages.id });
  await db.insert(emailEvents).values({ workspaceId: b.workspace.id, messageId: bm!.id, type: "complained", occurredAt: at("03-01T11:00:00"), dedupeKey: "b1" });
});

afterAll(async () => t?.destroy());

async function recordConversions() {
  const db = t.db;
  const ws = a.workspace.id;
  const base = { workspaceId: ws, flowId: ids.f1!, flowVersionId: ids.v1!, nodeId: "goal", goalName: "Order", eventId: null, currency: "NOK" };
  // e1 converts at 03-01 13:00: the human click at 11:05 is credited (the scanner's click at 10:01 is not).
  const c1 = await attributeConversion(db, { workspaceId: ws, enrollmentId: ids.e1!, since: at("03-01T09:00:00"), at: at("03-01T13:00:00"), opens: true });
  expect(c1).toEqual({ messageId: ids.m1, via: "click" });
  expect(await recordConversion(db, { ...base, enrollmentId: ids.e1!, contactId: ids.c1!, messageId: c1!.messageId, attributedVia: c1!.via, revenue: 100.5, occurredAt: at("03-01T13:00:00") })).toBe(true);
  // A replay converts nothing twice.
  expect(await recordConversion(db, { ...base, enrollmentId: ids.e1!, contactId: ids.c1!, messageId: null, attributedVia: null, revenue: 999, occurredAt: at("03-01T14:00:00") })).toBe(false);
  // e2 only opened: credited to the open when opens count, to nothing when only clicks do.
  expect(await attributeConversion(db, { workspaceId: ws, enrollmentId: ids.e2!, since: at("03-01T09:00:00"), at: at("03-02T10:00:00"), opens: false })).toBeNull();
  const c2 = await attributeConversion(db, { workspaceId: ws, enrollmentId: ids.e2!, since: at("03-01T09:00:00"), at: at("03-02T10:00:00"), opens: true });
  expect(c2).toEqual({ messageId: ids.m2, via: "open" });
  await recordConversion(db, { ...base, enrollmentId: ids.e2!, contactId: ids.c2!, messageId: ids.m2!, attributedVia: "open", revenue: null, occurredAt: at("03-02T10:00:00") });
  // e3 never engaged: converts unattributed.
  expect(await attributeConversion(db, { workspaceId: ws, enrollmentId: ids.e3!, since: at("03-01T09:00:00"), at: at("03-02T12:00:00"), opens: true })).toBeNull();
  await recordConversion(db, { ...base, enrollmentId: ids.e3!, contactId: ids.c3!, messageId: null, attributedVia: null, revenue: 20, occurredAt: at("03-02T12:00:00") });
  // Another workspace's id cannot record a conversion on A's enrollment.
  expect(await recordConversion(db, { ...base, workspaceId: b.workspace.id, enrollmentId: ids.e4!, contactId: ids.c4!, messageId: null, attributedVia: null, revenue: 5, occurredAt: at("03-02T12:00:00") })).toBe(false);
}

async function expectAllFigures() {
  const db = t.db;
  const q = { workspaceId: a.workspace.id, ...R };

  expect(await subscriberGrowth(db, q)).toEqual({
    before: { confirmed: 2, unconfirmed: 1, left: 0 },
    days: [
      { day: "2026-03-01", confirmed: 3, unconfirmed: 1, left: 0 },
      { day: "2026-03-02", confirmed: 0, unconfirmed: 2, left: 1 },
    ],
  });

  expect(await listHealth(db, q)).toEqual([
    { day: "2026-03-01", sent: 2, delivered: 2, unsubscribed: 0, complained: 0, bounced: 0 },
    { day: "2026-03-02", sent: 2, delivered: 2, unsubscribed: 1, complained: 1, bounced: 0 },
    { day: "2026-03-03", sent: 0, delivered: 0, unsubscribed: 1, complained: 0, bounced: 0 },
  ]);

  expect(await topFlows(db, q)).toEqual([
    { flowId: ids.f1, name: "Welcome", status: "live", enrolled: 4, sent: 3, conversions: 3, revenue: 120.5 },
    { flowId: ids.f2, name: "Winback", status: "live", enrolled: 1, sent: 1, conversions: 0, revenue: 0 },
  ]);

  expect(await formFunnel(db, q)).toEqual([{ formId: ids.form, name: "Newsletter", views: 5, submissions: 3, confirmations: 2 }]);

  const f1 = { ...q, flowId: ids.f1! };
  expect(await flowTotals(db, f1)).toEqual({ enrolled: 4, conversions: 3, revenue: 120.5, attributed: 2 });
  expect(await flowSeries(db, f1)).toEqual([
    { day: "2026-03-01", enrolled: 4, conversions: 1, revenue: 100.5 },
    { day: "2026-03-02", enrolled: 0, conversions: 2, revenue: 20 },
  ]);
  expect(await flowFunnel(db, f1)).toEqual([
    { nodeId: "send", entered: 3 },
    { nodeId: "split", entered: 4 },
    { nodeId: "t", entered: 4 },
  ]);
  expect(await splitArms(db, { ...f1, splitNodeIds: ["split"] })).toEqual([
    { nodeId: "split", exit: "split:a", entered: 2, conversions: 2, revenue: 100.5 },
    { nodeId: "split", exit: "split:b", entered: 2, conversions: 1, revenue: 20 },
  ]);

  const totals = {
    sent: 3,
    delivered: 3,
    delayed: 0,
    bounced: 0,
    complained: 1,
    unsubscribed: 1,
    failed: 0,
    suppressed: 0,
    opened: 2,
    openedMachine: 1,
    openEvents: 3,
    clicked: 1,
    clickedMachine: 1,
    clickEvents: 3,
  };
  expect(await flowMail(db, f1)).toEqual([{ nodeId: "send", ...totals }]);
  const m = await messageReport(db, { ...f1, nodeId: "send" });
  expect(m.totals).toEqual(totals);
  expect(m.days).toEqual([
    { day: "2026-03-01", sent: 2, delivered: 2, opened: 1, clicked: 1, openedMachine: 1, clickedMachine: 1 },
    { day: "2026-03-02", sent: 1, delivered: 1, opened: 1, clicked: 0, openedMachine: 0, clickedMachine: 0 },
  ]);
  expect(m.links).toEqual([
    { url: "https://shop.example/a", clicks: 2, uniqueClicks: 1, machineClicks: 1 },
    { url: "https://shop.example/b", clicks: 1, uniqueClicks: 1, machineClicks: 0 },
  ]);
  expect(m.conversions).toEqual({ conversions: 2, revenue: 100.5, viaClick: 1, viaOpen: 1 });

  // F2's message: one link click on 03-03, one unsubscribe.
  const m4 = await messageReport(db, { ...q, flowId: ids.f2!, nodeId: "mail" });
  expect(m4.totals).toMatchObject({ sent: 1, delivered: 1, unsubscribed: 1, clicked: 1, clickEvents: 1, opened: 0 });
  expect(m4.links).toEqual([{ url: "https://shop.example/c", clicks: 1, uniqueClicks: 1, machineClicks: 0 }]);
}

describe("report queries on seeded data with known answers", () => {
  it("every figure matches, kept live by the triggers", async () => {
    await recordConversions();
    await expectAllFigures();
  });

  it("rebuilding the rollups from the source tables gives the same figures", async () => {
    await rebuildRollups(t.db, { workspaceId: a.workspace.id });
    await expectAllFigures();
  });

  it("another workspace sees none of it", async () => {
    const q = { workspaceId: b.workspace.id, ...R };
    expect(await topFlows(t.db, q)).toEqual([]);
    expect(await formFunnel(t.db, q)).toEqual([]);
    expect(await flowTotals(t.db, { ...q, flowId: ids.f1! })).toEqual({ enrolled: 0, conversions: 0, revenue: 0, attributed: 0 });
    expect(await flowFunnel(t.db, { ...q, flowId: ids.f1! })).toEqual([]);
    expect((await messageReport(t.db, { ...q, flowId: ids.f1!, nodeId: "send" })).totals.sent).toBe(0);
    expect(await listHealth(t.db, q)).toEqual([{ day: "2026-03-01", sent: 1, delivered: 0, unsubscribed: 0, complained: 1, bounced: 0 }]);
  });
});
