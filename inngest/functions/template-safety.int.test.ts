import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { messages, templates } from "@/db/schema/index";
import { webhookTestRoute } from "./webhook-test-route";

/**
 * Templates stored before Liquid lost its file system (or written straight into the database)
 * still name files: at send time each must fail on its node with the tag named, and neither a
 * mail nor a webhook may carry a byte of the file.
 */

let h: FlowHarness;
let called = 0;

beforeAll(async () => {
  // Every webhook host resolves to a public address no test reaches: a call would be counted.
  h = await startFlowHarness({
    webhookRoute: webhookTestRoute({ hosts: ["hooks.example.com"], address: "127.0.0.1", onResolve: () => called++ }),
  });
});
afterAll(() => h?.stop());

const LEAK = /"private":\s*true|"dependencies"|Permission-first marketing automation/;

describe("a flow whose stored templates name a file", () => {
  it("fails every send and the webhook on their nodes, naming the tag, and sends nothing", async () => {
    const { db, capture, app } = h;
    const ws = await seedWorkspace(db.db, { contacts: 1 });
    await grantConsent(db.db, ws.workspace.id, ws.contacts);
    const include = "{% include 'package.json' %}";
    const stored = [
      { part: "subject", subject: `Hi ${include}`, preheader: "", body: { markup: "Hi" } },
      { part: "preheader", subject: "Hi", preheader: "{% render 'package.json' %}", body: { markup: "Hi" } },
      { part: "markup", subject: "Hi", preheader: "", body: { markup: `# Hi\n\n${include}` } },
      { part: "html", subject: "Hi", preheader: "", body: { html: `<p>{% layout 'package.json' %}</p>` } },
      { part: "text", subject: "Hi", preheader: "", body: { text: `Hi {% liquid\ninclude 'package.json'\n%}` } },
    ];
    const rows = await db.db
      .insert(templates)
      .values(stored.map((t) => ({ workspaceId: ws.workspace.id, name: t.part, class: "marketing" as const, subject: t.subject, preheader: t.preheader, body: t.body })))
      .returning({ id: templates.id, name: templates.name });
    const idOf = (part: string) => rows.find((r) => r.name === part)!.id;
    const sends = stored.map((t, i) => [`s${i}`, "send-email", { templateId: idOf(t.part) }] as [string, string, Record<string, unknown>]);
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [["t", "manual-enrol"], ...sends, ["w", "webhook", { url: "https://hooks.example.com/in", body: `{"x": "${include}"}` }], ["x", "exit"]],
        [["t", "next", "s0"], ...sends.map(([id], i) => [id, "next", i + 1 < sends.length ? `s${i + 1}` : "w"] as [string, string, string]), ["w", "next", "x"]],
      ),
    });
    const contact = ws.contacts[0]!;
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [contact.id] } });
    await h.settle();

    const [enrollment] = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: contact.id });
    expect(enrollment!.status).not.toBe("active");
    const trace = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: enrollment!.id });
    const tags = ["include", "render", "include", "layout", "include"];
    sends.forEach(([id], i) => {
      const row = trace.find((t) => t.nodeId === id)!;
      expect(row, id).toMatchObject({ outcome: "failed", exit: "next" });
      expect(row.detail, id).toContain(`{% ${tags[i]} %}`);
      expect(row.detail, id).toMatch(/cannot read files/);
    });
    const hook = trace.find((t) => t.nodeId === "w")!;
    expect(hook).toMatchObject({ outcome: "failed", exit: "next" });
    expect(hook.detail).toContain("{% include %}");
    expect(called).toBe(0);

    const msgs = await db.db.select().from(messages).where(and(eq(messages.workspaceId, ws.workspace.id), eq(messages.flowId, flowId)));
    expect(msgs).toHaveLength(sends.length);
    for (const m of msgs) {
      expect(m.status).toBe("failed");
      expect(m.error).toMatch(/\{% (include|render|layout) %\} tag is not available/);
    }
    expect(capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId))).toHaveLength(0);
    for (const t of trace) expect(t.detail ?? "").not.toMatch(LEAK);
  });

  it("fails a message whose template runs past the send budget, with the reason on its node, and carries on", async () => {
    const { db, capture, app } = h;
    const ws = await seedWorkspace(db.db, { contacts: 1 });
    await grantConsent(db.db, ws.workspace.id, ws.contacts);
    const runaway = "{% for a in (1..4000) %}{% for b in (1..4000) %}{{ b }}{% endfor %}{% endfor %}";
    const [slow, fine] = await db.db
      .insert(templates)
      .values([
        { workspaceId: ws.workspace.id, name: "slow", class: "marketing" as const, subject: "Slow", body: { markup: runaway } },
        { workspaceId: ws.workspace.id, name: "fine", class: "marketing" as const, subject: "Fine {{ contact.first_name }}", body: { markup: "Hi" } },
      ])
      .returning({ id: templates.id });
    const { flowId } = await createLiveFlow(db.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [["t", "manual-enrol"], ["s1", "send-email", { templateId: slow!.id }], ["s2", "send-email", { templateId: fine!.id }], ["x", "exit"]],
        [["t", "next", "s1"], ["s1", "next", "s2"], ["s2", "next", "x"]],
      ),
    });
    const contact = ws.contacts[0]!;
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [contact.id] } });
    await h.settle();
    const [enrollment] = await listEnrollments(db.db, { workspaceId: ws.workspace.id, flowId, contactId: contact.id });
    const trace = await enrollmentTrace(db.db, { workspaceId: ws.workspace.id, enrollmentId: enrollment!.id });
    expect(trace.find((t) => t.nodeId === "s1")).toMatchObject({ outcome: "failed", exit: "next", detail: expect.stringMatching(/took longer than its \d+ ms budget to render and was stopped/) });
    expect(trace.find((t) => t.nodeId === "s2")).toMatchObject({ outcome: "sent" });
    const sent = capture.emails.filter((e) => e.tags.some((t) => t.name === "flow" && t.value === flowId));
    expect(sent.map((e) => e.subject)).toEqual([expect.stringMatching(/^Fine /)]);
  });
});
