import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph, type E, type N } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { contacts, messages, templates, workspaces } from "@/db/schema/index";
import { now } from "@/lib/clock";

/**
 * A send node's "send within" limit on the real runner (local executor on a virtual clock, mail into
 * the capture server): a message the frequency cap holds past the limit is skipped with the reason
 * and the run goes on; one the cap holds within it is sent when the slot comes.
 */

const HOUR = 3_600_000;
let h: FlowHarness;

// Few steps per run, so a send's waiting loop goes on in a new run (continue-as-new) within a test.
const MAX_STEPS = 14;

beforeAll(async () => {
  h = await startFlowHarness({ maxStepsPerRun: MAX_STEPS });
});
afterAll(() => h?.stop());

async function workspace(policy: Record<string, unknown>): Promise<SeededWorkspace> {
  const ws = await seedWorkspace(h.db.db, { contacts: 1 });
  await grantConsent(h.db.db, ws.workspace.id, ws.contacts);
  await h.db.db.update(workspaces).set({ sendingPolicy: policy }).where(eq(workspaces.id, ws.workspace.id));
  await h.db.db.update(contacts).set({ timeZone: "UTC" }).where(eq(contacts.workspaceId, ws.workspace.id));
  return ws;
}

async function template(ws: SeededWorkspace, subject: string) {
  const [t] = await h.db.db
    .insert(templates)
    .values({ workspaceId: ws.workspace.id, name: subject, class: "marketing", subject, preheader: "", body: { markup: "Hi {{ contact.first_name }}" } })
    .returning({ id: templates.id });
  return t!.id;
}

/** t → s1 (first) → s2 (second, with the limit) → x; enrols the workspace's contact. */
async function twoSends(ws: SeededWorkspace, sendWithinHours: number | null, firstWithinHours: number | null = null) {
  const nodes: N[] = [
    ["t", "manual-enrol"],
    ["s1", "send-email", { templateId: await template(ws, "Cart saved"), sendWithinHours: firstWithinHours }],
    ["s2", "send-email", { templateId: await template(ws, "Cart reminder"), sendWithinHours }],
    ["x", "exit", { reason: "done" }],
  ];
  const edges: E[] = [
    ["t", "next", "s1"],
    ["s1", "next", "s2"],
    ["s2", "next", "x"],
  ];
  const { flowId } = await createLiveFlow(h.db.db, { workspaceId: ws.workspace.id, graph: graph(nodes, edges) });
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [ws.contacts[0]!.id] } });
  await h.settle();
  const [e] = await listEnrollments(h.db.db, { workspaceId: ws.workspace.id, flowId, contactId: ws.contacts[0]!.id });
  return { flowId, enrollmentId: e!.id };
}

/** t → s1 (with the limit) → x, not yet entered. */
async function oneSend(ws: SeededWorkspace, subject: string, sendWithinHours: number) {
  const nodes: N[] = [
    ["t", "manual-enrol"],
    ["s1", "send-email", { templateId: await template(ws, subject), sendWithinHours }],
    ["x", "exit", { reason: "done" }],
  ];
  const edges: E[] = [
    ["t", "next", "s1"],
    ["s1", "next", "x"],
  ];
  return (await createLiveFlow(h.db.db, { workspaceId: ws.workspace.id, graph: graph(nodes, edges) })).flowId;
}

const subjectsTo = (ws: SeededWorkspace) => h.capture.emails.filter((m) => m.to.includes(ws.contacts[0]!.email)).map((m) => m.subject);
const trace = (ws: SeededWorkspace, enrollmentId: string) => enrollmentTrace(h.db.db, { workspaceId: ws.workspace.id, enrollmentId });

