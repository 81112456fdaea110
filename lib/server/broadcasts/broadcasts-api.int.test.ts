import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELETE as deleteOne, GET as getOne, PATCH as patchOne } from "@/app/api/v1/broadcasts/[broadcastId]/route";
import { POST as cancel } from "@/app/api/v1/broadcasts/[broadcastId]/cancel/route";
import { POST as pause } from "@/app/api/v1/broadcasts/[broadcastId]/pause/route";
import { POST as resume } from "@/app/api/v1/broadcasts/[broadcastId]/resume/route";
import { POST as schedule } from "@/app/api/v1/broadcasts/[broadcastId]/schedule/route";
import { GET as list, POST as create } from "@/app/api/v1/broadcasts/route";
import { replaceDb, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { createSegment } from "@/db/queries/segments";
import { deleteTemplateRow } from "@/db/queries/templates";
import { appOutbox, auditLog, broadcasts, templates, templateVersions, topics } from "@/db/schema/index";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";

/**
 * The broadcast API as Next calls it, against a real database: drafts, the transitions and the
 * refusals (garbage, other workspaces' ids, illegal moves, replays), with what each leaves in the
 * audit log and the outbox.
 */

let t: TestDatabase;
let previous: DbHandle | undefined;
type Side = { ws: SeededWorkspace; key: string; templateId: string; segmentId: string; topicId: string };
let a: Side;
let b: Side;

async function side(): Promise<Side> {
  const ws = await seedWorkspace(t.db, { contacts: 2 });
  const key = (await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Server", kind: "secret", createdBy: ws.owner.id })).key;
  const [tpl] = await t.db
    .insert(templates)
    .values({ workspaceId: ws.workspace.id, name: "News", class: "marketing", subject: "News for {{ contact.first_name }}", body: { markup: "Version one" } })
    .returning({ id: templates.id });
  const seg = await createSegment(t.db, { workspaceId: ws.workspace.id, name: "All", definition: { type: "group", match: "all", children: [] }, createdBy: null });
  const [topic] = await t.db.insert(topics).values({ workspaceId: ws.workspace.id, key: "news", name: "News" }).returning({ id: topics.id });
  return { ws, key, templateId: tpl!.id, segmentId: seg.id, topicId: topic!.id };
}

beforeAll(async () => {
  t = await freshDatabase();
  previous = replaceDb(t);
  a = await side();
  b = await side();
});
afterAll(async () => {
  replaceDb(previous);
  await t.destroy();
});

type Call = (req: Request, route: { params: Promise<{ broadcastId: string }> }) => Promise<Response>;
const url = (path: string) => `http://localhost/api/v1/broadcasts${path}`;
const req = (s: Side, method: string, path: string, body?: unknown) =>
  new Request(url(path), {
    method,
    headers: { authorization: `Bearer ${s.key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
const at = (fn: Call, s: Side, method: string, id: string, sub = "", body?: unknown) => fn(req(s, method, `/${id}${sub}`, body), { params: Promise.resolve({ broadcastId: id }) });
const post = (s: Side, body: unknown) => create(req(s, "POST", "", body), { params: Promise.resolve({}) });
type Err = { error: { code: string; message: string; field?: string } };
type One = { data: { id: string; status: string; template_version_id: string | null; scheduled_at: string | null; progress: unknown } };

async function draft(s: Side, extra: Record<string, unknown> = {}) {
  const r = await post(s, { name: "May news", template_id: s.templateId, audience: { segment_ids: [s.segmentId] }, ...extra });
  expect(r.status).toBe(201);
  return ((await r.json()) as One).data.id;
}

async function expectError(r: Response, status: number, field?: string, message?: RegExp) {
  const body = (await r.json()) as Err;
  expect(r.status, JSON.stringify(body)).toBe(status);
  if (field !== undefined) expect(body.error.field).toBe(field);
  if (message) expect(body.error.message).toMatch(message);
}

const audit = async (id: string) => (await t.db.select().from(auditLog).where(and(eq(auditLog.targetType, "broadcast"), eq(auditLog.targetId, id)))).map((e) => e.action).sort();
const outbox = async (id: string) => (await t.db.select().from(appOutbox).where(like(appOutbox.eventId, `broadcast:${id}:%`))).map((e) => e.eventId).sort();

describe("broadcast drafts over the REST API", () => {
  it("creates, reads, lists, changes and deletes a draft, each change in the audit log", async () => {
    const r = await post(a, { name: "  Spring sale ", template_id: a.templateId, subject: "Hi {{ contact.first_name }}", audience: { everyone: true }, bypass_caps: true });
    expect(r.status).toBe(201);
    const made = ((await r.json()) as { data: Record<string, unknown> }).data;
    expect(made).toMatchObject({ name: "Spring sale", status: "draft", template_id: a.templateId, subject: "Hi {{ contact.first_name }}", preheader: null, bypass_caps: true, progress: null });
    expect(made.audience).toEqual({ everyone: true, segment_ids: [], topic_ids: [], exclude_segment_ids: [] });
    const id = made.id as string;

    const listed = (await (await list(req(a, "GET", ""), { params: Promise.resolve({}) })).json()) as { data: { id: string }[] };
    expect(listed.data.map((x) => x.id)).toContain(id);
    // Only the fields given change.
    const patched = await at(patchOne, a, "PATCH", id, "", { preheader: "Two days only", audience: { topic_ids: [a.topicId] } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { data: Record<string, unknown> }).data).toMatchObject({ subject: "Hi {{ contact.first_name }}", preheader: "Two days only", audience: { everyone: false, topic_ids: [a.topicId] } });
    expect((await at(getOne, a, "GET", id)).status).toBe(200);
    expect((await at(deleteOne, a, "DELETE", id)).status).toBe(204);
    expect((await at(getOne, a, "GET", id)).status).toBe(404);
    expect(await audit(id)).toEqual(["broadcast.created", "broadcast.deleted", "broadcast.updated"]);
  });

  it("refuses garbage with a 4xx naming the field, and writes nothing", async () => {
    const before = await t.db.select().from(broadcasts).where(eq(broadcasts.workspaceId, a.ws.workspace.id));
    await expectError(await post(a, {}), 400, "name");
    await expectError(await post(a, { name: "" }), 400, "name", /required/);
    await expectError(await post(a, { name: "x".repeat(201) }), 400, "name");
    await expectError(await post(a, { name: "Nul\u0000name" }), 400, "name");
    await expectError(await post(a, { name: "ok", subject: "Hi\u0000" }), 400, "subject");
    await expectError(await post(a, { name: "ok", template_id: "not-an-id" }), 400, "template_id");
    await expectError(await post(a, { name: "ok", template_id: "00000000-0000-4000-8000-000000000000" }), 400, "template_id", /not one of this workspace's/);
    await expectError(await post(a, { name: "ok", templateId: a.templateId }), 400, undefined, /Unrecognized key/);
    await expectError(await post(a, { name: "ok", audience: {} }), 400, "audience.segment_ids", /choose everyone/);
    await expectError(await post(a, { name: "ok", audience: { segment_ids: ["x"] } }), 400, "audience.segment_ids.0");
    await expectError(await post(a, { name: "ok", audience: { segment_ids: Array.from({ length: 51 }, () => a.segmentId) } }), 400, "audience.segment_ids", /at most 50/);
    await expectError(await post(a, { name: "ok", subject: "{{ contact.first_name" }), 400, "subject");
    await expectError(await post(a, { name: "ok", preheader: "{% include 'package.json' %}" }), 400, "preheader", /cannot read files/);
    await expectError(await post(a, { name: "ok", from_email: "not mail" }), 400, "from_email");
    await expectError(await post(a, { name: "ok", utm: { campaign: "spaces are not allowed" } }), 400, "utm.campaign");
    await expectError(await post(a, { name: "ok", bypass_caps: "yes" }), 400, "bypass_caps");
    await expectError(await post(a, "{not json"), 400, undefined, /not valid JSON/);
    await expectError(await post(a, `{"name":"deep","utm":${"[".repeat(5000)}${"]".repeat(5000)}}`), 400, "utm");
    await expectError(await create(new Request(url(""), { method: "POST", body: "{}" }), { params: Promise.resolve({}) }), 401);
    const after = await t.db.select().from(broadcasts).where(eq(broadcasts.workspaceId, a.ws.workspace.id));
    expect(after.length).toBe(before.length);
  });

  it("refuses another workspace's template, segment and topic ids by field", async () => {
    await expectError(await post(a, { name: "x", template_id: b.templateId }), 400, "template_id", /not one of this workspace's/);
    await expectError(await post(a, { name: "x", audience: { segment_ids: [a.segmentId, b.segmentId] } }), 400, "audience.segment_ids.1");
    await expectError(await post(a, { name: "x", audience: { everyone: true, exclude_segment_ids: [b.segmentId] } }), 400, "audience.exclude_segment_ids.0");
    await expectError(await post(a, { name: "x", audience: { topic_ids: [b.topicId] } }), 400, "audience.topic_ids.0");
    await t.db.update(templates).set({ archivedAt: new Date() }).where(eq(templates.id, b.templateId));
    await expectError(await post(b, { name: "x", template_id: b.templateId }), 400, "template_id", /archived/);
    await t.db.update(templates).set({ archivedAt: null }).where(eq(templates.id, b.templateId));
  });

  it("answers 404 to a malformed id and to another workspace's broadcast on every route, and changes nothing", async () => {
    const theirs = await draft(b);
    for (const id of ["nope", "00000000-0000-4000-8000-000000000000", theirs]) {
      await expectError(await at(getOne, a, "GET", id), 404);
      await expectError(await at(patchOne, a, "PATCH", id, "", { name: "Taken" }), 404);
      await expectError(await at(deleteOne, a, "DELETE", id), 404);
      await expectError(await at(schedule, a, "POST", id, "/schedule"), 404);
      for (const move of [cancel, pause, resume]) await expectError(await at(move, a, "POST", id, "/x"), 404);
    }
    const [row] = await t.db.select().from(broadcasts).where(eq(broadcasts.id, theirs));
    expect(row).toMatchObject({ name: "May news", status: "draft" });
    expect(await audit(theirs)).toEqual(["broadcast.created"]);
  });
});

describe("broadcast transitions over the REST API", () => {
  it("schedule needs a template and an audience, and a time in the future", async () => {
    const bare = ((await (await post(a, { name: "Bare" })).json()) as One).data.id;
    await expectError(await at(schedule, a, "POST", bare, "/schedule"), 400, "template_id", /choose a template/);
    await at(patchOne, a, "PATCH", bare, "", { template_id: a.templateId });
    await expectError(await at(schedule, a, "POST", bare, "/schedule", {}), 400, "audience", /choose the audience/);
    await at(patchOne, a, "PATCH", bare, "", { audience: { everyone: true } });
    await expectError(await at(schedule, a, "POST", bare, "/schedule", { send_at: "2001-01-01T00:00:00Z" }), 400, "send_at", /in the past/);
    await expectError(await at(schedule, a, "POST", bare, "/schedule", { send_at: "tomorrow" }), 400, "send_at");
    await expectError(await at(schedule, a, "POST", bare, "/schedule", { send_at: "2030-01-01T00:00:00Z", extra: 1 }), 400);
    const [row] = await t.db.select().from(broadcasts).where(eq(broadcasts.id, bare));
    expect(row!.status).toBe("draft");
    expect(await outbox(bare)).toEqual([]);
  });

  it("schedules once: pins the template as it is then, writes the send event, and refuses edits, deletes and replays", async () => {
    const id = await draft(a);
    const when = new Date(Date.now() + 3_600_000).toISOString();
    const r = await at(schedule, a, "POST", id, "/schedule", { send_at: when });
    expect(r.status).toBe(200);
    const scheduled = ((await r.json()) as One).data;
    expect(scheduled).toMatchObject({ status: "scheduled", scheduled_at: when });
    expect(scheduled.template_version_id).toBeTruthy();
    expect(await outbox(id)).toEqual([`broadcast:${id}:send:0`]);

    // Editing the template afterwards changes nothing this broadcast sends.
    await t.db.update(templates).set({ body: { markup: "Version two" }, subject: "Changed" }).where(eq(templates.id, a.templateId));
    const [pinned] = await t.db.select().from(templateVersions).where(eq(templateVersions.id, scheduled.template_version_id!));
    expect(pinned).toMatchObject({ subject: "News for {{ contact.first_name }}", body: { markup: "Version one" } });

    await expectError(await at(patchOne, a, "PATCH", id, "", { name: "Late edit" }), 409, "status", /only a draft can be edited/);
    await expectError(await at(deleteOne, a, "DELETE", id), 409, "status", /cancel it instead/);
    await expectError(await at(schedule, a, "POST", id, "/schedule"), 409, "status", /scheduled broadcast cannot be scheduled/);
    await expectError(await at(pause, a, "POST", id, "/pause"), 409, "status", /only a sending one can/);
    await expectError(await at(resume, a, "POST", id, "/resume"), 409, "status");
    expect(await outbox(id)).toEqual([`broadcast:${id}:send:0`]);
    expect(await audit(id)).toEqual(["broadcast.created", "broadcast.scheduled"]);
    await t.db.update(templates).set({ body: { markup: "Version one" }, subject: "News for {{ contact.first_name }}" }).where(eq(templates.id, a.templateId));
  });

  it("sends now without a body, and pins an archived template never", async () => {
    const id = await draft(a);
    const r = await schedule(new Request(url(`/${id}/schedule`), { method: "POST", headers: { authorization: `Bearer ${a.key}` } }), { params: Promise.resolve({ broadcastId: id }) });
    expect(r.status).toBe(200);
    const body = ((await r.json()) as One).data;
    expect(Math.abs(Date.parse(body.scheduled_at!) - Date.now())).toBeLessThan(60_000);

    const other = await draft(a);
    await t.db.update(templates).set({ archivedAt: new Date() }).where(eq(templates.id, a.templateId));
    await expectError(await at(schedule, a, "POST", other, "/schedule"), 400, "template_id", /archived/);
    await t.db.update(templates).set({ archivedAt: null }).where(eq(templates.id, a.templateId));
    const [row] = await t.db.select().from(broadcasts).where(eq(broadcasts.id, other));
    expect(row).toMatchObject({ status: "draft", templateVersionId: null });
  });

  it("pauses and resumes a sending broadcast, each resume with an event of its own, and cancels it for good", async () => {
    const id = await draft(a);
    expect((await at(schedule, a, "POST", id, "/schedule")).status).toBe(200);
    // The sender moves it to sending when it starts.
    await t.db.update(broadcasts).set({ status: "sending" }).where(eq(broadcasts.id, id));
    expect((await at(pause, a, "POST", id, "/pause")).status).toBe(200);
    await expectError(await at(pause, a, "POST", id, "/pause"), 409, "status");
    expect(((await (await at(resume, a, "POST", id, "/resume")).json()) as One).data.status).toBe("sending");
    await expectError(await at(resume, a, "POST", id, "/resume"), 409, "status");
    expect((await at(pause, a, "POST", id, "/pause")).status).toBe(200);
    expect((await at(resume, a, "POST", id, "/resume")).status).toBe(200);
    expect(await outbox(id)).toEqual([`broadcast:${id}:send:0`, `broadcast:${id}:send:1`, `broadcast:${id}:send:2`]);
    const c = await at(cancel, a, "POST", id, "/cancel");
    expect(c.status).toBe(200);
    const [row] = await t.db.select().from(broadcasts).where(eq(broadcasts.id, id));
    expect(row!.status).toBe("cancelled");
    expect(row!.cancelledAt).not.toBeNull();
    for (const move of [cancel, pause, resume]) await expectError(await at(move, a, "POST", id, "/x"), 409, "status");
    expect(await audit(id)).toEqual(["broadcast.cancelled", "broadcast.created", "broadcast.paused", "broadcast.paused", "broadcast.resumed", "broadcast.resumed", "broadcast.scheduled"]);
  });

  it("keeps a template a scheduled broadcast pinned from being deleted, naming the broadcast", async () => {
    const ws = a.ws.workspace.id;
    const [tpl] = await t.db.insert(templates).values({ workspaceId: ws, name: "Once", class: "marketing", subject: "Once", body: { markup: "x" } }).returning({ id: templates.id });
    const id = await draft(a, { name: "Pinned one", template_id: tpl!.id });
    expect((await at(schedule, a, "POST", id, "/schedule")).status).toBe(200);
    expect(await deleteTemplateRow(t.db, { workspaceId: ws, templateId: tpl!.id })).toEqual({ usedBy: ["the broadcast “Pinned one”"] });
    expect(await t.db.select().from(templates).where(eq(templates.id, tpl!.id))).toHaveLength(1);
  });

  it("lets only one of two racing schedules through", async () => {
    const id = await draft(a);
    const results = await Promise.all([0, 1, 2].map(() => at(schedule, a, "POST", id, "/schedule")));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(await outbox(id)).toEqual([`broadcast:${id}:send:0`]);
  });
});
