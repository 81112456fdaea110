import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { emptyDatabase, freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { createLiveFlow, graph, publish, type N } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { compile } from "@/lib/flows/compile";
import { canonicalJson } from "@/lib/flows/plan";
import type { Db } from "../client";
import { applyMigrations, migrationsFolder } from "../migrate";
import { flows, flowVersions, flowVersionTemplates, templates, templateVersions } from "../schema/index";
import { deleteTemplateRow, setTemplateArchived, updateTemplateRow } from "./templates";
import { flowsPinningTemplate, flowsSendingTemplate, pinnedTemplate, TemplatePinError, templatesChangedSincePublish } from "./template-versions";
import { publishCompiled } from "./flow-versions";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t?.destroy());

async function template(db: Db, workspaceId: string, name: string, subject = `${name} subject`) {
  const [row] = await db
    .insert(templates)
    .values({ workspaceId, name, class: "marketing", subject, preheader: "", body: { markup: `Hello from ${name}` } })
    .returning({ id: templates.id });
  return row!.id;
}

/** A flow sending `sends` ([node id, template id]) in turn after a manual enrolment. */
function sendsGraph(sends: [string, string][]) {
  const nodes: N[] = [["t", "manual-enrol"], ...sends.map(([id, templateId]): N => [id, "send-email", { templateId }]), ["x", "exit"]];
  const ids = nodes.map(([id]) => id);
  return graph(nodes, ids.slice(1).map((id, i) => [ids[i]!, "next", id]));
}

async function edit(db: Db, workspaceId: string, templateId: string, change: Partial<{ name: string; subject: string; markup: string }>) {
  const [row] = await db.select().from(templates).where(eq(templates.id, templateId));
  const body = row!.body as { markup: string };
  await updateTemplateRow(db, {
    workspaceId,
    templateId,
    name: change.name ?? row!.name,
    class: row!.class,
    topic: row!.topic,
    subject: change.subject ?? row!.subject,
    preheader: row!.preheader,
    body: { markup: change.markup ?? body.markup },
    at: new Date(),
  });
}

const pinsOf = (db: Db, flowVersionId: string) =>
  db
    .select({ templateId: flowVersionTemplates.templateId, versionId: templateVersions.id, number: templateVersions.number, subject: templateVersions.subject, hash: templateVersions.hash })
    .from(flowVersionTemplates)
    .innerJoin(templateVersions, eq(templateVersions.id, flowVersionTemplates.templateVersionId))
    .where(eq(flowVersionTemplates.flowVersionId, flowVersionId))
    .orderBy(templateVersions.subject);