describe("send within", () => {
  it("a message the frequency cap holds past its limit is skipped with the reason, and the run goes on", async () => {
    const ws = await workspace({ frequencyCap: { max: 1, windowHours: 24 } });
    const { enrollmentId } = await twoSends(ws, 12);
    const steps = await trace(ws, enrollmentId);
    expect(steps.map((s) => `${s.nodeId}:${s.outcome}`)).toEqual(["t:enrolled", "s1:sent", "s2:skipped", "x:exit"]);
    expect(steps.find((s) => s.nodeId === "s2")).toMatchObject({ exit: "next", detail: "Not sent: the frequency cap held it past its 12-hour send-within limit" });
    await h.advance(25 * HOUR);
    expect(subjectsTo(ws)).toEqual(["Cart saved"]);
    expect(await h.db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.nodeId, "s2")))).toEqual([]);
  });

  it("a message the cap holds within its limit waits and is sent when the slot comes", async () => {
    const ws = await workspace({ frequencyCap: { max: 1, windowHours: 24 } });
    const { enrollmentId } = await twoSends(ws, 48);
    expect((await trace(ws, enrollmentId)).find((s) => s.nodeId === "s2")).toMatchObject({ outcome: "waiting" });
    await h.advance(25 * HOUR);
    expect(subjectsTo(ws)).toEqual(["Cart saved", "Cart reminder"]);
    const steps = await trace(ws, enrollmentId);
    expect(steps.map((s) => `${s.nodeId}:${s.outcome}`)).toEqual(["t:enrolled", "s1:sent", "s2:sent", "x:exit"]);
  });

  it("quiet hours that outlast a 1-hour limit skip the message, naming quiet hours; the next send waits them out", async () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const t0 = now().getTime();
    const ws = await workspace({ quietHours: { start: hhmm(t0 - HOUR), end: hhmm(t0 + 3 * HOUR) } });
    const { enrollmentId } = await twoSends(ws, null, 1);
    const steps = await trace(ws, enrollmentId);
    expect(steps.find((s) => s.nodeId === "s1")).toMatchObject({ outcome: "skipped", exit: "next", detail: "Not sent: quiet hours held it past its 1-hour send-within limit" });
    expect(steps.find((s) => s.nodeId === "s2")).toMatchObject({ outcome: "waiting" });
    await h.advance(4 * HOUR);
    expect(subjectsTo(ws)).toEqual(["Cart reminder"]);
  });
});

describe("send within and the mail provider", () => {
  it("waiting out the provider is not cut by the limit: the message goes out once the provider answers", async () => {
    const ws = await workspace({});
    const flowId = await oneSend(ws, "Late but sent", 1);
    // 30 s doubling: eight failures are some two hours of waiting, past the 1-hour limit.
    h.capture.failNext({ status: 503 }, 8);
    await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [ws.contacts[0]!.id] } });
    await h.settle();
    for (let i = 0; i < 12 && subjectsTo(ws).length === 0; i++) await h.advance(HOUR);
    expect(subjectsTo(ws)).toEqual(["Late but sent"]);
    const [e] = await listEnrollments(h.db.db, { workspaceId: ws.workspace.id, flowId, contactId: ws.contacts[0]!.id });
    const s1 = (await trace(ws, e!.id)).find((s) => s.nodeId === "s1")!;
    expect(s1.outcome).toBe("sent");
    expect(s1.finishedAt!.getTime() - s1.at.getTime()).toBeGreaterThan(HOUR);
  });
});

describe("send within across continue-as-new", () => {
  it("the limit still runs from the first try after the send's waiting went on in a new run", async () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const t0 = now().getTime();
    // Quiet from about 20 minutes in until about 62 minutes in: past the 1-hour limit measured
    // from the first try, within it if it were measured from the new run's first try (7.5 min in).
    const ws = await workspace({ quietHours: { start: hhmm(t0 + 20 * 60_000), end: hhmm(t0 + 63 * 60_000) } });
    const flowId = await oneSend(ws, "Flash sale", 1);
    // Tries at 0, 30 s, 90 s, 210 s, 450 s (the new run's first) and 930 s fail; the next, at
    // 1890 s, falls in quiet hours, whose end is past the limit.
    const before = h.capture.requests.length;
    h.capture.failNext({ status: 503 }, 6);
    await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [ws.contacts[0]!.id] } });
    await h.settle();
    // A minute at a time, so each try runs at its own time.
    for (let i = 0; i < 120; i++) await h.advance(60_000);
    const [e] = await listEnrollments(h.db.db, { workspaceId: ws.workspace.id, flowId, contactId: ws.contacts[0]!.id });
    const s1 = (await trace(ws, e!.id)).find((s) => s.nodeId === "s1")!;
    expect(s1).toMatchObject({ outcome: "skipped", exit: "next", detail: "Not sent: quiet hours held it past its 1-hour send-within limit" });
    expect(subjectsTo(ws)).toEqual([]);
    expect(h.capture.requests.slice(before).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503]);
  });
});
