import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, createTemplate, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { claimMessage } from "@/db/queries/messages";
import { batchKey, freezeBatch, reservePaceSlot, takeBatch } from "@/db/queries/send-batches";
import { messages, sendBatches, workspaces } from "@/db/schema/index";
import { EmailSendError, type OutgoingEmail } from "@/lib/email/types";
import { resendTransport } from "./transport";
import { sendPaced } from "./batcher";

/**
 * Paced provider batches (docs/sending.md) through the flow runner and the real Resend SDK into a
 * capture server that enforces a request rate, as Resend does: a fan-out never meets a 429, a lost
 * answer never doubles a message, a batch refused as a whole still delivers its good messages.
 */

const RATE = 4;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(() => h?.stop());

async function workspace(n: number, requestsPerSecond: number): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(h.db.db, { contacts: n });
  await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
  await h.db.db.update(workspaces).set({ sendingPolicy: { pace: { requestsPerSecond } } }).where(eq(workspaces.id, ws.workspace.id));
  return ws;
}

async function fanOut(ws: SeededWorkspace, subject: string) {
  const templateId = await createTemplate(h.db.db, ws.workspace.id, subject);
  const { flowId } = await createLiveFlow(h.db.db, {
    workspaceId: ws.workspace.id,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["s1", "send-email", { templateId }],
        ["x", "exit"],
      ],
      [
        ["t", "next", "s1"],
        ["s1", "next", "x"],
      ],
    ),
  });
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: ws.contacts.map((c) => c.id) } });
  await h.settle();
  return flowId;
}

const ofFlow = (flowId: string) => h.capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));

/** Until every message of the workspace is sent: runs told to wait for the pace sleep on the virtual clock. */
async function untilSent(ws: SeededWorkspace, n: number) {
  for (let i = 0; i < 200; i++) {
    const rows = await h.db.db.select({ status: messages.status }).from(messages).where(eq(messages.workspaceId, ws.workspace.id));
    if (rows.length === n && rows.every((r) => r.status === "sent")) return;
    await h.advance(5_000);
  }
  throw new Error("messages still unsent after 200 advances");
}

describe("a fan-out at the workspace's pace", () => {
  it("sends 120 contacts in batches of several, at most its requests per second, with no 429 and no message twice", async () => {
    const ws = await workspace(120, RATE);
    const before = h.capture.requests.length;
    h.capture.limitRate(RATE);
    const flowId = await fanOut(ws, "Spring sale");
    await untilSent(ws, 120).finally(() => h.capture.limitRate(undefined));
    const requests = h.capture.requests.slice(before).filter((r) => r.path.startsWith("/emails"));
    expect(h.capture.rateLimited()).toBe(0);
    expect(requests.every((r) => r.path === "/emails/batch" && r.status === 200)).toBe(true);
    // Messages due together share a request (as many as the executor has steps in flight).
    expect(requests.length).toBeLessThan(100);
    expect(Math.max(...requests.map((r) => (r.body as unknown[]).length))).toBeGreaterThan(1);
    expect(requests.reduce((n, r) => n + (r.body as unknown[]).length, 0)).toBe(120);
    expect(new Set(requests.map((r) => r.headers["idempotency-key"])).size).toBe(requests.length);
    const sent = ofFlow(flowId);
    expect(sent).toHaveLength(120);
    expect(new Set(sent.map((e) => e.to[0])).size).toBe(120);
    // Every batch row is sent and has let go of its body; each message names its batch.
    const rows = await h.db.db.select().from(messages).where(eq(messages.workspaceId, ws.workspace.id));
    const batches = await h.db.db.select().from(sendBatches).where(eq(sendBatches.workspaceId, ws.workspace.id));
    expect(batches.every((b) => b.status === "sent" && b.body === null)).toBe(true);
    expect(new Set(rows.map((r) => r.batchId))).toEqual(new Set(batches.map((b) => b.id)));
    expect(new Set(requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set(batches.map((b) => batchKey(b.id))));
  }, 120_000);
});

describe("when the provider's answer is lost or it refuses a whole batch", () => {
  it("a batch taken but answered 500 goes again with the same key and bytes, and every contact gets one message", async () => {
    const ws = await workspace(3, 50);
    h.capture.failNext({ status: 500, afterAccept: true });
    const before = h.capture.requests.length;
    const flowId = await fanOut(ws, "Lost answer");
    await untilSent(ws, 3);
    const requests = h.capture.requests.slice(before).filter((r) => r.path === "/emails/batch");
    const first = requests[0]!;
    expect(first.status).toBe(500);
    const again = requests.filter((r) => r.headers["idempotency-key"] === first.headers["idempotency-key"]);
    expect(again.map((r) => r.status)).toEqual([500, 200]);
    expect(JSON.stringify(again[1]!.body)).toBe(JSON.stringify(first.body));
    const sent = ofFlow(flowId);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((e) => e.to[0])).size).toBe(3);
  });

  it("a batch refused as a whole is split: each message goes alone under its own key", async () => {
    const ws = await workspace(3, 50);
    h.capture.failNext({ status: 422, message: "Invalid `from` field" });
    const before = h.capture.requests.length;
    const flowId = await fanOut(ws, "Split");
    await untilSent(ws, 3);
    const requests = h.capture.requests.slice(before).filter((r) => r.path.startsWith("/emails"));
    expect(requests[0]).toMatchObject({ path: "/emails/batch", status: 422 });
    const rows = await h.db.db.select().from(messages).where(eq(messages.workspaceId, ws.workspace.id));
    const batches = new Map((await h.db.db.select().from(sendBatches).where(eq(sendBatches.workspaceId, ws.workspace.id))).map((b) => [b.id, b]));
    const split = rows.filter((r) => batches.get(r.batchId!)!.status === "split");
    expect(split.length).toBeGreaterThan(0);
    expect([...batches.values()].every((b) => b.body === null)).toBe(true);
    // The refused batch's members went alone, under their own keys; the rest in batches.
    const alone = requests.filter((r) => r.path === "/emails" && r.status === 200);
    expect(new Set(alone.map((r) => r.headers["idempotency-key"]))).toEqual(new Set(split.map((r) => r.idempotencyKey)));
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    expect(ofFlow(flowId)).toHaveLength(3);
  });
});

