import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { appendConsentEvents } from "@/db/queries/consent";
import { contactTimeline } from "@/db/queries/contacts";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { messageDetail, messageReceipts, nodeMessages } from "@/db/queries/messages";
import { describeReceipt } from "@/lib/consent/receipt";
import { eraseContact } from "../consent/gdpr";
import { consentEvents, contacts, forms, messages, templates } from "@/db/schema/index";

/**
 * The consent receipt and the subject as sent, end to end: the flow runner's send step through the
 * real Resend SDK into the capture server, the executor on a virtual clock.
 */

const DAY = 86_400_000;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(() => h?.stop());

async function workspace(n: number) {
  const ws = await seedWorkspace(h.db.db, { contacts: n });
  await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
  await h.db.db.update(contacts).set({ timeZone: "UTC" }).where(eq(contacts.workspaceId, ws.workspace.id));
  return ws;
}

async function template(ws: SeededWorkspace, subject: string, cls: "marketing" | "transactional" = "marketing") {
  const [t] = await h.db.db
    .insert(templates)
    .values({ workspaceId: ws.workspace.id, name: subject, class: cls, subject, body: { markup: "Hello {{ contact.first_name }}" } })
    .returning({ id: templates.id });
  return t!.id;
}

/** send s1 → wait a day → send s2 → exit, for these contacts. */
async function twoSends(ws: SeededWorkspace, first: string, second: string, contactIds: string[]) {
  const { flowId } = await createLiveFlow(h.db.db, {
    workspaceId: ws.workspace.id,
    name: "Welcome series",
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["s1", "send-email", { templateId: first }],
        ["d", "delay", { durationMs: DAY }],
        ["s2", "send-email", { templateId: second }],
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
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds } });
  await h.settle();
  return flowId;
}

const mailTo = (email: string) => h.capture.emails.filter((e) => e.to.includes(email));
const rowsOf = (ws: SeededWorkspace, contactId: string) =>
  h.db.db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.contactId, contactId)))
    .orderBy(asc(messages.createdAt));
const confirmationOf = async (contactId: string) => {
  const [row] = await h.db.db.select({ id: consentEvents.id }).from(consentEvents).where(and(eq(consentEvents.contactId, contactId), eq(consentEvents.kind, "confirmed")));
  return row!.id;
};

