import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { addContactTag } from "@/db/queries/contacts";
import { listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { applyImportChunk, createImport } from "@/db/queries/imports";
import { forwardAppOutbox } from "@/db/queries/outbox";
import { createSegment, getSegment } from "@/db/queries/segments";
import { contacts, segmentMemberships } from "@/db/schema/index";
import { now } from "@/lib/clock";
import { definitionSchema } from "@/lib/segments/definition";
import type { LocalExecutor } from "../local/server";
import type { TestApp } from "../local/test-app";

/**
 * Segments driving flows end to end: membership detected on contact activity and on the
 * 15-minute schedule, `contact/segment.entered` through the real router, re-entry rules from
 * the enrollments table, and segment conditions evaluated in the runner.
 */

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

let h: FlowHarness;
let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;

beforeAll(async () => {
  h = await startFlowHarness();
  ({ db, ex, app } = h);
  expect(h.functions).toEqual(expect.arrayContaining(["tillit-segment-refresh", "tillit-segment-contact-refresh", "tillit-segment-schedule"]));
});

afterAll(() => h?.stop());

const settle = () => h.settle();

describe("entered segment", () => {
  it("enrols each contact once per entry, following the flow's re-entry rule; the schedule finds changes made without events", async () => {
    const ws = await seedWorkspace(db.db, { contacts: 4 });
    await grantConsent(db.db, ws.workspace.id, ws.contacts);
    const w = ws.workspace.id;
    const [a, b, c, d] = ws.contacts.map((x) => x.id) as [string, string, string, string];
    const setPlan = (id: string, plan: string) =>
      db.db.update(contacts).set({ attributes: sql`${contacts.attributes} || ${JSON.stringify({ plan })}::jsonb` }).where(eq(contacts.id, id));
    await setPlan(a, "pro");

    // Pro customers who ordered in the last 30 days.
    const definition = definitionSchema.parse({
      type: "group",
      match: "all",
      children: [
        { type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } },
        { type: "event", name: "Order Completed", performed: true, filters: [], window: { kind: "last_days", days: 30 } },
      ],
    });
    const seg = await createSegment(db.db, { workspaceId: w, name: "Active pro", definition, createdBy: null });
    const track = async (contactId: string) => {
      const at = now();
      const { id } = await insertEvent(db.db, { workspaceId: w, contactId, name: "Order Completed", properties: {}, occurredAt: at });
      await app.inngest.send({ name: "contact/event.tracked", data: { workspaceId: w, contactId, eventId: id, name: "Order Completed", properties: {}, occurredAt: at.getTime() } });
      await settle();
    };
    await insertEvent(db.db, { workspaceId: w, contactId: a, name: "Order Completed", properties: {}, occurredAt: now() });

    const flowFor = (reentry: "once" | "always") =>
      createLiveFlow(db.db, {
        workspaceId: w,
        name: reentry,
        reentry,
        graph: graph(
          [
            ["t", "segment-entered", { segmentId: seg.id }],
            ["u", "update-attribute", { attribute: `n_${reentry}`, op: "increment", value: 1 }],
            ["x", "exit"],
          ],
          [
            ["t", "next", "u"],
            ["u", "next", "x"],
          ],
        ),
      });
    const once = await flowFor("once");
    const always = await flowFor("always");
    const enrolled = async (flowId: string) => (await listEnrollments(db.db, { workspaceId: w, flowId })).map((e) => e.contactId).sort();

    // The first refresh records who already matches (a) without announcing anyone.
    await app.inngest.send({ name: "segment/refresh.requested", data: { workspaceId: w, segmentId: seg.id } });
    await settle();
    expect((await getSegment(db.db, { workspaceId: w, segmentId: seg.id }))!.baselinedAt).not.toBeNull();
    expect(await db.db.select({ id: segmentMemberships.contactId }).from(segmentMemberships).where(eq(segmentMemberships.segmentId, seg.id))).toEqual([{ id: a }]);
    expect(await enrolled(once.flowId)).toEqual([]);

    // b becomes pro and orders: the event makes b enter, both flows enrol b once.
    await setPlan(b, "pro");
    await track(b);
    expect(await enrolled(once.flowId)).toEqual([b]);
    expect(await enrolled(always.flowId)).toEqual([b]);
    // Still a member: another order is not a new entry.
    await track(b);
    expect(await enrolled(always.flowId)).toEqual([b]);

    // b leaves (downgrade seen on the next activity) and comes back: "always" enrols again, "once" never.
    await setPlan(b, "free");
    await addContactTag(db.db, { workspaceId: w, contactId: b, tag: "downgraded" });
    await app.inngest.send({ name: "contact/tag.added", data: { workspaceId: w, contactId: b, tag: "downgraded" } });
    await settle();
    expect(await db.db.select().from(segmentMemberships).where(eq(segmentMemberships.contactId, b))).toEqual([]);
    await setPlan(b, "pro");
    await track(b);
    expect(await enrolled(once.flowId)).toEqual([b]);
    expect(await enrolled(always.flowId)).toEqual([b, b]);
    const [row] = await db.db.select({ attributes: contacts.attributes }).from(contacts).where(eq(contacts.id, b));
    expect(row!.attributes).toMatchObject({ n_once: 1, n_always: 2 });

    // c changes without any event (an import, say): the 15-minute schedule finds it.
    await insertEvent(db.db, { workspaceId: w, contactId: c, name: "Order Completed", properties: {}, occurredAt: now() });
    await setPlan(c, "pro");
    await ex.advanceClock(15 * MIN);
    await settle();
    expect(await enrolled(once.flowId)).toEqual([b, c].sort());

    // Time alone: 31 days later nobody has ordered within 30 days; the schedule lets them all leave.
    await ex.advanceClock(31 * DAY);
    await settle();
    expect(await db.db.select().from(segmentMemberships).where(eq(segmentMemberships.segmentId, seg.id))).toEqual([]);
    expect(d).toBeDefined();
  });

  it("a condition node on a segment sees the contact's live membership", async () => {
    const ws = await seedWorkspace(db.db, { contacts: 2 });
    const w = ws.workspace.id;
    const [a, b] = ws.contacts.map((x) => x.id) as [string, string];
    await db.db.update(contacts).set({ attributes: { plan: "pro" } }).where(eq(contacts.id, a));
    const seg = await createSegment(db.db, {
      workspaceId: w,
      name: "Pro",
      definition: definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } }] }),
      createdBy: null,
    });
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: w,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["c", "condition", { mode: "yes-no", match: "all", rules: [{ type: "segment", segmentId: seg.id, member: true }] }],
          ["y", "update-attribute", { attribute: "routed", op: "set", value: "pro" }],
          ["n", "update-attribute", { attribute: "routed", op: "set", value: "other" }],
          ["x1", "exit"],
          ["x2", "exit"],
        ],
        [
          ["t", "next", "c"],
          ["c", "yes", "y"],
          ["c", "no", "n"],
          ["y", "next", "x1"],
          ["n", "next", "x2"],
        ],
      ),
    });
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: w, flowId, contactIds: [a, b] } });
    await settle();
    const rows = await db.db.select({ id: contacts.id, attributes: contacts.attributes }).from(contacts).where(eq(contacts.workspaceId, w));
    const routed = Object.fromEntries(rows.map((r) => [r.id, r.attributes.routed]));
    expect(routed).toEqual({ [a]: "pro", [b]: "other" });
  });
});