describe("publishing pins templates", () => {
  it("pins each template the sends use to a version of its content, reusing it until the content changes (the name is not content)", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const ws = s.workspace.id;
    const a = await template(t.db, ws, "Alpha");
    const b = await template(t.db, ws, "Beta");
    const g = sendsGraph([["s1", a], ["s2", b], ["s3", a]]);
    const { flowId, versionId: v1 } = await createLiveFlow(t.db, { workspaceId: ws, name: "Welcome", graph: g });
    const first = await pinsOf(t.db, v1);
    expect(first.map((p) => [p.subject, p.number])).toEqual([["Alpha subject", 1], ["Beta subject", 1]]);
    expect(await pinnedTemplate(t.db, { workspaceId: ws, flowVersionId: v1, templateId: a })).toMatchObject({ templateId: a, number: 1, subject: "Alpha subject", body: { markup: "Hello from Alpha" } });

    // Unchanged, or only renamed: the same versions again.
    await edit(t.db, ws, a, { name: "Alpha (renamed)" });
    expect(await templatesChangedSincePublish(t.db, { workspaceId: ws, flowId })).toEqual([]);
    const { versionId: v2 } = await publish(t.db, { workspaceId: ws, flowId, graph: g });
    expect((await pinsOf(t.db, v2)).map((p) => p.versionId)).toEqual(first.map((p) => p.versionId));

    // A changed subject is a new version of that template only; the older flow version keeps its pin.
    await edit(t.db, ws, a, { subject: "Alpha, edited" });
    expect(await templatesChangedSincePublish(t.db, { workspaceId: ws, flowId })).toEqual([a]);
    expect(await flowsSendingTemplate(t.db, { workspaceId: ws, templateId: a })).toEqual([{ id: flowId, name: "Welcome", status: "live", version: 2, pinned: 1, changed: true }]);
    const { versionId: v3 } = await publish(t.db, { workspaceId: ws, flowId, graph: g });
    expect((await pinsOf(t.db, v3)).map((p) => [p.subject, p.number])).toEqual([["Alpha, edited", 2], ["Beta subject", 1]]);
    expect((await pinsOf(t.db, v1)).map((p) => p.subject)).toEqual(["Alpha subject", "Beta subject"]);
    expect(await templatesChangedSincePublish(t.db, { workspaceId: ws, flowId })).toEqual([]);
    expect(await flowsSendingTemplate(t.db, { workspaceId: ws, templateId: a })).toEqual([{ id: flowId, name: "Welcome", status: "live", version: 3, pinned: 2, changed: false }]);

    // Changed back to the first content: a third version, since the newest with that hash is reused only by hash.
    await edit(t.db, ws, a, { subject: "Alpha subject" });
    const { versionId: v4 } = await publish(t.db, { workspaceId: ws, flowId, graph: g });
    expect((await pinsOf(t.db, v4)).find((p) => p.templateId === a)!.versionId).toBe(first.find((p) => p.templateId === a)!.versionId);
  });

  it("refuses a send naming a missing, foreign or archived template, naming the node and template, and records nothing", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const other = await seedWorkspace(t.db, { contacts: 0 });
    const ws = s.workspace.id;
    const ok = await template(t.db, ws, "Fine");
    const archived = await template(t.db, ws, "Old news");
    const foreign = await template(t.db, other.workspace.id, "Theirs");
    const { flowId, versionId } = await createLiveFlow(t.db, { workspaceId: ws, name: "Cart recovery", graph: sendsGraph([["s1", ok]]) });
    await setTemplateArchived(t.db, { workspaceId: ws, templateId: archived, archived: true, at: new Date() });

    const attempt = async (sends: [string, string][]) => {
      const g = sendsGraph(sends);
      const compiled = compile(g);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
      const err: unknown = await publishCompiled(t.db, { workspaceId: ws, flowId, plan: compiled.plan, canonicalPlan: canonicalJson(compiled.plan), graph: g }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TemplatePinError);
      return (err as TemplatePinError).message;
    };
    expect(await attempt([["s1", ok], ["s2", archived]])).toBe("s2: template “Old news” is archived: unarchive it or choose another template");
    const missing = "00000000-0000-4000-8000-00000000dead";
    expect(await attempt([["s1", missing]])).toBe(`s1: template ${missing} does not exist: choose another template`);
    expect(await attempt([["s1", ok], ["s9", foreign]])).toBe(`s9: template ${foreign} does not exist: choose another template`);
    expect(await attempt([["s1", "not-an-id"]])).toBe("s1: template not-an-id does not exist: choose another template");

    const versions = await t.db.select().from(flowVersions).where(eq(flowVersions.flowId, flowId));
    expect(versions.map((v) => v.id)).toEqual([versionId]);
    const [flow] = await t.db.select().from(flows).where(eq(flows.id, flowId));
    expect(flow!.currentVersionId).toBe(versionId);
    expect(await t.db.select().from(templateVersions).where(eq(templateVersions.templateId, archived))).toEqual([]);
  });
});

