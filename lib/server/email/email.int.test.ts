import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/e2e/fixtures/database";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import type { CapturedEmail, ResendCapture } from "@/e2e/fixtures/resend-capture";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { messageEvents } from "@/db/queries/messages";
import { suppressionsFor } from "@/db/queries/suppressions";
import { batchKey } from "@/db/queries/send-batches";
import { consentEvents, contacts, emailEvents, messages, templates, workspaces } from "@/db/schema/index";
import type { TestApp } from "@/inngest/local/test-app";
import { now } from "@/lib/clock";
import { handleResendWebhook, recordTrackingHit, type EmailFeedbackEvent } from "./feedback";
import { peekTrackingToken } from "@/lib/email/tracking";
import { verifyViewToken } from "@/lib/email/view-link";
import { viewMessage } from "./view";
import { UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * lib/email end to end: the flow runner's send step through the real Resend SDK into the capture
 * server (executor on a virtual clock), the webhook handler with real signatures, and the click
 * and open tracking against the database.
 */

const HOUR = 3_600_000;
let h: FlowHarness;
let db: TestDatabase;
let app: TestApp;
let capture: ResendCapture;

beforeAll(async () => {
  h = await startFlowHarness();
  ({ db, app, capture } = h);
});

afterAll(() => h?.stop());

const settle = () => h.settle();
const advance = (ms: number) => h.advance(ms);

async function workspace(n: number, policy: Record<string, unknown> = {}): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(db.db, { contacts: n });
  await grantConsent(db.db, ws.workspace.id, ws.contacts);
  await db.db.update(workspaces).set({ sendingPolicy: policy }).where(eq(workspaces.id, ws.workspace.id));
  await db.db.update(contacts).set({ timeZone: "UTC" }).where(eq(contacts.workspaceId, ws.workspace.id));
  return ws;
}

async function template(ws: SeededWorkspace, opts: { subject: string; markup?: string; class?: "marketing" | "transactional" }) {
  const [t] = await db.db
    .insert(templates)
    .values({
      workspaceId: ws.workspace.id,
      name: opts.subject,
      class: opts.class ?? "marketing",
      subject: opts.subject,
      preheader: "",
      body: { markup: opts.markup ?? "Hi {{ contact.first_name }}\n\n[button: Visit the shop](https://shop.example/sale)" },
    })
    .returning({ id: templates.id });
  return t!.id;
}

/** A flow sending the templates in turn from nodes s1, s2, …; `configs` adds to a node's config. */
async function sendFlow(ws: SeededWorkspace, templateIds: string[], contactIds: string[], configs: Record<string, Record<string, unknown>> = {}) {
  const nodes: [string, string, Record<string, unknown>?][] = [["t", "manual-enrol"]];
  const edges: [string, string, string][] = [];
  let prev = "t";
  templateIds.forEach((id, i) => {
    nodes.push([`s${i + 1}`, "send-email", { templateId: id, ...configs[`s${i + 1}`] }]);
    edges.push([prev, "next", `s${i + 1}`]);
    prev = `s${i + 1}`;
  });
  nodes.push(["x", "exit"]);
  edges.push([prev, "next", "x"]);
  const { flowId } = await createLiveFlow(db.db, { workspaceId: ws.workspace.id, name: "Spring sale", graph: graph(nodes, edges) });
  await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds } });
  await settle();
  return flowId;
}

const ofFlow = (flowId: string) => capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));

