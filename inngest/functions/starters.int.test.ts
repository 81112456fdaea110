import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordContactEvent } from "@/db/queries/contact-events";
import { addContactTag } from "@/db/queries/contacts";
import { listEnrollments } from "@/db/queries/enrollments";
import { createStarterFlow, getFlowDraft } from "@/db/queries/flows";
import { insertEmailEvent } from "@/db/queries/messages";
import { enqueueAppEvents, forwardAppOutbox } from "@/db/queries/outbox";
import { createSegment } from "@/db/queries/segments";
import { contactTags, contacts, forms, messages, tags, templates } from "@/db/schema/index";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createTemplate, grantConsent, publish } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { now } from "@/lib/clock";
import { flowGraphSchema, type FlowGraph } from "@/lib/flows/graph";
import { starterKeys, starterTemplates, type StarterKey } from "@/lib/flows/starters";
import { zonedInstant } from "@/lib/flows/time-zones";
import { definitionSchema } from "@/lib/segments/definition";
import type { ConsentEmit } from "@/lib/server/consent/record";
import { confirmOptIn } from "@/lib/server/consent/record";
import { resendTransport } from "@/lib/server/email/transport";
import { emitFormSubmitted, submitForm } from "@/lib/server/forms/submit";
import { ANNIVERSARY_TICK_MS } from "./date-anniversary";

/**
 * Every starter flow end to end, created the way the "new flow" dialog creates it (its templates
 * made for each step), published, and run by the real runner on the local executor's virtual
 * clock, with contacts entering the way the starter's trigger expects and mail through the Resend
 * SDK into the capture server.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(() => h?.stop());

/** The app's emitter (the outbox, then handed over), pointed at the harness's executor. */
const emit: ConsentEmit = async (events) => {
  const ids = await enqueueAppEvents(
    h.db.db,
    events.map((e) => ({ id: randomUUID(), name: e.name, data: e.data })),
  );
  await forwardAppOutbox(h.db.db, {
    limit: ids.length,
    ids,
    send: async (batch) => {
      await h.app.inngest.send(batch.map((b) => ({ id: b.id, name: b.name, data: b.data })) as never);
    },
  });
};

/** A tracked event through the REST API's path: the events row and its hand-over in one transaction. */
async function track(workspaceId: string, contactId: string, name: string, properties: Record<string, unknown>) {
  const { outboxId } = await recordContactEvent(h.db.db, { workspaceId, contactId, name, properties, occurredAt: now(), messageId: null, source: "api" });
  await forwardAppOutbox(h.db.db, {
    limit: 1,
    ids: [outboxId!],
    send: async (batch) => {
      await h.app.inngest.send(batch.map((b) => ({ id: b.id, name: b.name, data: b.data })) as never);
    },
  });
  await h.settle();
}

/** Creates the flow from the starter as the dialog does, lets `edit` fill what the marketer fills, publishes it. */
async function liveStarter(ws: SeededWorkspace, key: StarterKey, edit: (g: FlowGraph) => FlowGraph = (g) => g) {
  const { id: flowId } = await createStarterFlow(h.db.db, { workspaceId: ws.workspace.id, name: key, starter: key, createdBy: ws.owner.id });
  const draft = flowGraphSchema.parse((await getFlowDraft(h.db.db, { workspaceId: ws.workspace.id, flowId }))!.draft);
  await publish(h.db.db, { workspaceId: ws.workspace.id, flowId, graph: edit(draft) as never });
  return flowId;
}

/** Sent mail of the flow: to whom, which subject, when (virtual clock). */
async function sent(workspaceId: string, flowId: string) {
  const rows = await h.db.db
    .select({ contactId: messages.contactId, subject: messages.subject, nodeId: messages.nodeId, sentAt: messages.sentAt, id: messages.id })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.flowId, flowId)))
    .orderBy(asc(messages.sentAt), asc(messages.id));
  return rows.filter((r) => r.sentAt !== null);
}

async function outcome(workspaceId: string, flowId: string, contactId: string) {
  return (await listEnrollments(h.db.db, { workspaceId, flowId, contactId })).map((e) => [e.status, e.exitReason]);
}

