import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { createSegment } from "@/db/queries/segments";
import { contacts, emailEvents, messages } from "@/db/schema/index";
import { definitionSchema } from "@/lib/segments/definition";
import { createLiveFlow, createTemplate, grantConsent, graph } from "../fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "../fixtures/seed";
import { expect, test } from "../fixtures/test";

/**
 * The editor's dry run on real contacts (docs/flows.md#the-dry-run): the path follows what the
 * server reads about each one — segment membership, human opens (a machine open does not count),
 * consent — and the route that reads it answers members only, inside their workspace, and refuses
 * a malformed query with a 400 naming the parameter.
 */

const DAY = 86_400_000;
type Refusal = { error: { code: string; message: string; field?: string } };

/** A workspace of four contacts and a published flow branching on a segment, then on an opened mail. */
async function scenario(db: Db, ws: SeededWorkspace) {
  const w = ws.workspace.id;
  const [ada, bjorn, chidi] = ws.contacts;
  const [dana] = await db
    .insert(contacts)
    .values({ workspaceId: w, email: `dana-${ws.workspace.slug}@example.com`, firstName: "Dana", status: "subscribed", source: "manual" })
    .returning({ id: contacts.id, email: contacts.email });
  const people = { ada: ada!, bjorn: bjorn!, chidi: chidi!, dana: dana! };
  await grantConsent(db, w, Object.values(people));
  // Ada and Dana are on the Pro plan (the segment); Chidi unsubscribed.
  for (const c of [people.ada, people.dana]) await db.update(contacts).set({ attributes: { plan: "pro" } }).where(eq(contacts.id, c.id));
  await db.update(contacts).set({ status: "unsubscribed" }).where(eq(contacts.id, people.chidi.id));
  const segment = await createSegment(db, {
    workspaceId: w,
    name: "Pro plan",
    definition: definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } }] }),
    createdBy: null,
  });

  // A newsletter ten days ago: Ada opened it herself, Dana's copy only by a link scanner.
  const newsletter = await createTemplate(db, w, "March newsletter");
  for (const [c, machine] of [[people.ada, false], [people.dana, true]] as const) {
    const [m] = await db
      .insert(messages)
      .values({ workspaceId: w, contactId: c.id, templateId: newsletter, class: "marketing", toEmail: c.email, subject: "March", status: "sent", sentAt: new Date(Date.now() - 10 * DAY) })
      .returning({ id: messages.id });
    await db.insert(emailEvents).values({ workspaceId: w, messageId: m!.id, contactId: c.id, type: "opened", machine, occurredAt: new Date(Date.now() - 9 * DAY), dedupeKey: randomUUID() });
  }

  const vip = await createTemplate(db, w, "Pro reader offer");
  const nudge = await createTemplate(db, w, "Pro tips you missed");
  const intro = await createTemplate(db, w, "Meet the Pro plan");
  const { flowId } = await createLiveFlow(db, {
    workspaceId: w,
    name: "Pro upsell",
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["seg", "condition", { mode: "yes-no", match: "all", rules: [{ type: "segment", segmentId: segment.id, member: true }] }],
        ["opened", "condition", { mode: "yes-no", match: "all", rules: [{ type: "email", action: "opened", sendNodeId: null, templateId: null, withinMs: null }] }],
        ["vip", "send-email", { templateId: vip }],
        ["nudge", "send-email", { templateId: nudge }],
        ["intro", "send-email", { templateId: intro }],
        ["x", "exit"],
      ],
      [
        ["t", "next", "seg"],
        ["seg", "yes", "opened"],
        ["seg", "no", "intro"],
        ["opened", "yes", "vip"],
        ["opened", "no", "nudge"],
        ["vip", "next", "x"],
        ["nudge", "next", "x"],
        ["intro", "next", "x"],
      ],
    ),
  });
  return { people, segment, flowId, templates: { newsletter, vip, nudge, intro } };
}

async function dryRun(page: Page, contact: { email: string }, firstName: string, path: string[]) {
  const panel = page.getByTestId("dry-run");
  await panel.getByRole("combobox").first().selectOption({ label: `${firstName} <${contact.email}>` });
  await panel.getByRole("button", { name: "Run dry run" }).click();
  const timeline = panel.getByTestId("dry-run-timeline");
  await expect(timeline.locator("li > button")).toHaveText(path);
  return timeline;
}