describe("sending through a flow (real Resend SDK → capture server)", () => {
  it("every marketing message carries both unsubscribe headers and the footer; transactional mail neither", async () => {
    const ws = await workspace(20);
    const m = await template(ws, { subject: "News for {{ contact.first_name }}" });
    const t = await template(ws, { subject: "Your receipt", class: "transactional", markup: "Thanks for your order." });
    const flowId = await sendFlow(ws, [m, t], ws.contacts.map((c) => c.id));
    const sent = ofFlow(flowId);
    expect(sent).toHaveLength(40);
    const marketing = sent.filter((e) => e.subject.startsWith("News"));
    const transactional = sent.filter((e) => e.subject === "Your receipt");
    expect(marketing).toHaveLength(20);
    expect(transactional).toHaveLength(20);
    const rows = await db.db.select().from(messages).where(eq(messages.workspaceId, ws.workspace.id));
    const tokenOf = new Map(rows.map((r) => [r.providerMessageId, r.unsubscribeToken]));
    for (const e of marketing) {
      const token = tokenOf.get(e.id);
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(e.headers["List-Unsubscribe"]).toBe(`<http://localhost:3000/u/${token}>`);
      expect(e.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
      expect(e.html).toContain(`href="http://localhost:3000/u/${token}"`);
      expect(e.html).toContain("1 Fjord Road, 5003 Bergen, Norway");
      expect(e.text).toContain(`Unsubscribe: http://localhost:3000/u/${token}`);
      expect(e.text).toContain("1 Fjord Road, 5003 Bergen, Norway");
    }
    for (const e of transactional) {
      expect(e.headers["List-Unsubscribe"]).toBeUndefined();
      expect(e.headers["List-Unsubscribe-Post"]).toBeUndefined();
      expect(e.html).not.toContain("Unsubscribe");
      expect(e.html).not.toContain("Fjord Road");
      expect(tokenOf.get(e.id)).toBeNull();
    }
    // Links go through the signed click redirect with UTM per flow and node; the open pixel is there.
    expect(marketing[0]!.html).toMatch(/href="http:\/\/localhost:3000\/r\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"/);
    expect(marketing[0]!.html).toMatch(/<img src="http:\/\/localhost:3000\/o\/[^"]+"/);
    expect(marketing[0]!.tags.map((x) => x.name).sort()).toEqual(["contact", "enrollment", "flow", "node", "workspace"]);
  });

  it("adds UTM per flow and node: a node's own parameters win, the workspace's and the flow's fill the rest", async () => {
    const ws = await workspace(1, { tracking: { utmSource: "acme", utmMedium: "newsletter" } });
    const m = await template(ws, { subject: "Spring" });
    const flowId = await sendFlow(ws, [m, m, m], [ws.contacts[0]!.id], {
      s1: { utm: { campaign: "vip-launch", content: "hero" } },
      s3: { utm: { off: true } },
    });
    const sent = ofFlow(flowId);
    expect(sent).toHaveLength(3);
    const linkOf = (node: string) => {
      const mail = sent.find((e) => e.tags.some((t) => t.name === "node" && t.value === node))!;
      const token = /href="http:\/\/localhost:3000\/r\/([^"]+)"/.exec(mail.html!)![1]!;
      return peekTrackingToken(token)!.url;
    };
    expect(linkOf("s1")).toBe("https://shop.example/sale?utm_source=acme&utm_medium=newsletter&utm_campaign=vip-launch&utm_content=hero");
    expect(linkOf("s2")).toBe("https://shop.example/sale?utm_source=acme&utm_medium=newsletter&utm_campaign=spring-sale&utm_content=s2");
    expect(linkOf("s3")).toBe("https://shop.example/sale");
  });

  it("gives flow mail a {{ view_url }} that opens that message's view-in-browser page", async () => {
    const ws = await workspace(1);
    const t = await template(ws, { subject: "Viewable", markup: "Hi {{ contact.first_name }}\n\n[View in browser]({{ view_url }})" });
    const flowId = await sendFlow(ws, [t], [ws.contacts[0]!.id]);
    const [mail] = ofFlow(flowId);
    const token = /href="http:\/\/localhost:3000\/v\/([^"]+)"/.exec(mail!.html ?? "")?.[1];
    const [row] = await db.db.select().from(messages).where(eq(messages.providerMessageId, mail!.id));
    const [w] = await db.db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, ws.workspace.id));
    expect(verifyViewToken(w!.secret, token!)).toEqual({ workspaceId: ws.workspace.id, messageId: row!.id });
    const view = await viewMessage(db.db, token!);
    expect(view).toMatchObject({ kind: "ok", subject: "Viewable" });
  });

  it("renders a contact named <script>alert(1)</script> inert in HTML and readable in text", async () => {
    const ws = await workspace(1);
    await db.db.update(contacts).set({ firstName: "<script>alert(1)</script>" }).where(eq(contacts.id, ws.contacts[0]!.id));
    const m = await template(ws, { subject: "Hi {{ contact.first_name }}", markup: "# Hello {{ contact.first_name }}\n\nWelcome." });
    const [mail] = ofFlow(await sendFlow(ws, [m], [ws.contacts[0]!.id]));
    expect(mail!.html).not.toContain("<script>");
    expect(mail!.html).toContain("Hello &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(mail!.text).toContain("Hello <script>alert(1)</script>");
    expect(mail!.subject).toBe("Hi <script>alert(1)</script>");
  });

  it("sends a frozen batch again with its key and the same bytes across retries, and waits out a 429's retry-after", async () => {
    const ws = await workspace(1);
    const m = await template(ws, { subject: "Rate limited" });
    const before = capture.requests.length;
    capture.failNext({ status: 429, retryAfterSeconds: 30 });
    capture.failNext({ status: 500 });
    const startedAt = now().getTime();
    const flowId = await sendFlow(ws, [m], [ws.contacts[0]!.id]);
    // The 429 asked for 30 s: nothing is retried before that (virtual time), then it goes through.
    let mine = capture.requests.slice(before).filter((r) => r.path.startsWith("/emails"));
    expect(mine.map((r) => `${r.path} ${r.status}`)).toEqual(["/emails/batch 429"]);
    expect(ofFlow(flowId)).toHaveLength(0);
    await advance(31_000);
    await advance(60_000);
    mine = capture.requests.slice(before).filter((r) => r.path.startsWith("/emails"));
    expect(mine.map((r) => `${r.path} ${r.status}`)).toEqual(["/emails/batch 429", "/emails/batch 500", "/emails/batch 200"]);
    const [enrollment] = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: ws.contacts[0]!.id });
    const [row] = await db.db.select().from(messages).where(eq(messages.enrollmentId, enrollment!.id));
    expect(row!.status).toBe("sent");
    expect(row!.batchId).not.toBeNull();
    // One key, the batch row's, and one body: the provider's key never meets another request.
    expect(new Set(mine.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([batchKey(row!.batchId!)]));
    expect(new Set(mine.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(ofFlow(flowId)).toHaveLength(1);
    expect(row!.sentAt!.getTime() - startedAt).toBeGreaterThanOrEqual(30_000);
  });
});