/** Time between two instants in whole minutes (the virtual clock also moves with real time, by milliseconds). */
const minutes = (from: number, to: Date | number) => Math.round(((typeof to === "number" ? to : to.getTime()) - from) / MIN);

const captured = (to: string) => h.capture.emails.filter((m) => m.to.includes(to)).map((m) => m.subject);

describe("welcome series with double opt-in", () => {
  it("welcomes a signup only after they confirm, twice, two days apart; one who never confirms gets only the confirmation mail", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const [form] = await h.db.db
      .insert(forms)
      .values({
        workspaceId: ws.workspace.id,
        name: "Newsletter",
        slug: `news-${ws.workspace.slug}`,
        status: "live",
        doubleOptIn: true,
        consentWording: "Yes, send me the newsletter. I can unsubscribe at any time.",
        config: { fields: [{ key: "first_name", label: "First name" }], topics: [], minFillSeconds: 2, plainHtmlEmbed: true },
      })
      .returning();
    const flowId = await liveStarter(ws, "welcome-double-opt-in");
    const transport = resendTransport({ apiKey: "re_test", baseUrl: h.capture.url });
    const signup = async (email: string, firstName: string) => {
      const r = await submitForm(h.db.db, {
        form: form!,
        fields: { email: [email], first_name: [firstName] },
        ip: "203.0.113.9",
        userAgent: "Mozilla/5.0 test",
        source: "embedded_form",
        page: null,
        now: now(),
        transport,
        emit,
      });
      if (r.outcome !== "accepted") throw new Error(`signup refused: ${JSON.stringify(r)}`);
      return r.contactId;
    };
    const frida = `frida@${ws.workspace.slug}.example`;
    const nils = `nils@${ws.workspace.slug}.example`;
    const fridaId = await signup(frida, "Frida");
    const nilsId = await signup(nils, "Nils");
    await h.settle();
    const confirmSubject = `Confirm your subscription to ${ws.workspace.name}`;
    expect(captured(frida)).toEqual([confirmSubject]);
    expect(captured(nils)).toEqual([confirmSubject]);
    // Unconfirmed: not in the flow, so no marketing mail can reach them.
    expect(await listEnrollments(h.db.db, { workspaceId: ws.workspace.id, flowId })).toEqual([]);

    await h.advance(HOUR);
    // Frida presses Confirm: what POST /f/confirm/[token] does.
    const mail = h.capture.emails.find((m) => m.to.includes(frida))!;
    const token = /\/f\/confirm\/([^\s"<]+)/.exec(mail.text ?? "")![1]!;
    const confirmedAt = now().getTime();
    const confirmed = await confirmOptIn(h.db.db, { token, ip: null, userAgent: null, at: now() });
    if (confirmed.outcome !== "confirmed") throw new Error(`not confirmed: ${confirmed.outcome}`);
    await emitFormSubmitted(emit, { workspaceId: confirmed.workspaceId, contactId: confirmed.contactId, formId: confirmed.formId!, fields: confirmed.fields });
    await h.settle();
    expect(captured(frida)).toEqual([confirmSubject, `Welcome to ${ws.workspace.name}`]);
    expect(h.capture.emails.find((m) => m.subject === `Welcome to ${ws.workspace.name}`)!.text).toContain("Hi Frida,");

    await h.advance(2 * DAY - MIN);
    expect(captured(frida)).toHaveLength(2);
    await h.advance(MIN);
    expect(captured(frida)).toEqual([confirmSubject, `Welcome to ${ws.workspace.name}`, `Getting started with ${ws.workspace.name}`]);
    const rows = await sent(ws.workspace.id, flowId);
    expect(rows.map((r) => [r.contactId, r.nodeId, minutes(confirmedAt, r.sentAt!)])).toEqual([
      [fridaId, "welcome1", 0],
      [fridaId, "welcome2", (2 * DAY) / MIN],
    ]);
    expect(await outcome(ws.workspace.id, flowId, fridaId)).toEqual([["exited", "welcomed"]]);

    // Nils never confirms: past the link's seven days he has had the confirmation mail and nothing else.
    await h.advance(7 * DAY);
    expect(captured(nils)).toEqual([confirmSubject]);
    expect(await outcome(ws.workspace.id, flowId, nilsId)).toEqual([]);
  });
});

describe("abandoned cart", () => {
  it("reminds four hours after a product was added to a cart that was not bought; buying that cart reaches the goal instead", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 3 });
    await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
    const [buyer, browser, other] = ws.contacts as [SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0]];
    const flowId = await liveStarter(ws, "abandoned-cart");
    const w = ws.workspace.id;
    await track(w, buyer.id, "Product Added", { cartId: "cart-1", sku: "boots" });
    await track(w, browser.id, "Product Added", { cartId: "cart-2", sku: "tent" });
    await track(w, other.id, "Product Added", { cartId: "cart-3", sku: "stove" });
    const addedAt = now().getTime();
    await h.advance(HOUR);
    await track(w, buyer.id, "Order Completed", { cartId: "cart-1" });
    // Another cart's order is not this cart's purchase.
    await track(w, other.id, "Order Completed", { cartId: "cart-9" });
    await h.advance(3 * HOUR - MIN);
    expect(await sent(w, flowId)).toEqual([]);
    await h.advance(MIN);
    const rows = await sent(w, flowId);
    expect(rows.map((r) => [r.contactId, r.subject, minutes(addedAt, r.sentAt!)]).sort()).toEqual(
      [
        [browser.id, "You left something in your cart", (4 * HOUR) / MIN],
        [other.id, "You left something in your cart", (4 * HOUR) / MIN],
      ].sort(),
    );
    expect(captured(buyer.email)).toEqual([]);
    expect(await outcome(w, flowId, browser.id)).toEqual([["exited", "reminded"]]);
    expect((await outcome(w, flowId, buyer.id))[0]![0]).not.toBe("active");
    expect((await outcome(w, flowId, buyer.id))[0]![1]).not.toBe("reminded");
  });
});