test("a dry run on real contacts takes the branches their segment, opens and consent decide", async ({ db, workspace, memberPage }) => {
  test.setTimeout(120_000);
  const { people, flowId } = await scenario(db, workspace);
  // A viewer may run one: nothing is sent or written.
  const { page } = await memberPage("viewer");
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`/w/${workspace.workspace.slug}/flows/${flowId}`);
  await page.getByRole("tab", { name: "Dry run" }).click();

  // In the segment and opened the newsletter: the reader's offer.
  let timeline = await dryRun(page, people.ada, "Ada", ["t", "seg", "opened", "vip", "x"]);
  await expect(timeline.locator("li", { has: page.getByRole("button", { name: "vip", exact: true }) })).toHaveAttribute("data-outcome", "sent");
  await expect(timeline).toContainText("Would send “Pro reader offer”");

  // In neither: the introduction.
  timeline = await dryRun(page, people.bjorn, "Bjørn", ["t", "seg", "intro", "x"]);
  await expect(timeline.locator("li", { has: page.getByRole("button", { name: "intro", exact: true }) })).toHaveAttribute("data-outcome", "sent");

  // In the segment, but only a scanner opened her mail: that open does not count, as in the runner.
  await dryRun(page, people.dana, "Dana", ["t", "seg", "opened", "nudge", "x"]);

  // Unsubscribed: the send is skipped with the consent rules' reason, and the run goes on to the exit.
  timeline = await dryRun(page, people.chidi, "Chidi", ["t", "seg", "intro", "x"]);
  const skipped = timeline.locator("li", { has: page.getByRole("button", { name: "intro", exact: true }) });
  await expect(skipped).toHaveAttribute("data-outcome", "skipped");
  await expect(skipped).toContainText(/Not sent: \S+/);
  await expect(skipped).not.toContainText("Would send");

  // Nothing was sent or recorded for anyone.
  const sent = await db.select({ id: messages.id }).from(messages).where(eq(messages.workspaceId, workspace.workspace.id));
  expect(sent).toHaveLength(2);
});