describe("sending policy", () => {
  it("a capped message waits for the next allowed slot and is then delivered, never lost", async () => {
    const ws = await workspace(2, { frequencyCap: { max: 1, windowHours: 24 } });
    const first = await template(ws, { subject: "First of two" });
    const second = await template(ws, { subject: "Second of two" });
    const startedAt = now().getTime();
    const flowId = await sendFlow(ws, [first, second], ws.contacts.map((c) => c.id));
    expect(ofFlow(flowId).map((e) => e.subject)).toEqual(["First of two", "First of two"]);
    const [enrollment] = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: ws.contacts[0]!.id });
    const waiting = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: enrollment!.id });
    expect(waiting.find((t) => t.nodeId === "s2")).toMatchObject({ outcome: "waiting" });
    expect(waiting.find((t) => t.nodeId === "s2")!.detail).toMatch(/frequency cap/);

    await advance(23 * HOUR);
    expect(ofFlow(flowId)).toHaveLength(2);
    await advance(2 * HOUR);
    const sent = ofFlow(flowId);
    expect(sent.map((e) => e.subject).sort()).toEqual(["First of two", "First of two", "Second of two", "Second of two"]);
    const rows = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.nodeId, "s2")));
    for (const r of rows) expect(r.sentAt!.getTime() - startedAt).toBeGreaterThanOrEqual(24 * HOUR);
    const done = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: enrollment!.id });
    expect(done.find((t) => t.nodeId === "s2")).toMatchObject({ outcome: "sent", exit: "next" });
    expect(done.map((t) => t.nodeId)).toContain("x");
  });

  it("quiet hours in the contact's zone defer marketing; transactional mail goes at once", async () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const t0 = now().getTime();
    const ws = await workspace(1, { quietHours: { start: hhmm(t0 - HOUR), end: hhmm(t0 + 2 * HOUR) } });
    const m = await template(ws, { subject: "Quiet marketing" });
    const t = await template(ws, { subject: "Loud receipt", class: "transactional", markup: "Receipt" });
    const flowId = await sendFlow(ws, [t, m], [ws.contacts[0]!.id]);
    expect(ofFlow(flowId).map((e) => e.subject)).toEqual(["Loud receipt"]);
    await advance(HOUR);
    expect(ofFlow(flowId)).toHaveLength(1);
    await advance(HOUR + 60_000);
    expect(ofFlow(flowId).map((e) => e.subject)).toEqual(["Loud receipt", "Quiet marketing"]);
  });
});