describe("post-purchase review and upsell", () => {
  it("asks for a review a week after the order and offers the upsell three days later only to those who clicked", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 2 });
    await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
    const [clicker, quiet] = ws.contacts as [SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0]];
    const w = ws.workspace.id;
    const flowId = await liveStarter(ws, "post-purchase");
    await track(w, clicker.id, "Order Completed", { orderId: "o-1" });
    await track(w, quiet.id, "Order Completed", { orderId: "o-2" });
    const orderedAt = now().getTime();
    await h.advance(7 * DAY - MIN);
    expect(await sent(w, flowId)).toEqual([]);
    await h.advance(MIN);
    const reviews = await sent(w, flowId);
    expect(reviews.map((r) => [r.subject, minutes(orderedAt, r.sentAt!)])).toEqual([
      ["How is your order?", (7 * DAY) / MIN],
      ["How is your order?", (7 * DAY) / MIN],
    ]);
    await h.advance(HOUR);
    const review = reviews.find((r) => r.contactId === clicker.id)!;
    await insertEmailEvent(h.db.db, { workspaceId: w, messageId: review.id, contactId: clicker.id, type: "clicked", dedupeKey: `click-${review.id}`, machine: false, url: "https://example.com/reviews", occurredAt: now() });
    await h.advance(3 * DAY - HOUR - MIN);
    expect(await sent(w, flowId)).toHaveLength(2);
    await h.advance(MIN);
    const all = await sent(w, flowId);
    expect(all.map((r) => [r.contactId, r.subject])).toEqual([
      ...reviews.map((r) => [r.contactId, "How is your order?"]),
      [clicker.id, "Picked for you"],
    ]);
    expect(minutes(orderedAt, all.at(-1)!.sentAt!)).toBe((10 * DAY) / MIN);
    expect(await outcome(w, flowId, clicker.id)).toEqual([["exited", "upsold"]]);
    expect(await outcome(w, flowId, quiet.id)).toEqual([["exited", "no click"]]);
  });
});