test("the dry-run route answers members inside their workspace and names the parameter it refuses", async ({ db, workspace, memberPage, playwright, baseURL }) => {
  test.setTimeout(90_000);
  const ws = workspace.workspace;
  const { people, segment, flowId, templates } = await scenario(db, workspace);
  const other = await seedWorkspace(db, { contacts: 1 });
  const stranger = other.contacts[0]!;
  // Another workspace's segment of everyone and template: naming them reads nothing of theirs.
  const everyone = await createSegment(db, { workspaceId: other.workspace.id, name: "Everyone", definition: definitionSchema.parse({ type: "group", match: "all", children: [] }), createdBy: null });
  const foreignTemplate = await createTemplate(db, other.workspace.id, "Theirs");
  const { flowId: foreignFlow } = await createLiveFlow(db, { workspaceId: other.workspace.id, graph: graph([["t", "manual-enrol"], ["x", "exit"]], [["t", "next", "x"]]) });

  const { page } = await memberPage("viewer");
  const api = page.request;
  const headers = { accept: "application/json" };
  const route = (slug: string, flow: string, query: string) => `/w/${slug}/flows/${flow}/dry-run?${query}`;
  const mine = (query: string) => route(ws.slug, flowId, query);

  // A viewer reads a contact's facts: the segment, the human open, consent; foreign ids add nothing.
  const ok = await api.get(
    mine(`contact=${people.ada.id}&segment=${segment.id}&segment=${everyone.id}&template=${templates.vip}&template=${foreignTemplate}&event=Order%20Completed`),
    { headers },
  );
  expect(ok.status()).toBe(200);
  expect(ok.headers()["cache-control"]).toContain("no-store");
  const facts = (await ok.json()) as { contact: { id: string; email: string; segments: string[] }; emails: { action: string; templateId: string }[]; consent: { status: string }; templates: Record<string, unknown> };
  expect(facts.contact).toMatchObject({ id: people.ada.id, email: people.ada.email, segments: [segment.id] });
  expect(facts.emails).toEqual([expect.objectContaining({ action: "opened", templateId: templates.newsletter })]);
  expect(facts.consent.status).toBe("subscribed");
  expect(Object.keys(facts.templates)).toEqual([templates.vip]);
  // Dana's scanner open is left out.
  const dana = (await (await api.get(mine(`contact=${people.dana.id}&segment=${segment.id}`), { headers })).json()) as { emails: unknown[]; contact: { segments: string[] } };
  expect(dana).toMatchObject({ emails: [], contact: { segments: [segment.id] } });

  // Signed out: sent to sign-in without an answer; a session cookie that is no session: 404.
  const anonymous = await playwright.request.newContext({ baseURL });
  try {
    const r = await anonymous.get(mine(`contact=${people.ada.id}`), { headers, maxRedirects: 0 });
    expect(r.status()).toBeGreaterThanOrEqual(300);
    expect(r.status()).toBeLessThan(400);
    expect(r.headers()["location"]).toContain("/sign-in");
    expect(await r.text()).not.toContain(people.ada.email);
    const forged = await anonymous.get(mine(`contact=${people.ada.id}`), { headers: { ...headers, cookie: "authjs.session-token=not-a-session" }, maxRedirects: 0 });
    expect(forged.status()).toBe(404);
    expect(await forged.text()).not.toContain(people.ada.email);
  } finally {
    await anonymous.dispose();
  }

  // Someone else's contact or flow, or no such flow: 404, and nothing of theirs in the answer.
  const outside: [string, string][] = [
    ["another workspace's contact", mine(`contact=${stranger.id}`)],
    ["an unknown contact", mine(`contact=${randomUUID()}`)],
    ["another workspace's flow", route(ws.slug, foreignFlow, `contact=${people.ada.id}`)],
    ["another workspace's flow under its own slug", route(other.workspace.slug, foreignFlow, `contact=${stranger.id}`)],
    ["an unknown flow", route(ws.slug, randomUUID(), `contact=${people.ada.id}`)],
    ["a flow id that is no id", route(ws.slug, "not-a-flow", `contact=${people.ada.id}`)],
  ];
  for (const [what, url] of outside) {
    const r = await api.get(url, { headers });
    expect(r.status(), what).toBe(404);
    const text = await r.text();
    expect(text, what).not.toContain(stranger.email);
    expect(text, what).not.toContain(people.ada.email);
  }

  // A malformed query: 400 naming the parameter.
  const many = (name: string, value: (i: number) => string) => Array.from({ length: 101 }, (_, i) => `${name}=${encodeURIComponent(value(i))}`).join("&");
  const malformed: [string, string, string][] = [
    ["no contact", "", "contact"],
    ["a contact that is no id", "contact=42", "contact"],
    ["a contact id with a quote", `contact=${encodeURIComponent(`${people.ada.id}'--`)}`, "contact"],
    ["two contacts", `contact=${people.ada.id}&contact=${people.bjorn.id}`, "contact"],
    ["bytes that are not UTF-8", "contact=%FF%FE", "contact"],
    ["101 templates", `contact=${people.ada.id}&${many("template", () => randomUUID())}`, "template"],
    ["a template that is no id", `contact=${people.ada.id}&template=..%2F..%2Fetc`, "template"],
    ["101 event names", `contact=${people.ada.id}&${many("event", (i) => `Event ${i}`)}`, "event"],
    ["an empty event name", `contact=${people.ada.id}&event=`, "event"],
    ["an event name of 201 characters", `contact=${people.ada.id}&event=${"x".repeat(201)}`, "event"],
    ["an event name holding NUL", `contact=${people.ada.id}&event=Viewed%00`, "event"],
    ["101 segments", `contact=${people.ada.id}&${many("segment", () => randomUUID())}`, "segment"],
    ["a segment that is no id", `contact=${people.ada.id}&segment=everyone`, "segment"],
  ];
  for (const [what, query, field] of malformed) {
    const r = await api.get(mine(query), { headers });
    expect(r.status(), what).toBe(400);
    const body = (await r.json()) as Refusal;
    expect(body.error.field, what).toBe(field);
    expect(body.error.message, what).toMatch(new RegExp(`^${field}: `));
  }

  // Whatever else arrives, never a 5xx.
  const garbage = [
    mine(`contact=${people.ada.id}&template=&event=%C0%AF&segment=%E2%80%AE`),
    mine(`contact[]=${people.ada.id}&=&&&%zz=1`),
    mine(`contact=${"a".repeat(4000)}`),
    mine(`contact=${people.ada.id}&event=${encodeURIComponent("Ωmega 🚀 \u202e")}`),
    route("%E0%A4%A", flowId, `contact=${people.ada.id}`),
    route("UPPER-case", flowId, `contact=${people.ada.id}`),
    route(ws.slug, `${flowId}%00`, `contact=${people.ada.id}`),
  ];
  for (const url of garbage) {
    const r = await api.get(url, { headers });
    expect(r.status(), url).toBeGreaterThanOrEqual(200);
    expect(r.status(), url).toBeLessThan(500);
  }
  // The made-up event names above are read, not stored: nothing was recorded for Ada.
  const stored = await db.select({ id: messages.id }).from(messages).where(eq(messages.contactId, people.ada.id));
  expect(stored).toHaveLength(1);
});
