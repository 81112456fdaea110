import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph, publish } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { pinnedTemplate, templatesChangedSincePublish } from "@/db/queries/template-versions";
import { deleteTemplateRow, setTemplateArchived, updateTemplateRow } from "@/db/queries/templates";
import { contacts, flows, flowVersions, messages, templates } from "@/db/schema/index";
import { compile } from "@/lib/flows/compile";
import { canonicalJson } from "@/lib/flows/plan";

/**
 * A published flow version sends the template content it pinned: the runner end to end (local
 * executor on a virtual clock, real Resend SDK into the capture server) while the template is
 * edited, the flow published again, the template archived.
 */

const DAY = 86_400_000;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(() => h?.stop());

const mailTo = (email: string) => h.capture.emails.filter((e) => e.to.includes(email));

/** Enrolled, waiting a day, then sent the template. */
const dayThenSend = (templateId: string) =>
  graph(
    [["t", "manual-enrol"], ["d", "delay", { durationMs: DAY }], ["s", "send-email", { templateId }], ["x", "exit"]],
    [["t", "next", "d"], ["d", "next", "s"], ["s", "next", "x"]],
  );

describe("a published flow version pins the template content it sends", () => {
  it("a contact gets the content of the version it entered, whatever was edited or published since; an archived template keeps going out", async () => {
    const { db, app } = h;
    const ws = await seedWorkspace(db.db, { contacts: 4 });
    const w = ws.workspace.id;
    await grantConsent(db.db, w, ws.contacts);
    await db.db.update(contacts).set({ timeZone: "UTC" }).where(eq(contacts.workspaceId, w));
    const [tpl] = await db.db
      .insert(templates)
      .values({ workspaceId: w, name: "Spring", class: "marketing", subject: "Spring sale starts", body: { markup: "The first wording of the sale." } })
      .returning({ id: templates.id });
    const templateId = tpl!.id;
    const g = dayThenSend(templateId);
    const { flowId, versionId: v1 } = await createLiveFlow(db.db, { workspaceId: w, name: "Spring sale", graph: g });
    const [early, waiting, late, afterArchive] = ws.contacts;
    const enrol = async (c: { id: string }) => {
      await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: w, flowId, contactIds: [c.id] } });
      await h.settle();
    };

    await enrol(early!);
    // Edited while the contact waits: the draft does not reach the running version.
    await updateTemplateRow(db.db, {
      workspaceId: w,
      templateId,
      name: "Spring",
      class: "marketing",
      topic: null,
      subject: "Spring sale, edited",
      preheader: "",
      body: { markup: "The edited wording of the sale." },
      at: new Date(),
    });
    expect(await templatesChangedSincePublish(db.db, { workspaceId: w, flowId })).toEqual([templateId]);
    await h.advance(DAY + 60_000);
    const [first] = mailTo(early!.email);
    expect(first!.subject).toBe("Spring sale starts");
    expect(first!.html).toContain("The first wording of the sale.");
    expect(first!.html).not.toContain("edited wording");
    const pinV1 = (await pinnedTemplate(db.db, { workspaceId: w, flowVersionId: v1, templateId }))!;
    const [row] = await db.db.select().from(messages).where(and(eq(messages.workspaceId, w), eq(messages.providerMessageId, first!.id)));
    expect(row).toMatchObject({ templateId, templateVersionId: pinV1.versionId, subject: "Spring sale starts" });

    // One contact waits in v1; publishing v2 pins the edit, and a new contact gets it.
    await enrol(waiting!);
    const { versionId: v2 } = await publish(db.db, { workspaceId: w, flowId, graph: g });
    expect(await templatesChangedSincePublish(db.db, { workspaceId: w, flowId })).toEqual([]);
    await enrol(late!);
    await h.advance(DAY + 60_000);
    expect(mailTo(waiting!.email).map((e) => e.subject)).toEqual(["Spring sale starts"]);
    expect(mailTo(waiting!.email)[0]!.html).toContain("The first wording of the sale.");
    expect(mailTo(late!.email).map((e) => e.subject)).toEqual(["Spring sale, edited"]);
    expect(mailTo(late!.email)[0]!.html).toContain("The edited wording of the sale.");
    const pinV2 = (await pinnedTemplate(db.db, { workspaceId: w, flowVersionId: v2, templateId }))!;
    expect(pinV2.versionId).not.toBe(pinV1.versionId);
    const versionsSent = await db.db
      .select({ email: messages.toEmail, version: messages.templateVersionId })
      .from(messages)
      .where(and(eq(messages.workspaceId, w), eq(messages.flowId, flowId)));
    expect(Object.fromEntries(versionsSent.map((m) => [m.email, m.version]))).toEqual({
      [early!.email]: pinV1.versionId,
      [waiting!.email]: pinV1.versionId,
      [late!.email]: pinV2.versionId,
    });

    // Archived: out of the pickers, not deletable while pinned, and the running flow still sends it.
    await setTemplateArchived(db.db, { workspaceId: w, templateId, archived: true, at: new Date() });
    expect(await deleteTemplateRow(db.db, { workspaceId: w, templateId })).toEqual({ usedBy: ["Spring sale"] });
    await enrol(afterArchive!);
    await h.advance(DAY + 60_000);
    expect(mailTo(afterArchive!.email).map((e) => e.subject)).toEqual(["Spring sale, edited"]);
  });

  it("a version without pins (the template it named is gone) skips the send, saying so, instead of sending unpinned content", async () => {
    const { db, app } = h;
    const ws = await seedWorkspace(db.db, { contacts: 1 });
    const w = ws.workspace.id;
    await grantConsent(db.db, w, ws.contacts);
    const [tpl] = await db.db.insert(templates).values({ workspaceId: w, name: "Loose", subject: "Unpinned", body: { markup: "Never sent" } }).returning({ id: templates.id });
    const g = graph([["t", "manual-enrol"], ["s", "send-email", { templateId: tpl!.id }], ["x", "exit"]], [["t", "next", "s"], ["s", "next", "x"]]);
    const compiled = compile(g);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    // A version as one published before pins existed, whose template the migration could not pin.
    const [flow] = await db.db.insert(flows).values({ workspaceId: w, name: "Old", draft: g, status: "live" }).returning({ id: flows.id });
    const [version] = await db.db
      .insert(flowVersions)
      .values({ workspaceId: w, flowId: flow!.id, number: 1, hash: "old", plan: JSON.parse(canonicalJson(compiled.plan)) as unknown, graph: g })
      .returning({ id: flowVersions.id });
    await db.db.update(flows).set({ currentVersionId: version!.id }).where(eq(flows.id, flow!.id));
    await app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: w, flowId: flow!.id, contactIds: [ws.contacts[0]!.id] } });
    await h.settle();
    const [enrollment] = await listEnrollments(db.db, { workspaceId: w, flowId: flow!.id });
    const trace = await enrollmentTrace(db.db, { workspaceId: w, enrollmentId: enrollment!.id });
    expect(trace.find((s) => s.nodeId === "s")).toMatchObject({ outcome: "skipped", detail: `Not sent: template ${tpl!.id} is not pinned by this flow version: publish the flow again` });
    expect(mailTo(ws.contacts[0]!.email)).toEqual([]);
  });
});
