import { and, eq, sql } from "drizzle-orm";
import { createApiKey } from "@/db/queries/api-keys";
import { listDevMail } from "@/db/queries/dev-mailbox";
import { enrollments, enrollmentSteps, flows, flowVersions, messages, templates } from "@/db/schema/index";
import { createLiveFlow, grantConsent, graph } from "../fixtures/flows";
import { expect, test } from "../fixtures/test";

/**
 * Templates are user-written code run on the server. Liquid must never read the server's files
 * (`{% include 'package.json' %}` printed the file), and a template that loops for seconds must
 * not hold up other requests: rendering runs in worker threads with a budget.
 */

const INCLUDE = "{% include 'package.json' %}";
// What package.json says; none of it may come back.
const LEAK = /"private":\s*true|"dependencies"|Permission-first marketing automation/;
// Nested loops that run far past any budget (16M iterations, each writing output).
const RUNAWAY = "{% for a in (1..4000) %}{% for b in (1..4000) %}{{ b }}{% endfor %}{% endfor %}";

test("a template naming package.json is refused at save, preview and test send, naming the tag; nothing is stored or sent", async ({ memberPage, workspace, db }) => {
  test.setTimeout(90_000);
  const { page, email } = await memberPage("editor");
  await page.goto(`/w/${workspace.workspace.slug}/templates/new`);
  const form = page.getByTestId("template-form");
  await form.getByLabel("Name").fill("Leaky");
  await form.getByLabel("Subject").fill("Hello {{ contact.first_name }}");
  await form.getByLabel("Body").fill(`# Hi\n\n${INCLUDE}`);

  // The live preview names the tag instead of showing the file.
  const previewAlert = page.getByRole("alert").filter({ hasText: "{% include %}" }).first();
  await expect(previewAlert).toContainText("cannot read files");

  // Test send: refused, and no mail leaves.
  await page.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByTestId("test-send").getByRole("alert")).toContainText("{% include %} tag is not available");
  expect(await listDevMail(db, { to: email })).toHaveLength(0);

  // Save: refused on the body, and nothing is stored.
  await form.getByRole("button", { name: "Create template" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "{% include %}" }).first()).toBeVisible();
  expect(await db.select().from(templates).where(eq(templates.workspaceId, workspace.workspace.id))).toHaveLength(0);
  expect(await page.content()).not.toMatch(LEAK);
});

test("the preview route refuses include, render and layout in every part for any member, and never returns the file", async ({ memberPage, workspace }) => {
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${workspace.workspace.slug}/templates`);
  const url = `/w/${workspace.workspace.slug}/templates/preview`;
  const draft = { workspace: workspace.workspace.slug, name: "x", class: "marketing", topic: "", preheader: "", subject: "Hi", markup: "Hello", contactId: workspace.contacts[0]!.id };
  const tries: [field: "subject" | "preheader" | "markup", tag: string, source: string][] = [
    ["subject", "include", `Hi ${INCLUDE}`],
    ["preheader", "render", "{% render 'package.json' %}"],
    ["markup", "layout", "{% layout 'package.json' %}"],
    ["markup", "include", "{% liquid\ninclude 'package.json'\n%}"],
  ];
  for (const [field, tag, source] of tries) {
    const res = await page.request.post(url, { multipart: { ...draft, [field]: source } });
    const text = await res.text();
    expect(text).not.toMatch(LEAK);
    const body = JSON.parse(text) as { ok: boolean; fieldErrors: Record<string, string> };
    expect(body.ok, `${field} ${source}`).toBe(false);
    expect(body.fieldErrors[field]).toContain(`{% ${tag} %}`);
  }
});

test("a stored template naming package.json fails its flow send with the tag on the node, and nothing is sent", async ({ request, workspace, db }) => {
  // The send waits its turn in the executor and the render pool behind the rest of the suite's
  // work; on a loaded 2-core machine that took over a minute.
  test.setTimeout(150_000);
  const ws = workspace.workspace;
  const contact = workspace.contacts[0]!;
  await grantConsent(db, ws.id, [contact]);
  // Written straight to the database, as a template saved before the tags were refused would be.
  const [t] = await db
    .insert(templates)
    .values({ workspaceId: ws.id, name: "Old leaky", class: "marketing", subject: "Hello", body: { markup: `# Hi\n\n${INCLUDE}` } })
    .returning({ id: templates.id });
  const { flowId } = await createLiveFlow(db, {
    workspaceId: ws.id,
    graph: graph([["t", "manual-enrol"], ["s", "send-email", { templateId: t!.id }], ["x", "exit"]], [["t", "next", "s"], ["s", "next", "x"]]),
  });
  const { key } = await createApiKey(db, { workspaceId: ws.id, name: "CRM", kind: "secret", createdBy: workspace.owner.id });
  const enrol = await request.post(`/api/v1/flows/${flowId}/enrollments`, { headers: { authorization: `Bearer ${key}` }, data: { contact_ids: [contact.id] } });
  expect(enrol.status()).toBeLessThan(300);

  // The run goes on in the executor: wait for the send step to be recorded.
  await expect
    .poll(async () => (await db.select().from(enrollmentSteps).where(and(eq(enrollmentSteps.workspaceId, ws.id), eq(enrollmentSteps.nodeId, "s"), eq(enrollmentSteps.flowId, flowId)))).map((s) => s.outcome), { timeout: 120_000 })
    .toContain("failed");
  const [step] = await db.select().from(enrollmentSteps).where(and(eq(enrollmentSteps.workspaceId, ws.id), eq(enrollmentSteps.nodeId, "s"), eq(enrollmentSteps.flowId, flowId)));
  expect(step!.detail).toContain("{% include %} tag is not available");
  const [msg] = await db.select().from(messages).where(and(eq(messages.workspaceId, ws.id), eq(messages.flowId, flowId)));
  expect(msg).toMatchObject({ status: "failed", error: expect.stringContaining("{% include %}") });
  expect(msg!.error).not.toMatch(LEAK);
  expect(await listDevMail(db, { to: contact.email })).toHaveLength(0);
  const [run] = await db.select().from(enrollments).where(and(eq(enrollments.workspaceId, ws.id), eq(enrollments.flowId, flowId)));
  await expect.poll(async () => (await db.select().from(enrollments).where(eq(enrollments.id, run!.id)))[0]!.status).not.toBe("active");
});