describe("deleting and archiving a template", () => {
  it("refuses to delete a template any published version sends, naming the flows; deletes one only a draft uses", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const ws = s.workspace.id;
    const used = await template(t.db, ws, "Used");
    const drafted = await template(t.db, ws, "Drafted");
    await createLiveFlow(t.db, { workspaceId: ws, name: "Welcome", graph: sendsGraph([["s1", used]]) });
    const { flowId: cart } = await createLiveFlow(t.db, { workspaceId: ws, name: "Cart recovery", graph: sendsGraph([["s1", used]]) });
    // The newest version of "Cart recovery" no longer sends it; its first still does.
    const other = await template(t.db, ws, "Other");
    await publish(t.db, { workspaceId: ws, flowId: cart, graph: sendsGraph([["s1", other]]) });
    await t.db.insert(flows).values({ workspaceId: ws, name: "Draft only", draft: sendsGraph([["s1", drafted]]) });

    expect(await deleteTemplateRow(t.db, { workspaceId: ws, templateId: used })).toEqual({ usedBy: ["Cart recovery", "Welcome"] });
    expect(await t.db.select({ id: templates.id }).from(templates).where(eq(templates.id, used))).toHaveLength(1);
    // Another workspace cannot delete it, nor learn who uses it.
    const intruder = await seedWorkspace(t.db, { contacts: 0 });
    expect(await deleteTemplateRow(t.db, { workspaceId: intruder.workspace.id, templateId: used })).toBeUndefined();
    expect(await flowsPinningTemplate(t.db, { workspaceId: intruder.workspace.id, templateId: used })).toEqual([]);

    expect(await deleteTemplateRow(t.db, { workspaceId: ws, templateId: drafted })).toEqual({ deleted: { id: drafted, name: "Drafted" } });
    expect(await t.db.select({ id: templates.id }).from(templates).where(eq(templates.id, drafted))).toHaveLength(0);
  });

  it("archives and unarchives within the workspace only; an archived template's pins stay", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const ws = s.workspace.id;
    const id = await template(t.db, ws, "Seasonal");
    const { versionId } = await createLiveFlow(t.db, { workspaceId: ws, graph: sendsGraph([["s1", id]]) });
    const intruder = await seedWorkspace(t.db, { contacts: 0 });
    expect(await setTemplateArchived(t.db, { workspaceId: intruder.workspace.id, templateId: id, archived: true, at: new Date() })).toBeUndefined();
    const at = new Date("2026-03-01T10:00:00Z");
    expect(await setTemplateArchived(t.db, { workspaceId: ws, templateId: id, archived: true, at })).toEqual({ id, name: "Seasonal" });
    // Archiving again keeps the first date.
    await setTemplateArchived(t.db, { workspaceId: ws, templateId: id, archived: true, at: new Date("2026-04-01T10:00:00Z") });
    const [row] = await t.db.select().from(templates).where(eq(templates.id, id));
    expect(row!.archivedAt).toEqual(at);
    expect(await pinnedTemplate(t.db, { workspaceId: ws, flowVersionId: versionId, templateId: id })).toMatchObject({ subject: "Seasonal subject" });
    await setTemplateArchived(t.db, { workspaceId: ws, templateId: id, archived: false, at: new Date() });
    const [back] = await t.db.select().from(templates).where(eq(templates.id, id));
    expect(back!.archivedAt).toBeNull();
  });
});