describe("the consent receipt of flow mail", () => {
  it("records the confirmation behind the first send; a withdrawal before the second refuses it, with no row and no receipt", async () => {
    const ws = await workspace(2);
    const [leaver, stayer] = ws.contacts as [{ id: string; email: string }, { id: string; email: string }];
    const first = await template(ws, "Welcome, {{ contact.first_name }}");
    const second = await template(ws, "Day two for {{ contact.first_name }}");
    const flowId = await twoSends(ws, first, second, [leaver.id, stayer.id]);

    const [sent] = await rowsOf(ws, leaver.id);
    expect(sent).toMatchObject({ nodeId: "s1", status: "sent", consentEventId: await confirmationOf(leaver.id), permissionBasis: "consent" });

    // The withdrawal reaches the ledger while the run waits; nothing else happens (no status change,
    // no cancel event), so only the send step's own re-check stands between the contact and the mail.
    await appendConsentEvents(h.db.db, [{ workspaceId: ws.workspace.id, contactId: leaver.id, kind: "withdrawn", email: leaver.email, source: "unsubscribe_link" }]);
    await h.advance(DAY + 60_000);

    const [enrollment] = await listEnrollments(h.db.db, { workspaceId: ws.workspace.id, flowId, contactId: leaver.id });
    const trace = await enrollmentTrace(h.db.db, { workspaceId: ws.workspace.id, enrollmentId: enrollment!.id });
    expect(trace.find((s) => s.nodeId === "s2")).toMatchObject({ outcome: "skipped", detail: "Not sent: withdrawn" });
    const rows = await rowsOf(ws, leaver.id);
    expect(rows.map((r) => r.nodeId)).toEqual(["s1"]);
    expect(mailTo(leaver.email)).toHaveLength(1);

    // The one who stayed got both, each under the same confirmation.
    const stayed = await rowsOf(ws, stayer.id);
    const receipt = await confirmationOf(stayer.id);
    expect(stayed.map((r) => [r.nodeId, r.status, r.consentEventId, r.permissionBasis])).toEqual([
      ["s1", "sent", receipt, "consent"],
      ["s2", "sent", receipt, "consent"],
    ]);
    expect(mailTo(stayer.email)).toHaveLength(2);
  });

  it("names the new confirmation after a re-subscription", async () => {
    const ws = await workspace(1);
    const c = ws.contacts[0]!;
    const t = await template(ws, "News");
    await twoSends(ws, t, t, [c.id]);
    const old = await confirmationOf(c.id);
    const later = new Date(Date.now() + 1000);
    const [, , renewed] = await appendConsentEvents(h.db.db, [
      { workspaceId: ws.workspace.id, contactId: c.id, kind: "withdrawn", email: c.email, source: "unsubscribe_link", occurredAt: later },
      { workspaceId: ws.workspace.id, contactId: c.id, kind: "opt_in", email: c.email, source: "hosted_form", occurredAt: new Date(later.getTime() + 1000) },
      { workspaceId: ws.workspace.id, contactId: c.id, kind: "confirmed", email: c.email, source: "double_opt_in", occurredAt: new Date(later.getTime() + 2000) },
    ]);
    await h.advance(DAY + 60_000);
    const rows = await rowsOf(ws, c.id);
    expect(rows.map((r) => [r.nodeId, r.consentEventId])).toEqual([
      ["s1", old],
      ["s2", renewed!.id],
    ]);
  });

  it("records transactional flow mail as needing no consent", async () => {
    const ws = await workspace(1);
    const c = ws.contacts[0]!;
    const receipt = await template(ws, "Your receipt", "transactional");
    await twoSends(ws, receipt, receipt, [c.id]);
    const [row] = await rowsOf(ws, c.id);
    expect(row).toMatchObject({ class: "transactional", status: "sent", consentEventId: null, permissionBasis: "transactional: service mail from a template marked transactional" });
  });
});