describe("birthday greeting", () => {
  it("greets on the birthday at 09:00 in the contact's zone, and no one else", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 2 });
    await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
    const [bday, other] = ws.contacts as [SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0]];
    const w = ws.workspace.id;
    const day = new Date(now().getTime() + 3 * DAY);
    const md = day.toISOString().slice(5, 10);
    const otherDay = new Date(now().getTime() + 40 * DAY).toISOString().slice(5, 10);
    await h.db.db.update(contacts).set({ attributes: { birthday: `1990-${md}` }, timeZone: "Europe/Oslo" }).where(eq(contacts.id, bday.id));
    await h.db.db.update(contacts).set({ attributes: { birthday: `1985-${otherDay}` }, timeZone: "Europe/Oslo" }).where(eq(contacts.id, other.id));
    const flowId = await liveStarter(ws, "birthday");
    const nine = zonedInstant({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() }, { hour: 9, minute: 0 }, "Europe/Oslo");
    // Up to an hour before, in one go; then tick by tick (the schedule runs every 15 minutes).
    await h.advance(nine - HOUR - now().getTime());
    expect(await sent(w, flowId)).toEqual([]);
    while (now().getTime() < nine + 2 * ANNIVERSARY_TICK_MS) await h.advance(ANNIVERSARY_TICK_MS);
    const rows = await sent(w, flowId);
    expect(rows.map((r) => [r.contactId, r.subject])).toEqual([[bday.id, "Happy birthday, Ada!"]]);
    expect(rows[0]!.sentAt!.getTime()).toBeGreaterThanOrEqual(nine);
    expect(rows[0]!.sentAt!.getTime()).toBeLessThanOrEqual(nine + ANNIVERSARY_TICK_MS);
    expect(await outcome(w, flowId, bday.id)).toEqual([["exited", "greeted"]]);
    expect(await outcome(w, flowId, other.id)).toEqual([]);
  });
});

describe("re-engagement of inactive subscribers", () => {
  it("writes to contacts entering the inactive segment; tags those who click re-engaged and the rest inactive five days later", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 3 });
    await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
    const [back, gone, active] = ws.contacts as [SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0], SeededWorkspace["contacts"][0]];
    const w = ws.workspace.id;
    const definition = definitionSchema.parse({ type: "group", match: "all", children: [{ type: "tag", tag: "quiet-90-days", has: true }] });
    const seg = await createSegment(h.db.db, { workspaceId: w, name: "Inactive for 90 days", definition, createdBy: null });
    await h.app.inngest.send({ name: "segment/refresh.requested", data: { workspaceId: w, segmentId: seg.id } });
    await h.settle();
    // The marketer picks the segment in the trigger's panel.
    const flowId = await liveStarter(ws, "re-engagement", (g) => ({
      ...g,
      nodes: g.nodes.map((n) => (n.kind === "segment-entered" ? { ...n, config: { ...n.config, segmentId: seg.id } } : n)),
    }));
    for (const c of [back, gone]) {
      await addContactTag(h.db.db, { workspaceId: w, contactId: c.id, tag: "quiet-90-days" });
      await h.app.inngest.send({ name: "contact/tag.added", data: { workspaceId: w, contactId: c.id, tag: "quiet-90-days" } });
    }
    await h.settle();
    const wroteAt = now().getTime();
    const first = await sent(w, flowId);
    expect(first.map((r) => [r.contactId, r.subject]).sort()).toEqual(
      [
        [back.id, "We miss you, Ada"],
        [gone.id, "We miss you, Bjørn"],
      ].sort(),
    );
    await h.advance(DAY);
    const mail = first.find((r) => r.contactId === back.id)!;
    await insertEmailEvent(h.db.db, { workspaceId: w, messageId: mail.id, contactId: back.id, type: "clicked", dedupeKey: `click-${mail.id}`, machine: false, url: "https://example.com", occurredAt: now() });
    await h.advance(4 * DAY);
    const tagsOf = async (contactId: string) =>
      (
        await h.db.db
          .select({ name: tags.name })
          .from(contactTags)
          .innerJoin(tags, eq(tags.id, contactTags.tagId))
          .where(and(eq(contactTags.workspaceId, w), eq(contactTags.contactId, contactId)))
      )
        .map((t) => t.name)
        .sort();
    expect(await tagsOf(back.id)).toEqual(["quiet-90-days", "re-engaged"]);
    expect(await tagsOf(gone.id)).toEqual(["inactive", "quiet-90-days"]);
    expect(await outcome(w, flowId, back.id)).toEqual([["exited", "re-engaged"]]);
    expect(await outcome(w, flowId, gone.id)).toEqual([["exited", "inactive"]]);
    expect(await outcome(w, flowId, active.id)).toEqual([]);
    expect((await sent(w, flowId)).length).toBe(2);
    expect(minutes(wroteAt, now())).toBe((5 * DAY) / MIN);
  });
});