test("a flow whose webhook body names package.json is refused at publish, naming the node and the tag", async ({ memberPage, workspace, db }) => {
  const ws = workspace.workspace;
  const g = graph(
    [["t", "manual-enrol"], ["w", "webhook", { url: "https://hooks.example.com/in", body: `{"x": "${INCLUDE}"}` }], ["x", "exit"]],
    [["t", "next", "w"], ["w", "next", "x"]],
  );
  const [flow] = await db.insert(flows).values({ workspaceId: ws.id, name: "Leaky hook", draft: g }).returning({ id: flows.id });
  const { page } = await memberPage("editor");
  await page.goto(`/w/${ws.slug}/flows/${flow!.id}`);
  await page.getByRole("button", { name: /^Publish/ }).click();
  const dialog = page.getByTestId("publish-dialog");
  await dialog.getByRole("button", { name: "Publish now" }).click();
  await expect(dialog.getByRole("alert")).toContainText("w: body: the {% include %} tag is not available");
  expect(await db.select().from(flowVersions).where(eq(flowVersions.flowId, flow!.id))).toHaveLength(0);
});

test("while 4 over-budget previews run, /api/health answers before the first of them finishes, and each preview says it ran out of budget", async ({ memberPage, workspace, db }) => {
  test.setTimeout(120_000);
  const { page } = await memberPage("viewer");
  await page.goto(`/w/${workspace.workspace.slug}/templates`);
  const url = `/w/${workspace.workspace.slug}/templates/preview`;
  const draft = { workspace: workspace.workspace.slug, name: "x", class: "marketing", topic: "", preheader: "", subject: "Hi", markup: RUNAWAY, contactId: workspace.contacts[0]!.id };
  let previewsDone = 0;
  let previews: Promise<{ ok: boolean; message: string; fieldErrors?: Record<string, string> }>[] = [];
  // So that health is asked while the four render (not before they reach the renderer), each
  // preview is held at the contact's suppression check, the last query before it renders, until
  // all four wait there; committing lets them go at once.
  await db.transaction(async (tx) => {
    await tx.execute(sql`lock table suppressions in access exclusive mode`);
    previews = Array.from({ length: 4 }, async () => {
      const res = await page.request.post(url, { multipart: draft, timeout: 110_000 });
      previewsDone++;
      return (await res.json()) as { ok: boolean; message: string; fieldErrors?: Record<string, string> };
    });
    await expect
      .poll(async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from pg_locks where relation = 'suppressions'::regclass and not granted`))[0]!.n, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(4);
  });
  // Health, asked again each time it answers, through the same client as the previews, until the
  // first preview is done. A server whose request thread renders cannot answer until a render
  // ends, and then its previews' answers (already made) come out with, or before, the one health
  // check it had queued (seen: none answered first); here health keeps answering while they render.
  const answeredBeforeFirstPreview: number[] = [];
  while (previewsDone === 0) {
    const res = await page.request.get("/api/health");
    if (previewsDone === 0) answeredBeforeFirstPreview.push(res.status());
  }
  expect(answeredBeforeFirstPreview.length).toBeGreaterThanOrEqual(2);
  expect(new Set(answeredBeforeFirstPreview)).toEqual(new Set([200]));
  for (const a of await Promise.all(previews)) {
    expect(a.ok).toBe(false);
    expect(a.fieldErrors?.markup).toMatch(/took longer than its \d+ ms budget to render and was stopped/);
  }
});