describe("imported contacts", () => {
  it("an import's new contacts start 'contact created' flows and enter segments, through the outbox, in one run per thousand", async () => {
    const ws = await seedWorkspace(db.db, { contacts: 1 });
    const w = ws.workspace.id;
    const definition = definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } }] });
    const seg = await createSegment(db.db, { workspaceId: w, name: "Pro", definition, createdBy: null });
    await app.inngest.send({ name: "segment/refresh.requested", data: { workspaceId: w, segmentId: seg.id } });
    await settle();
    const flowOn = (trigger: [string, string, Record<string, unknown>]) =>
      createLiveFlow(db.db, {
        workspaceId: w,
        name: trigger[1],
        graph: graph([trigger, ["x", "exit"]], [["t", "next", "x"]]),
      });
    const onImport = await flowOn(["t", "contact-created", { source: "import" }]);
    const onForm = await flowOn(["t", "contact-created", { source: "form" }]);
    const onSegment = await flowOn(["t", "segment-entered", { segmentId: seg.id }]);

    const settings = {
      header: ["email", "plan"],
      mapping: [{ target: "email" as const }, { target: "attribute" as const, attribute: "plan", type: "string" as const }],
      tags: [],
    };
    // 1,200 new people (two events), 3 of them pro, and the existing contact (updated, not created;
    // not pro, so a scheduled refresh that happens to run meanwhile enters no one else).
    const rows = [[ws.contacts[0]!.email, "free"], ...Array.from({ length: 1200 }, (_, i) => [`imp${i}@example.com`, i % 400 === 0 ? "pro" : "free"])];
    const imp = await createImport(db.db, { workspaceId: w, fileName: "people.csv", mode: "update", statement: "Opted in at checkout", settings, totalRows: rows.length, createdBy: ws.owner.id });
    expect(await applyImportChunk(db.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows, actorUserId: ws.owner.id, now: now() })).toMatchObject({ created: 1200, updated: 1 });
    // What the ingest's forwarder does with the app outbox.
    const sent: string[] = [];
    await forwardAppOutbox(db.db, {
      limit: 500,
      send: async (batch) => {
        sent.push(...batch.map((e) => e.name));
        await app.inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data })));
      },
    });
    expect(sent.filter((n) => n === "contacts/imported")).toHaveLength(2);
    await settle();

    const enrolled = async (flowId: string) => (await listEnrollments(db.db, { workspaceId: w, flowId })).map((e) => e.contactId).sort();
    const imported = (await db.db.select({ id: contacts.id, email: contacts.email }).from(contacts).where(eq(contacts.workspaceId, w))).filter((c) => c.email.startsWith("imp"));
    expect(await enrolled(onImport.flowId)).toEqual(imported.map((c) => c.id).sort());
    expect(await enrolled(onForm.flowId)).toEqual([]);
    const pro = imported.filter((c) => ["imp0@example.com", "imp400@example.com", "imp800@example.com"].includes(c.email)).map((c) => c.id).sort();
    expect(await enrolled(onSegment.flowId)).toEqual(pro);
    const members = (await db.db.select({ id: segmentMemberships.contactId }).from(segmentMemberships).where(eq(segmentMemberships.segmentId, seg.id))).map((m) => m.id);
    expect(members.sort()).toEqual(pro);
    // 1,200 runs through the real executor: ~20 s on an idle 2-core machine, three times that
    // while the other integration files run beside it.
  }, 180_000);
});