describe("reading receipts back", () => {
  it("the message page, the timeline and the node's list name the same ledger entry, within the workspace only, and erasure leaves its skeleton", async () => {
    const ws = await workspace(1);
    const other = await workspace(1);
    const c = ws.contacts[0]!;
    const form = await h.db.db
      .insert(forms)
      .values({ workspaceId: ws.workspace.id, name: "Spring signup", slug: `spring-${ws.workspace.slug}`, status: "live", consentWording: "Yes please", wordingVersion: 4 })
      .returning({ id: forms.id });
    // A fresh confirmation from the form, with the IP it came from.
    const [, confirmed] = await appendConsentEvents(h.db.db, [
      { workspaceId: ws.workspace.id, contactId: c.id, kind: "opt_in", email: c.email, source: "hosted_form", formId: form[0]!.id, formVersion: "4", occurredAt: new Date(Date.now() + 1000) },
      { workspaceId: ws.workspace.id, contactId: c.id, kind: "confirmed", email: c.email, source: "double_opt_in", formId: form[0]!.id, formVersion: "4", ip: "198.51.100.23", occurredAt: new Date("2031-05-06T07:08:09Z") },
    ]);
    const t = await template(ws, "Hi {{ contact.first_name }}");
    const flowId = await twoSends(ws, t, t, [c.id]);
    const [row] = await rowsOf(ws, c.id);
    expect(row!.consentEventId).toBe(confirmed!.id);

    const text = "Sent under consent given on 2031-05-06 07:08 UTC via the form “Spring signup” (double opt-in confirmation, wording v4, IP 198.51.100.23)";
    const detail = await messageDetail(h.db.db, { workspaceId: ws.workspace.id, messageId: row!.id });
    expect(detail).toMatchObject({ subject: "Hi Ada", status: "sent", flowName: "Welcome series", contact: { email: c.email, status: "subscribed" } });
    expect(describeReceipt(detail!.receipt)).toBe(text);
    const timeline = await contactTimeline(h.db.db, { workspaceId: ws.workspace.id, contactId: c.id });
    expect(timeline.filter((e) => e.kind === "message").map((e) => [e.title, e.ref])).toEqual([["Hi Ada", row!.id]]);
    const receipts = await messageReceipts(h.db.db, { workspaceId: ws.workspace.id, messageIds: [row!.id] });
    expect(describeReceipt(receipts.get(row!.id)!)).toBe(text);
    const listed = await nodeMessages(h.db.db, { workspaceId: ws.workspace.id, flowId, nodeId: "s1", from: new Date(Date.now() - DAY), to: new Date(Date.now() + 2 * DAY), limit: 50 });
    expect(listed.map((m) => [m.id, m.subject, describeReceipt(m.receipt)])).toEqual([[row!.id, "Hi Ada", text]]);
    expect(await nodeMessages(h.db.db, { workspaceId: ws.workspace.id, flowId, nodeId: "s1", from: new Date(Date.now() + 2 * DAY), to: new Date(Date.now() + 3 * DAY), limit: 50 })).toEqual([]);

    // Another workspace sees nothing of it.
    expect(await messageDetail(h.db.db, { workspaceId: other.workspace.id, messageId: row!.id })).toBeUndefined();
    expect((await messageReceipts(h.db.db, { workspaceId: other.workspace.id, messageIds: [row!.id] })).size).toBe(0);
    expect(await nodeMessages(h.db.db, { workspaceId: other.workspace.id, flowId, nodeId: "s1", from: new Date(0), to: new Date(Date.now() + 3 * DAY), limit: 50 })).toEqual([]);

    // Erased: the ledger row keeps kind, time, source, form and version; the IP is gone, and so is the subject.
    await eraseContact(h.db.db, { workspaceId: ws.workspace.id, contactId: c.id, at: new Date() });
    const erased = await messageDetail(h.db.db, { workspaceId: ws.workspace.id, messageId: row!.id });
    expect(erased!.subject).toBe("(erased)");
    expect(describeReceipt(erased!.receipt)).toBe("Sent under consent given on 2031-05-06 07:08 UTC via the form “Spring signup” (double opt-in confirmation, wording v4)");
  });
});

describe("the subject as sent", () => {
  it("stores the rendered subject, the one the contact saw, also when the first attempt failed and was retried", async () => {
    const ws = await workspace(2);
    const [ada, nameless] = ws.contacts as [{ id: string; email: string }, { id: string; email: string }];
    await h.db.db.update(contacts).set({ firstName: null }).where(eq(contacts.id, nameless.id));
    const t = await template(ws, 'Welcome, {{ contact.first_name | default: "friend" }}');
    h.capture.failNext({ status: 500 });
    await twoSends(ws, t, t, [ada.id]);
    await h.advance(60_000);
    await twoSends(ws, t, t, [nameless.id]);

    const [adaRow] = await rowsOf(ws, ada.id);
    expect(mailTo(ada.email).map((e) => e.subject)).toEqual(["Welcome, Ada"]);
    expect(adaRow).toMatchObject({ status: "sent", subject: "Welcome, Ada" });
    // The retry reused the row it claimed first (the message id is in the tracking links).
    expect(await rowsOf(ws, ada.id)).toHaveLength(1);
    expect(mailTo(ada.email)[0]!.html).toContain("/o/");

    const [namelessRow] = await rowsOf(ws, nameless.id);
    expect(mailTo(nameless.email).map((e) => e.subject)).toEqual(["Welcome, friend"]);
    expect(namelessRow!.subject).toBe("Welcome, friend");
  });
});