// On PGlite every transaction runs alone, so no edit can come between a publish's read and its pin.
it.skipIf(inject("testDatabase").kind === "pglite")("a publish locks the templates it pins: an edit in flight finishes first, and the publish pins what it saved", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  const ws = s.workspace.id;
  const id = await template(t.db, ws, "Raced", "Before the edit");
  const { flowId } = await createLiveFlow(t.db, { workspaceId: ws, graph: sendsGraph([["s1", id]]) });
  await edit(t.db, ws, id, { subject: "Draft one" });
  let releaseEdit!: () => void;
  const editHeld = new Promise<void>((r) => (releaseEdit = r));
  let editLocked!: () => void;
  const locked = new Promise<void>((r) => (editLocked = r));
  // A save that has written its row but not committed yet.
  const editing = t.sql.begin(async (sql) => {
    await sql`update templates set subject = 'Saved during the publish', updated_at = now() where id = ${id}`;
    editLocked();
    await editHeld;
  });
  await locked;
  const publishing = publish(t.db, { workspaceId: ws, flowId, graph: sendsGraph([["s1", id]]) });
  // The publish waits on the template's row lock (polled with a deadline).
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [w] = await t.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query ilike '%from templates%'`;
      if (w!.n > 0) break;
      if (Date.now() > deadline) throw new Error("the publish never waited for the edit's lock");
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    releaseEdit();
    await editing;
  }
  const { versionId } = await publishing;
  expect((await pinsOf(t.db, versionId)).map((p) => [p.subject, p.number])).toEqual([["Saved during the publish", 2]]);
});

describe("the data migration 0016_pin_published_templates", () => {
  it("pins every version published before pins to its templates' current content; a publish afterwards reuses those versions", async () => {
    const db = await emptyDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), "tillit-migrations-"));
    try {
      // The migrations up to 0015, as a database deployed before this change has them.
      const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
      const upTo = journal.entries.findIndex((e) => e.tag === "0015_flow_promises");
      const before = journal.entries.slice(0, upTo + 1);
      mkdirSync(path.join(dir, "meta"));
      writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: before }));
      for (const e of before) copyFileSync(path.join(migrationsFolder, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
      await migrate(db.db, { migrationsFolder: dir });

      const s = await seedWorkspace(db.db, { contacts: 0 });
      const ws = s.workspace.id;
      const sql = db.sql;
      const tpl = async (name: string, subject: string) =>
        (await sql<{ id: string }[]>`insert into templates (workspace_id, name, class, subject, preheader, body)
          values (${ws}, ${name}, 'marketing', ${subject}, '', ${JSON.stringify({ markup: `Body of ${name}` })}::jsonb) returning id`)[0]!.id;
      const welcome = await tpl("Welcome", "Welcome aboard");
      const nudge = await tpl("Nudge", "Still there?");
      const gone = "00000000-0000-4000-8000-00000000dead";
      const flow = async (name: string) => (await sql<{ id: string }[]>`insert into flows (workspace_id, name, status) values (${ws}, ${name}, 'live') returning id`)[0]!.id;
      const version = async (flowId: string, number: number, sends: [string, string][]) => {
        const g = sendsGraph(sends);
        const c = compile(g);
        if (!c.ok) throw new Error(JSON.stringify(c.errors));
        const [v] = await sql<{ id: string }[]>`insert into flow_versions (workspace_id, flow_id, number, hash, plan, graph)
          values (${ws}, ${flowId}, ${number}, ${`h${number}`}, ${canonicalJson(c.plan)}::jsonb, ${JSON.stringify(g)}::jsonb) returning id`;
        await sql`update flows set current_version_id = ${v!.id} where id = ${flowId}`;
        return v!.id;
      };
      const f = await flow("Onboarding");
      const f1 = await version(f, 1, [["s1", welcome]]);
      const f2 = await version(f, 2, [["s1", welcome], ["s2", nudge], ["s3", welcome]]);
      const g = await flow("Lost");
      const g1 = await version(g, 1, [["s1", gone], ["s2", nudge]]);

      await applyMigrations(db.db);

      const pins = async (v: string) => (await pinsOf(db.db, v)).map((p) => [p.subject, p.number]);
      expect(await pins(f1)).toEqual([["Welcome aboard", 1]]);
      expect(await pins(f2)).toEqual([["Still there?", 1], ["Welcome aboard", 1]]);
      // The missing template gets no pin: its sends are skipped, the rest go out as before.
      expect(await pins(g1)).toEqual([["Still there?", 1]]);
      expect(await db.db.select().from(templateVersions).where(eq(templateVersions.workspaceId, ws))).toHaveLength(2);
      expect(await templatesChangedSincePublish(db.db, { workspaceId: ws, flowId: f })).toEqual([]);

      // The migration's hash is the publish's: publishing unchanged content reuses the versions.
      const { versionId: f3 } = await publish(db.db, { workspaceId: ws, flowId: f, graph: sendsGraph([["s1", welcome], ["s2", nudge]]) });
      expect((await pinsOf(db.db, f3)).map((p) => p.versionId).sort()).toEqual((await pinsOf(db.db, f2)).map((p) => p.versionId).sort());
      const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from template_versions where workspace_id = ${ws}`;
      expect(count!.n).toBe(2);
      expect(await db.db.select().from(flowVersionTemplates).where(and(eq(flowVersionTemplates.workspaceId, ws), eq(flowVersionTemplates.flowVersionId, g1)))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.destroy();
    }
  });
});
