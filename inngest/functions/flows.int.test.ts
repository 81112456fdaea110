import { and, eq } from "drizzle-orm";
import { NonRetriableError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, createTemplate, grantConsent, graph, publish } from "@/e2e/fixtures/flows";
import type { ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments, nodeCounters } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { consentEvents, contacts, emailEvents, messages, workspaces } from "@/db/schema/index";
import { now } from "@/lib/clock";
import { simulate } from "@/lib/flows/simulate";
import type { TestApp } from "../local/test-app";
import { ANNIVERSARY_TICK_MS, dueAnniversaries } from "./date-anniversary";
import { routeEvent } from "./flow-router";

/**
 * The flow functions end to end: the real SDK serve handler in-process, the local executor on a
 * virtual clock, the database of this file (Postgres with DATABASE_URL, else PGlite), and mail
 * through the real Resend SDK into the capture server, which de-duplicates by Idempotency-Key.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Small, so continue-as-new happens in these tests instead of only after 900 steps.
const MAX_STEPS = 20;

let h: FlowHarness;
let db: TestDatabase;
let app: TestApp;
let capture: ResendCapture;

beforeAll(async () => {
  h = await startFlowHarness({ maxStepsPerRun: MAX_STEPS });
  ({ db, app, capture } = h);
  expect(h.functions).toContain("tillit-flow-runner");
});

afterAll(() => h?.stop());

const settle = () => h.settle();
const advance = (ms: number) => h.advance(ms);
const emailsTo = (email: string) => capture.emails.filter((e) => e.to.includes(email));

async function workspace(n: number): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(db.db, { contacts: n });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  return ws;
}

async function enrol(ws: SeededWorkspace, flowId: string, contactIds: string[], extra: Record<string, unknown> = {}) {
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds, ...extra } });
  await settle();
}

async function track(ws: SeededWorkspace, contactId: string, name: string, properties: Record<string, unknown>) {
  const at = now();
  const { id } = await insertEvent(db.db, { workspaceId: ws.workspace.id, contactId, name, properties, occurredAt: at });
  await app.inngest.send({
    name: "contact/event.tracked",
    data: { workspaceId: ws.workspace.id, contactId, eventId: id, name, properties, occurredAt: at.getTime() },
  });
  await settle();
}

async function enrollmentOf(ws: SeededWorkspace, flowId: string, contactId: string) {
  const rows = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId });
  expect(rows.length).toBeGreaterThan(0);
  return rows[rows.length - 1]!;
}

const path = async (ws: SeededWorkspace, enrollmentId: string) =>
  (await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId })).map((t) => `${t.nodeId}:${t.exit ?? t.outcome}`);

describe("a drip for 100 contacts", () => {
  it("sends once per step, waits two days, and branches on opens (machine opens do not count)", async () => {
    const ws = await workspace(100);
    // A plan allowing 100 requests a second: this test is about the drip, not the pace.
    await db.db.update(workspaces).set({ sendingPolicy: { pace: { requestsPerSecond: 100 } } }).where(eq(workspaces.id, ws.workspace.id));
    const welcome = await createTemplate(db.db, ws.workspace.id, "Welcome {{ contact.first_name }}");
    const a = await createTemplate(db.db, ws.workspace.id, "A: thanks for reading");
    const b = await createTemplate(db.db, ws.workspace.id, "B: did you miss this?");
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["s1", "send-email", { templateId: welcome }],
          ["d", "delay", { durationMs: 2 * DAY }],
          ["c", "condition", { mode: "yes-no", match: "all", rules: [{ type: "email", action: "opened", sendNodeId: "s1" }] }],
          ["sa", "send-email", { templateId: a }],
          ["sb", "send-email", { templateId: b }],
          ["xa", "exit", { reason: "done" }],
          ["xb", "exit", { reason: "done" }],
        ],
        [
          ["t", "next", "s1"],
          ["s1", "next", "d"],
          ["d", "next", "c"],
          ["c", "yes", "sa"],
          ["c", "no", "sb"],
          ["sa", "next", "xa"],
          ["sb", "next", "xb"],
        ],
      ),
    });
    const ids = ws.contacts.map((c) => c.id);
    await enrol(ws, flowId, ids);
    const welcomes = capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));
    expect(welcomes).toHaveLength(100);
    const first = welcomes[0]!;
    expect(first.subject).toMatch(/^Welcome /);
    expect(first.headers["List-Unsubscribe"]).toMatch(/^<http.*\/u\/[A-Za-z0-9_-]{20,}>$/);
    expect(first.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(first.tags.map((t) => t.name).sort()).toEqual(["contact", "enrollment", "flow", "node", "workspace"]);
    expect(first.html).toContain("1 Fjord Road");

    // Even contacts open the welcome; contact 1 only has a scanner's "open", which must not count.
    const sent = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.nodeId, "s1")));
    expect(sent).toHaveLength(100);
    const byContact = new Map(sent.map((m) => [m.contactId!, m]));
    const opens = ids.flatMap((id, i) =>
      i % 2 === 0 || i === 1
        ? [
            {
              workspaceId: ws.workspace.id,
              messageId: byContact.get(id)!.id,
              contactId: id,
              type: "opened" as const,
              machine: i === 1,
              dedupeKey: `open-${id}`,
              occurredAt: now(),
            },
          ]
        : [],
    );
    await db.db.insert(emailEvents).values(opens);

    await advance(2 * DAY - HOUR);
    expect(capture.emails.filter((e) => e.tags.some((t) => t.value === flowId))).toHaveLength(100);
    await advance(HOUR);
    const all = capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));
    expect(all).toHaveLength(200);
    ws.contacts.forEach((c, i) => {
      const got = emailsTo(c.email).map((e) => e.subject[0]);
      expect(got).toEqual(["W", i % 2 === 0 ? "A" : "B"]);
    });
    // 0 duplicate sends: every message went in exactly one batch request, each request once.
    const keys = new Set(all.map((e) => e.idempotencyKey));
    const requests = capture.requests.filter((r) => keys.has(r.headers["idempotency-key"]));
    expect(requests.every((r) => r.path === "/emails/batch" && r.status === 200)).toBe(true);
    expect(requests).toHaveLength(keys.size);
    expect(requests.reduce((n, r) => n + (r.body as unknown[]).length, 0)).toBe(200);
    expect(requests.length).toBeLessThan(200);
    const rows = await db.db.select().from(messages).where(eq(messages.workspaceId, ws.workspace.id));
    expect(new Set(rows.map((r) => r.providerMessageId)).size).toBe(200);

    const enrollments = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId });
    expect(enrollments.every((e) => e.status === "exited" && e.exitReason === "done")).toBe(true);
    const counters = new Map((await nodeCounters(db.db, { workspaceId: ws.workspace.id, flowId })).map((c) => [c.nodeId, c]));
    expect(counters.get("d")).toMatchObject({ entered: 100, completed: 100, waitingNow: 0 });
    expect(counters.get("sa")).toMatchObject({ entered: 50 });
    expect(counters.get("sb")).toMatchObject({ entered: 50 });
    expect(counters.get("xa")!.exited).toEqual({ done: 50 });
    const firstEnrollment = enrollments.find((e) => e.contactId === ids[0])!;
    const trace = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: firstEnrollment.id });
    expect(trace.map((t) => t.stepId)).toEqual(["t#1:manual-enrol", "s1#1:send-email", "d#1:delay", "c#1:condition", "sa#1:send-email", "xa#1:exit"]);
    expect(trace[2]!.finishedAt!.getTime() - trace[2]!.at.getTime()).toBeGreaterThanOrEqual(2 * DAY - 1000);
   // ~900 serve calls on one PGlite connection: well under a minute alone, slower beside other files.
  }, 150_000);
});

describe("wait for event with correlation", () => {
  it("takes the matching cart within the timeout, ignores other carts, and sees an event 1 s before the wait", async () => {
    const ws = await workspace(3);
    const thanks = await createTemplate(db.db, ws.workspace.id, "Thanks for your order");
    const nudge = await createTemplate(db.db, ws.workspace.id, "You left something in your cart");
    const { flowId, plan } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "event-tracked", { event: "Cart Abandoned" }],
          ["d", "delay", { durationMs: HOUR }],
          [
            "w",
            "wait-for-event",
            { event: "Order Completed", correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: DAY },
          ],
          ["sy", "send-email", { templateId: thanks }],
          ["sn", "send-email", { templateId: nudge }],
          ["x", "exit"],
        ],
        [
          ["t", "next", "d"],
          ["d", "next", "w"],
          ["w", "matched", "sy"],
          ["w", "timeout", "sn"],
          ["sy", "next", "x"],
          ["sn", "next", "x"],
        ],
      ),
    });
    const [early, other, later] = ws.contacts;
    for (const [i, c] of ws.contacts.entries()) await track(ws, c.id, "Cart Abandoned", { cartId: `cart-${i}` });
    expect(await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId })).toHaveLength(3);

    await advance(HOUR - 1000);
    await track(ws, early!.id, "Order Completed", { cartId: "cart-0" }); // 1 s before its wait begins
    await track(ws, other!.id, "Order Completed", { cartId: "somebody-elses" });
    await advance(1000);
    expect(emailsTo(early!.email).map((e) => e.subject)).toEqual(["Thanks for your order"]);

    await advance(HOUR);
    await track(ws, other!.id, "Order Completed", { cartId: "another-cart" }); // during the wait, wrong cart
    await track(ws, later!.id, "Order Completed", { cartId: "cart-2" });
    expect(emailsTo(later!.email).map((e) => e.subject)).toEqual(["Thanks for your order"]);
    expect(emailsTo(other!.email)).toEqual([]);

    await advance(DAY);
    expect(emailsTo(other!.email).map((e) => e.subject)).toEqual(["You left something in your cart"]);

    // simulate() on the same plan and events takes the same path as the real runs.
    for (const c of ws.contacts) {
      const e = await enrollmentOf(ws, flowId, c.id);
      const events = await db.sql<{ name: string; occurred_at: Date; properties: Record<string, unknown> }[]>`
        select name, occurred_at, properties from events where contact_id = ${c.id} order by occurred_at`;
      const sim = simulate(
        plan,
        { id: c.id },
        events.map((x) => ({ name: x.name, at: x.occurred_at, properties: x.properties })),
        { start: e.enteredAt },
        { trigger: e.trigger },
      );
      expect(await path(ws, e.id)).toEqual(sim.steps.map((s) => `${s.nodeId}:${s.exit ?? s.outcome}`));
    }
  });
});

describe("exits", () => {
  it("unsubscribing while waiting cancels the run and nothing more is sent; the send step re-checks consent", async () => {
    const ws = await workspace(3);
    const t1 = await createTemplate(db.db, ws.workspace.id, "First");
    const t2 = await createTemplate(db.db, ws.workspace.id, "Second");
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["s1", "send-email", { templateId: t1 }],
          ["d", "delay", { durationMs: DAY }],
          ["s2", "send-email", { templateId: t2 }],
          ["x", "exit"],
        ],
        [
          ["t", "next", "s1"],
          ["s1", "next", "d"],
          ["d", "next", "s2"],
          ["s2", "next", "x"],
        ],
      ),
    });
    const [leaver, stayer, quiet] = ws.contacts;
    await enrol(ws, flowId, ws.contacts.map((c) => c.id));
    expect(capture.emails.filter((e) => e.subject === "First" && ws.contacts.some((c) => e.to.includes(c.email)))).toHaveLength(3);

    // The leaver unsubscribes through the app: ledger, status, then the event.
    for (const c of [leaver!, quiet!]) {
      await db.db.insert(consentEvents).values({ workspaceId: ws.workspace.id, contactId: c.id, kind: "withdrawn", email: c.email, source: "unsubscribe_link" });
      await db.db.update(contacts).set({ status: "unsubscribed" }).where(and(eq(contacts.workspaceId, ws.workspace.id), eq(contacts.id, c.id)));
    }
    await app.inngest.send({ name: "contact/unsubscribed", data: { workspaceId: ws.workspace.id, contactId: leaver!.id } });
    await settle();
    const left = await enrollmentOf(ws, flowId, leaver!.id);
    expect(left).toMatchObject({ status: "exited", exitReason: "unsubscribed" });
    const [run] = await db.sql<{ status: string }[]>`
      select status from inngest_local.runs where fn_id = 'tillit-flow-runner' and event->'data'->>'enrollmentId' = ${left.id}`;
    expect(run?.status).toBe("cancelled");

    await advance(DAY);
    expect(emailsTo(leaver!.email).map((e) => e.subject)).toEqual(["First"]);
    expect(emailsTo(stayer!.email).map((e) => e.subject)).toEqual(["First", "Second"]);
    // The quiet one's cancel event never came: the send step's own consent check stopped the mail.
    expect(emailsTo(quiet!.email).map((e) => e.subject)).toEqual(["First"]);
    const quietTrace = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: (await enrollmentOf(ws, flowId, quiet!.id)).id });
    expect(quietTrace.find((s) => s.nodeId === "s2")).toMatchObject({ outcome: "skipped", detail: "Not sent: not_subscribed" });
  });

  it("a goal event exits the enrollment with reason goal wherever it waits", async () => {
    const ws = await workspace(2);
    const t = await createTemplate(db.db, ws.workspace.id, "Upsell");
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["d", "delay", { durationMs: 3 * DAY }],
          ["s", "send-email", { templateId: t }],
          ["g", "goal", { name: "Purchased", event: { name: "Purchase", filters: [{ property: "total", op: "gt", value: 10 }] } }],
        ],
        [
          ["t", "next", "d"],
          ["d", "next", "s"],
          ["s", "next", "g"],
        ],
      ),
    });
    const [buyer, browser] = ws.contacts;
    await enrol(ws, flowId, ws.contacts.map((c) => c.id));
    await advance(DAY);
    await track(ws, buyer!.id, "Purchase", { total: 50 });
    await track(ws, browser!.id, "Purchase", { total: 5 }); // does not meet the goal's filter
    expect(await enrollmentOf(ws, flowId, buyer!.id)).toMatchObject({ status: "exited", exitReason: "goal" });
    await advance(2 * DAY);
    expect(emailsTo(buyer!.email)).toEqual([]);
    expect(emailsTo(browser!.email).map((e) => e.subject)).toEqual(["Upsell"]);
    expect(await enrollmentOf(ws, flowId, browser!.id)).toMatchObject({ status: "exited", exitReason: "goal" });
    const counters = new Map((await nodeCounters(db.db, { workspaceId: ws.workspace.id, flowId })).map((c) => [c.nodeId, c]));
    expect(counters.get("d")!.exited).toEqual({ goal: 1 });
    expect(counters.get("g")!.exited).toEqual({ goal: 1 });
  });
});

describe("versions", () => {
  it("publishing v2 while contacts wait in v1: they finish on v1, new ones use v2, a migrated one starts at the mapped node", async () => {
    const ws = await workspace(3);
    const v1t = await createTemplate(db.db, ws.workspace.id, "Version one");
    const v2t = await createTemplate(db.db, ws.workspace.id, "Version two");
    const g = (template: string, sendId: string) =>
      graph(
        [
          ["t", "manual-enrol"],
          ["d", "delay", { durationMs: DAY }],
          [sendId, "send-email", { templateId: template }],
          ["x", "exit"],
        ],
        [
          ["t", "next", "d"],
          ["d", "next", sendId],
          [sendId, "next", "x"],
        ],
      );
    const { flowId, versionId: v1 } = await createLiveFlow(db.db, { workspaceId: ws.workspace.id, graph: g(v1t, "s1") });
    const [stays, moves, fresh] = ws.contacts;
    await enrol(ws, flowId, [stays!.id, moves!.id]);
    const { versionId: v2 } = await publish(db.db, { workspaceId: ws.workspace.id, flowId, graph: g(v2t, "s2") });

    await enrol(ws, flowId, [fresh!.id]);
    // The editor's migration map: end the v1 enrollment, enrol in v2 at the mapped node.
    const old = await enrollmentOf(ws, flowId, moves!.id);
    await app.inngest.send({ name: "flow/exit", data: { workspaceId: ws.workspace.id, enrollmentId: old.id, reason: "migrated" } });
    await settle();
    await enrol(ws, flowId, [moves!.id], { startNodeId: "s2", migration: true });
    expect(emailsTo(moves!.email).map((e) => e.subject)).toEqual(["Version two"]);

    await advance(DAY);
    expect(emailsTo(stays!.email).map((e) => e.subject)).toEqual(["Version one"]);
    expect(emailsTo(fresh!.email).map((e) => e.subject)).toEqual(["Version two"]);
    expect(emailsTo(moves!.email).map((e) => e.subject)).toEqual(["Version two"]);
    expect((await enrollmentOf(ws, flowId, stays!.id)).flowVersionId).toBe(v1);
    expect((await enrollmentOf(ws, flowId, fresh!.id)).flowVersionId).toBe(v2);
    const moved = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: moves!.id });
    expect(moved.map((e) => [e.flowVersionId, e.status, e.exitReason])).toEqual([
      [v1, "exited", "migrated"],
      [v2, "exited", "exit"],
    ]);
    expect(await path(ws, moved[1]!.id)).toEqual(["s2:next", "x:exit"]);
  });
});

describe("re-entry", () => {
  it("once, after N days and always hold, enforced by the enrollments table; a retried router step enrols no one twice", async () => {
    const ws = await workspace(1);
    const contactId = ws.contacts[0]!.id;
    const flowFor = (reentry: "once" | "after" | "always", withDelay = false) =>
      createLiveFlow(db.db, {
        workspaceId: ws.workspace.id,
        name: `${reentry}${withDelay ? " slow" : ""}`,
        reentry,
        reentryAfterDays: reentry === "after" ? 3 : undefined,
        graph: withDelay
          ? graph([["t", "tag-added", { tag: "VIP" }], ["d", "delay", { durationMs: 5 * DAY }], ["x", "exit"]], [["t", "next", "d"], ["d", "next", "x"]])
          : graph(
              [
                ["t", "tag-added", { tag: "VIP" }],
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
    const after = await flowFor("after");
    const always = await flowFor("always");
    const slow = await flowFor("always", true);
    const tag = async () => {
      await app.inngest.send({ name: "contact/tag.added", data: { workspaceId: ws.workspace.id, contactId, tag: "vip" } });
      await settle();
    };
    const counts = async () =>
      Promise.all([once, after, always, slow].map(async (f) => (await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId: f.flowId })).length));

    await tag();
    expect(await counts()).toEqual([1, 1, 1, 1]);
    await tag();
    expect(await counts()).toEqual([1, 1, 2, 1]); // "always" re-enters once finished; never while active
    await advance(3 * DAY + 60_000);
    await tag();
    expect(await counts()).toEqual([1, 2, 3, 1]);
    const [c] = await db.db.select({ attributes: contacts.attributes }).from(contacts).where(eq(contacts.id, contactId));
    expect(c!.attributes).toMatchObject({ n_once: 1, n_after: 2, n_always: 3 });

    // The router's step, retried with the same event: the same enrollments come back, none is added.
    const event = { name: "contact/tag.added", id: "evt-retry-1", data: { workspaceId: ws.workspace.id, contactId, tag: "VIP" } };
    await advance(6 * DAY);
    const first = await routeEvent(db.db, event);
    const again = await routeEvent(db.db, event);
    expect(again.map((e) => e.enrollmentId).sort()).toEqual(first.map((e) => e.enrollmentId).sort());
    expect(first.length).toBe(3); // after (6 days later), always, slow (its first run ended)

    // A payload that does not fit its event's schema enrols nobody and is not worth a retry.
    const before = await counts();
    const malformed = routeEvent(db.db, { ...event, id: "evt-malformed", data: { workspaceId: ws.workspace.id, contactId } });
    await expect(malformed).rejects.toBeInstanceOf(NonRetriableError);
    await expect(malformed).rejects.toThrow("contact/tag.added: data.tag: ");
    expect(await counts()).toEqual(before);
  });
});

describe("long runs", () => {
  it("continue as new before the step limit, keeping visit counts, and stop at the visit cap", async () => {
    const ws = await workspace(1);
    const contactId = ws.contacts[0]!.id;
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      visitCap: 8,
      graph: graph(
        [
          ["t", "manual-enrol"],
          ["d", "delay", { durationMs: HOUR }],
          ["u", "update-attribute", { attribute: "loops", op: "increment", value: 1 }],
        ],
        [
          ["t", "next", "d"],
          ["d", "next", "u"],
          ["u", "next", "d"],
        ],
      ),
    });
    await enrol(ws, flowId, [contactId]);
    for (let i = 0; i < 10; i++) await advance(HOUR);
    const e = await enrollmentOf(ws, flowId, contactId);
    expect(e).toMatchObject({ status: "exited", exitReason: "visit-cap" });
    const [c] = await db.db.select({ attributes: contacts.attributes }).from(contacts).where(eq(contacts.id, contactId));
    expect(c!.attributes.loops).toBe(8);
    const runs = await db.sql<{ n: number }[]>`
      select count(*)::int as n from inngest_local.runs
      where fn_id = 'tillit-flow-runner' and status = 'completed' and event->'data'->>'enrollmentId' = ${e.id}`;
    expect(runs[0]!.n).toBeGreaterThan(1);
    const steps = (await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: e.id })).map((s) => s.stepId);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps).toContain("u#8:update-attribute");
  });
});

describe("date and segment triggers", () => {
  it("a date anniversary enrols once per year, in the contact's zone; the segment seam enrols what it is told", async () => {
    const ws = await workspace(2);
    const [bday, other] = ws.contacts;
    const tick = Math.floor(now().getTime() / ANNIVERSARY_TICK_MS) * ANNIVERSARY_TICK_MS + 2 * DAY;
    // Born on the calendar day of `tick` in Oslo, at the flow's 09:00 local: due in the tick whose window holds 09:00.
    const local = new Date(tick).toISOString().slice(5, 10);
    await db.db.update(contacts).set({ attributes: { birthday: `1990-${local}` }, timeZone: "Europe/Oslo" }).where(eq(contacts.id, bday!.id));
    await db.db.update(contacts).set({ attributes: { birthday: "1990-13-45" } }).where(eq(contacts.id, other!.id));
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [
          ["t", "date-anniversary", { attribute: "birthday", time: "09:00" }],
          ["x", "exit"],
        ],
        [["t", "next", "x"]],
      ),
    });
    const { zonedInstant } = await import("@/lib/flows/time-zones");
    const d = new Date(tick);
    const nine = zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, { hour: 9, minute: 0 }, "Europe/Oslo");
    const windowEnd = Math.ceil(nine / ANNIVERSARY_TICK_MS) * ANNIVERSARY_TICK_MS;
    const before = await dueAnniversaries(db.db, { workspaceId: ws.workspace.id, flowId, afterId: null, windowEnd: windowEnd - ANNIVERSARY_TICK_MS, limit: 1 });
    expect(before.due).toEqual([]);
    expect(before.next).not.toBeNull(); // a full page: the cron pages on
    const due = await dueAnniversaries(db.db, { workspaceId: ws.workspace.id, flowId, afterId: null, windowEnd, limit: 100 });
    expect(due.due.map((x) => x.contactId)).toEqual([bday!.id]);
    for (let i = 0; i < 2; i++) {
      await app.inngest.send({ name: "contact/anniversary.reached", data: { workspaceId: ws.workspace.id, flowId, attribute: "birthday", contacts: due.due } });
      await settle();
    }
    const rows = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId });
    expect(rows.map((r) => [r.contactId, r.status])).toEqual([[bday!.id, "exited"]]);

    const seg = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph([["t", "segment-entered", { segmentId: "seg-1" }], ["x", "exit"]], [["t", "next", "x"]]),
    });
    await app.inngest.send({ name: "contact/segment.entered", data: { workspaceId: ws.workspace.id, segmentId: "seg-2", contactIds: [other!.id] } });
    await app.inngest.send({ name: "contact/segment.entered", data: { workspaceId: ws.workspace.id, segmentId: "seg-1", contactIds: [bday!.id] } });
    await settle();
    expect((await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId: seg.flowId })).map((r) => r.contactId)).toEqual([bday!.id]);
  });
});