describe("the batch path, called directly", () => {
  const email = (to: string, subject: string): OutgoingEmail => ({ from: "news@acme.example", to: [to], subject, html: `<p>${subject}</p>`, text: subject, class: "marketing" });
  async function claimed(ws: SeededWorkspace, key: string, i: number) {
    return claimMessage(h.db.db, {
      workspaceId: ws.workspace.id,
      idempotencyKey: key,
      contactId: ws.contacts[i]!.id,
      templateId: null,
      flowId: null,
      enrollmentId: null,
      nodeId: null,
      class: "marketing",
      toEmail: ws.contacts[i]!.email,
      subject: "x",
      unsubscribeToken: null,
      consentEventId: null,
      permissionBasis: "consent",
    });
  }
  const transport = () => resendTransport({ apiKey: "re_test", baseUrl: h.capture.url });

  it("messages handed over together share one request", async () => {
    const ws = await workspace(5, 50);
    const before = h.capture.requests.length;
    const rows = await Promise.all(ws.contacts.map((_, i) => claimed(ws, `together-${i}`, i)));
    const sent = await Promise.all(
      rows.map((m, i) => sendPaced(h.db.db, transport(), { workspaceId: ws.workspace.id, messageId: m.id, batchId: null, email: email(ws.contacts[i]!.email, `Together ${i}`), messageKey: `together-${i}`, pace: { requestsPerSecond: 50 }, at: new Date() })),
    );
    const requests = h.capture.requests.slice(before);
    expect(requests).toHaveLength(1);
    expect((requests[0]!.body as { subject: string }[]).map((e) => e.subject)).toEqual(ws.contacts.map((_, i) => `Together ${i}`));
    expect(sent.map((s) => s.id)).toEqual(requests[0]!.ids);
  });

  it("a message frozen by an attempt that died before calling goes out in that batch, its bytes unchanged", async () => {
    const ws = await workspace(2, 50);
    const [a, b] = await Promise.all([claimed(ws, "frozen-a", 0), claimed(ws, "frozen-b", 1)]);
    const frozenBody = JSON.stringify([email(ws.contacts[0]!.email, "Frozen A"), email(ws.contacts[1]!.email, "Frozen B")]);
    const frozen = await freezeBatch(h.db.db, { workspaceId: ws.workspace.id, messageIds: [a!.id, b!.id], body: () => frozenBody });
    // The attempt that froze it died holding it: another caller waits, and is told so.
    const retry = { workspaceId: ws.workspace.id, messageId: b!.id, batchId: frozen!.batchId, email: email(ws.contacts[1]!.email, "Rendered again"), messageKey: "frozen-b", pace: { requestsPerSecond: 50 }, at: new Date() };
    await expect(sendPaced(h.db.db, transport(), retry)).rejects.toMatchObject({ code: "paced" });
    await h.db.db.update(sendBatches).set({ leaseUntil: null }).where(eq(sendBatches.id, frozen!.batchId));
    const before = h.capture.requests.length;
    const sent = await sendPaced(h.db.db, transport(), retry);
    const [request] = h.capture.requests.slice(before);
    expect(request!.headers["idempotency-key"]).toBe(batchKey(frozen!.batchId));
    // The frozen messages, not the retry's fresh rendering.
    expect((request!.body as { subject: string }[]).map((e) => e.subject)).toEqual(["Frozen A", "Frozen B"]);
    expect(sent.id).toBe(request!.ids[1]);
    // Its batch-mate is marked sent by the same request; its own retry reads that and sends nothing.
    const rows = await h.db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), inArray(messages.id, [a!.id, b!.id])));
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    const mate = await sendPaced(h.db.db, transport(), { ...retry, messageId: a!.id, messageKey: "frozen-a" });
    expect(mate.id).toBe(request!.ids[0]);
    expect(h.capture.requests.length).toBe(before + 1);
    expect(await takeBatch(h.db.db, { workspaceId: ws.workspace.id, batchId: frozen!.batchId })).toEqual({ status: "sent" });
  });

  it("freezing takes only members in no batch yet, in order, and never puts a message in two batches", async () => {
    const ws = await workspace(4, 50);
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map((i) => claimed(ws, `freeze-${i}`, i)));
    const body = (members: string[]) => JSON.stringify(members);
    const q = (ids: string[]) => ({ workspaceId: ws.workspace.id, messageIds: ids, body });
    // All free: all in, in the order given, with the body built for them.
    const first = await freezeBatch(h.db.db, q([b!.id, a!.id]));
    expect(first).toMatchObject({ members: [b!.id, a!.id], body: JSON.stringify([b!.id, a!.id]) });
    // Some taken: only the free ones, and the body is built for those alone.
    const second = await freezeBatch(h.db.db, q([a!.id, c!.id]));
    expect(second).toMatchObject({ members: [c!.id], body: JSON.stringify([c!.id]) });
    // None free: no batch.
    expect(await freezeBatch(h.db.db, q([b!.id, c!.id]))).toBeNull();
    // Racing freezes of the same message: exactly one gets it.
    const raced = await Promise.all(Array.from({ length: 6 }, () => freezeBatch(h.db.db, q([d!.id]))));
    expect(raced.filter((r) => r !== null)).toHaveLength(1);
    const rows = await h.db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), inArray(messages.id, [a!.id, b!.id, c!.id, d!.id])));
    const batchOf = new Map(rows.map((r) => [r.id, r.batchId]));
    expect([batchOf.get(a!.id), batchOf.get(b!.id), batchOf.get(c!.id), batchOf.get(d!.id)]).toEqual([first!.batchId, first!.batchId, second!.batchId, raced.find((r) => r)!.batchId]);
    const batches = await h.db.db.select().from(sendBatches).where(eq(sendBatches.workspaceId, ws.workspace.id));
    expect(batches).toHaveLength(3);
    expect(batches.find((x) => x.id === second!.batchId)!.messageIds).toEqual([c!.id]);
  });

  it("a message the provider could never take is refused before it joins a batch, naming the field", async () => {
    const ws = await workspace(1, 50);
    const [m] = await Promise.all([claimed(ws, "bad", 0)]);
    const bad = { ...email("not an address", "Bad"), to: ["not an address"] };
    const err = await sendPaced(h.db.db, transport(), { workspaceId: ws.workspace.id, messageId: m!.id, batchId: null, email: bad, messageKey: "bad", pace: { requestsPerSecond: 50 }, at: new Date() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailSendError);
    expect(err).toMatchObject({ code: "rejected", message: expect.stringMatching(/^Invalid email: to/) });
    const [row] = await h.db.db.select().from(messages).where(eq(messages.id, m!.id));
    expect(row!.batchId).toBeNull();
  });

  it("the pace hands out one slot per interval across callers, and says how long until one frees when booked ahead", async () => {
    const ws = await workspace(1, 50);
    const q = { workspaceId: ws.workspace.id, intervalMs: 1_000, aheadMs: 3_500 };
    const slots = [];
    for (let i = 0; i < 4; i++) slots.push(await reservePaceSlot(h.db.db, q));
    const waits = slots.map((s) => ("waitMs" in s ? s.waitMs : -1));
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThan(900);
    expect(waits[2]).toBeGreaterThan(1_900);
    expect(waits[3]).toBeGreaterThan(2_900);
    const full = await reservePaceSlot(h.db.db, q);
    expect(full).toMatchObject({ fullForMs: expect.any(Number) });
    expect("fullForMs" in full && full.fullForMs).toBeGreaterThan(0);
  });
});