describe("creating a flow from a starter", () => {
  it.each(starterKeys.filter((k) => k !== "blank"))("%s: each send node names the template made for its step, never an unrelated one", async (key) => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const unrelated = await createTemplate(h.db.db, w, "Spring sale");
    const proposed = starterTemplates(key);
    // The workspace already has a template for one step (named so, in other case): it is used as it is.
    const [mine] = await h.db.db
      .insert(templates)
      .values({ workspaceId: w, name: ` ${proposed[0]!.name.toUpperCase()} `, class: "marketing", subject: "My own subject", body: { markup: "Mine" } })
      .returning({ id: templates.id });
    const create = async () => {
      const { id } = await createStarterFlow(h.db.db, { workspaceId: w, name: key, starter: key, createdBy: ws.owner.id });
      const draft = flowGraphSchema.parse((await getFlowDraft(h.db.db, { workspaceId: w, flowId: id }))!.draft);
      return draft.nodes.filter((n) => n.kind === "send-email").map((n) => [n.id, n.config.templateId as string] as const);
    };
    const sends = await create();
    expect(sends.map(([id]) => id)).toEqual(proposed.map((t) => t.nodeId));
    const ids = sends.map(([, t]) => t);
    expect(ids).not.toContain(unrelated);
    expect(ids).not.toContain("");
    const rows = await h.db.db.select().from(templates).where(and(eq(templates.workspaceId, w), inArray(templates.id, ids)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(ids[0]).toBe(mine!.id);
    proposed.slice(1).forEach((t, i) => {
      const row = byId.get(ids[i + 1]!)!;
      expect({ name: row.name, subject: row.subject, class: row.class, topic: row.topic, body: row.body }).toEqual({
        name: t.name,
        subject: t.subject,
        class: "marketing",
        topic: null,
        body: { markup: t.markup },
      });
    });
    // A second flow from the same starter reuses them: no copies pile up.
    expect((await create()).map(([, t]) => t)).toEqual(ids);
    expect(await h.db.db.select({ id: templates.id }).from(templates).where(eq(templates.workspaceId, w))).toHaveLength(1 + proposed.length);
  });

  it("uses only the workspace's own templates, and not archived ones", async () => {
    const a = await seedWorkspace(h.db.db, { contacts: 0 });
    const b = await seedWorkspace(h.db.db, { contacts: 0 });
    const [theirs] = await h.db.db.insert(templates).values({ workspaceId: b.workspace.id, name: "Birthday — greeting", subject: "Theirs" }).returning({ id: templates.id });
    const [archived] = await h.db.db
      .insert(templates)
      .values({ workspaceId: a.workspace.id, name: "Birthday — greeting", subject: "Old", archivedAt: now() })
      .returning({ id: templates.id });
    const { id } = await createStarterFlow(h.db.db, { workspaceId: a.workspace.id, name: "Birthdays", starter: "birthday", createdBy: a.owner.id });
    const draft = flowGraphSchema.parse((await getFlowDraft(h.db.db, { workspaceId: a.workspace.id, flowId: id }))!.draft);
    const templateId = draft.nodes.find((n) => n.id === "greeting")!.config.templateId as string;
    expect([theirs!.id, archived!.id]).not.toContain(templateId);
    const [row] = await h.db.db.select().from(templates).where(eq(templates.id, templateId));
    expect([row!.workspaceId, row!.name, row!.archivedAt]).toEqual([a.workspace.id, "Birthday — greeting", null]);
  });
});