// Signs like Resend (svix / Standard Webhooks): base64 HMAC-SHA256 of `id.timestamp.body`.
const secretBytes = randomBytes(24);
const WEBHOOK_SECRET = `whsec_${secretBytes.toString("base64")}`;
function sign(body: string, opts: { id?: string; timestamp?: number } = {}) {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v1,${createHmac("sha256", secretBytes).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
  return { id, timestamp, signature };
}

describe("Resend webhooks and tracking", () => {
  let ws: SeededWorkspace;
  let sent: CapturedEmail[];
  const emitted: EmailFeedbackEvent[] = [];
  const emit = (events: EmailFeedbackEvent[]) => {
    emitted.push(...events);
    return Promise.resolve();
  };
  const hook = (payload: string, headers: { id: string; timestamp: string; signature: string }) =>
    handleResendWebhook(db.db, { payload, headers, secret: WEBHOOK_SECRET, emit });
  const event = (type: string, emailId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type, created_at: new Date(now().getTime()).toISOString(), data: { email_id: emailId, created_at: new Date().toISOString(), to: ["x@example.com"], ...extra } });

  beforeAll(async () => {
    ws = await workspace(3);
    const m = await template(ws, { subject: "Tracked" });
    const all = ofFlow(await sendFlow(ws, [m], ws.contacts.map((c) => c.id)));
    expect(all).toHaveLength(3);
    // In contact order, whatever order the runs went out in.
    sent = ws.contacts.map((c) => all.find((e) => e.to.includes(c.email))!);
  });

  it("stores a correctly signed event once, even when replayed", async () => {
    const body = event("email.delivered", sent[0]!.id);
    const headers = sign(body);
    expect((await hook(body, headers)).status).toBe(200);
    expect((await hook(body, headers)).body.message).toBe("already stored");
    const [msg] = await db.db.select().from(messages).where(eq(messages.providerMessageId, sent[0]!.id));
    const events = await messageEvents(db.db, { workspaceId: ws.workspace.id, messageId: msg!.id });
    expect(events.filter((e) => e.type === "delivered")).toHaveLength(1);
    expect(msg!.status).toBe("delivered");
  });

  it("answers 400 to a tampered body or a stale timestamp and stores nothing", async () => {
    const count = async () => (await db.db.select().from(emailEvents).where(eq(emailEvents.workspaceId, ws.workspace.id))).length;
    const before = await count();
    const body = event("email.complained", sent[1]!.id);
    const headers = sign(body);
    const tampered = await hook(body.replace("email.complained", "email.delivered"), headers);
    expect(tampered.status).toBe(400);
    const staleBody = event("email.complained", sent[1]!.id);
    const stale = await hook(staleBody, sign(staleBody, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.status).toBe(400);
    expect((await hook(body, { ...headers, signature: "v1,AAAA" })).status).toBe(400);
    expect((await hook("not json", sign("not json"))).status).toBe(400);
    expect((await handleResendWebhook(db.db, { payload: body, headers: { id: null, timestamp: null, signature: null }, secret: WEBHOOK_SECRET, emit })).status).toBe(400);
    expect(await count()).toBe(before);
    const [c] = await db.db.select().from(contacts).where(eq(contacts.id, ws.contacts[1]!.id));
    expect(c!.status).toBe("subscribed");
  });

  it("answers 400 naming the field to a signed event holding text Postgres cannot store, ignores unknown types, and stores nothing", async () => {
    const count = async () => (await db.db.select().from(emailEvents).where(eq(emailEvents.workspaceId, ws.workspace.id))).length;
    const before = await count();
    const nul = event("email.bounced", sent[0]!.id, { bounce: { type: "Permanent", subType: "General", message: "No such user\u0000" } });
    const r = await hook(nul, sign(nul));
    expect(r).toEqual({ status: 400, body: { ok: false, message: `data.bounce.message: ${UNSTORABLE_MESSAGE}` } });
    const half = event("email.delivered", `${sent[0]!.id}\ud800`);
    expect((await hook(half, sign(half))).body.message).toBe(`data.email_id: ${UNSTORABLE_MESSAGE}`);
    // An event type named like one of Object's own properties is just an unknown type.
    const proto = event("constructor", sent[0]!.id);
    expect(await hook(proto, sign(proto))).toEqual({ status: 200, body: { ok: true, message: "ignored: constructor" } });
    expect(await count()).toBe(before);
    expect((await suppressionsFor(db.db, { workspaceId: ws.workspace.id, emails: [ws.contacts[0]!.email] })).size).toBe(0);
  });

  it("a hard bounce and a complaint suppress the address, withdraw consent and set the contact's status", async () => {
    const bounce = event("email.bounced", sent[1]!.id, { bounce: { type: "Permanent", subType: "General", message: "No such user" } });
    expect((await hook(bounce, sign(bounce))).status).toBe(200);
    const complaint = event("email.complained", sent[2]!.id);
    expect((await hook(complaint, sign(complaint))).status).toBe(200);
    const [bounced, complained] = [ws.contacts[1]!, ws.contacts[2]!];
    const supp = await suppressionsFor(db.db, { workspaceId: ws.workspace.id, emails: [bounced.email, complained.email, ws.contacts[0]!.email] });
    expect(supp.get(bounced.email)).toBe("bounced");
    expect(supp.get(complained.email)).toBe("complained");
    expect(supp.has(ws.contacts[0]!.email)).toBe(false);
    const statuses = await db.db.select({ id: contacts.id, status: contacts.status }).from(contacts).where(eq(contacts.workspaceId, ws.workspace.id));
    expect(statuses.find((s) => s.id === bounced.id)!.status).toBe("bounced");
    expect(statuses.find((s) => s.id === complained.id)!.status).toBe("complained");
    const ledger = await db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, ws.workspace.id), eq(consentEvents.source, "webhook")));
    expect(ledger.map((l) => [l.contactId, l.kind]).sort()).toEqual([[bounced.id, "withdrawn"], [complained.id, "complaint"]].sort());
    expect(emitted.filter((e) => e.name === "email/bounced")).toHaveLength(1);
    expect(emitted.find((e) => e.name === "email/bounced")!.data).toMatchObject({ contactId: bounced.id, hard: true, machine: false });
    // A soft bounce is stored but suppresses no one.
    const soft = event("email.bounced", sent[0]!.id, { bounce: { type: "Transient", subType: "MailboxFull", message: "Full" } });
    await hook(soft, sign(soft));
    expect((await suppressionsFor(db.db, { workspaceId: ws.workspace.id, emails: [ws.contacts[0]!.email] })).size).toBe(0);
  });

  it("a scanner's click 2 s after delivery is machine; a later browser click is human and wakes flows", async () => {
    const mail = sent[0]!;
    const [msg] = await db.db.select().from(messages).where(eq(messages.providerMessageId, mail.id));
    const token = /href="http:\/\/localhost:3000\/r\/([^"]+)"/.exec(mail.html!)![1]!;
    const sentAt = msg!.sentAt!.getTime();
    emitted.length = 0;
    const scanner = await recordTrackingHit(
      db.db,
      { kind: "click", token, method: "GET", userAgent: "Mozilla/5.0 (compatible; Barracuda Sentinel)", ip: "52.1.2.3", now: new Date(sentAt + 2_000) },
      emit,
    );
    expect(scanner.url).toMatch(/^https:\/\/shop\.example\/sale\?utm_source=tillit&utm_medium=email&utm_campaign=spring-sale&utm_content=s1$/);
    // Same second, a real-looking agent: the burst right after delivery still gives it away.
    await recordTrackingHit(db.db, { kind: "click", token, method: "HEAD", userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/120", ip: "52.1.2.4", now: new Date(sentAt + 2_500) }, emit);
    const person = await recordTrackingHit(
      db.db,
      { kind: "click", token, method: "GET", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15", ip: "84.2.3.4", now: new Date(sentAt + 5 * 60_000) },
      emit,
    );
    expect(person.stored).toBe(true);
    const clicks = (await messageEvents(db.db, { workspaceId: ws.workspace.id, messageId: msg!.id })).filter((e) => e.type === "clicked");
    expect(clicks.map((c) => c.machine)).toEqual([true, true, false]);
    expect(clicks.every((c) => c.url === scanner.url)).toBe(true);
    expect(emitted.map((e) => e.name)).toEqual(["email/clicked"]);
    expect(emitted[0]!.data).toMatchObject({ contactId: ws.contacts[0]!.id, messageId: msg!.id, nodeId: "s1", machine: false, url: scanner.url });

    // Apple Mail Privacy Protection opens are machine; a forged token records nothing. (Tamper inside
    // the token: its last base64url character may carry only padding bits.)
    const pixel = /<img src="http:\/\/localhost:3000\/o\/([^"]+)"/.exec(mail.html!)![1]!;
    await recordTrackingHit(db.db, { kind: "open", token: pixel, method: "GET", userAgent: "Mozilla/5.0", ip: "17.58.1.1", now: new Date(sentAt + 60 * 60_000) }, emit);
    const forged = await recordTrackingHit(db.db, { kind: "click", token: `${token.slice(0, 10)}${token[10] === "A" ? "B" : "A"}${token.slice(11)}`, method: "GET", userAgent: "x", ip: null, now: now() }, emit);
    expect(forged).toEqual({ url: null, stored: false });
    const opens = (await messageEvents(db.db, { workspaceId: ws.workspace.id, messageId: msg!.id })).filter((e) => e.type === "opened");
    expect(opens.map((o) => [o.machine, (o.data as { machineReason?: string }).machineReason])).toEqual([[true, "apple-mail-privacy-protection"]]);
  });
});
