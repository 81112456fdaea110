import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { rows, type DbOrTx, type Tx } from "../client";
import { flows, flowVersions, flowVersionTemplates, templateVersions } from "../schema/index";
import { sentTemplates, type Plan } from "@/lib/flows/plan";

/**
 * Template versions: what a published flow version sends. Publishing pins, for every template a
 * send-email node uses, the template's content as it is then (a template_versions row, reused
 * while the content is unchanged); a send renders the pinned version, never the live template.
 * Editing a template makes a draft that reaches a flow when the flow is published again
 * (docs/flows.md, "Publishing pins templates").
 */

/**
 * sha256 of a template's canonical content (class, topic, subject, preheader, body; not the name),
 * in SQL so every reader and writer computes it alike: jsonb's text form orders keys and spacing
 * one way. The data migration that pinned the versions published before pins existed
 * (0016_pin_published_templates) spells out the same expression.
 */
export const contentHash = (t: string): SQL =>
  sql.raw(
    `encode(sha256(convert_to(jsonb_build_object('class', ${t}.class, 'topic', ${t}.topic, 'subject', ${t}.subject, 'preheader', ${t}.preheader, 'body', ${t}.body)::text, 'UTF8')), 'hex')`,
  );

/** A publish names a template it cannot pin: the node and the template, in words for the editor. */
export class TemplatePinError extends Error {
  constructor(
    readonly nodeId: string,
    readonly templateId: string,
    message: string,
  ) {
    super(message);
    this.name = "TemplatePinError";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Pin = { templateId: string; templateVersionId: string; number: number };

/**
 * Inside a publish's transaction, before its version is inserted: locks the templates the plan
 * sends (FOR NO KEY UPDATE, in id order: an edit, an archive or a delete of one waits until the
 * publish commits, and so does a second publish of the same template, which would otherwise make
 * the same version number), refuses a missing or archived one naming the node, and finds each
 * template's newest version with the current content hash, or makes the next one.
 */
export async function pinTemplateVersions(tx: Tx, q: { workspaceId: string; plan: Plan }): Promise<Pin[]> {
  const uses = sentTemplates(q.plan);
  if (uses.length === 0) return [];
  const ids = uses.map((u) => u.templateId).filter((id) => UUID.test(id));
  const locked = ids.length
    ? await rows<{ id: string; name: string; archived: boolean; hash: string }>(
        tx,
        sql`select t.id, t.name, t.archived_at is not null as archived, ${contentHash("t")} as hash
            from templates t
            where t.workspace_id = ${q.workspaceId}::uuid and t.id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})
            order by t.id
            for no key update`,
      )
    : [];
  const found = new Map(locked.map((t) => [t.id.toLowerCase(), t]));
  for (const u of uses) {
    const t = found.get(u.templateId.toLowerCase());
    const node = u.nodeIds[0]!;
    if (!t) throw new TemplatePinError(node, u.templateId, `${node}: template ${u.templateId} does not exist: choose another template`);
    if (t.archived) throw new TemplatePinError(node, t.id, `${node}: template “${t.name}” is archived: unarchive it or choose another template`);
  }
  const pins: Pin[] = [];
  for (const t of locked) pins.push(await versionWithContent(tx, q.workspaceId, t));
  return pins;
}

/**
 * The newest version of a locked template whose content hash is `t.hash`, or the next version
 * made from the template's current content (the caller holds the template row's lock, so its
 * content is what was hashed).
 */
async function versionWithContent(tx: Tx, workspaceId: string, t: { id: string; hash: string }): Promise<Pin> {
  const [same] = await rows<{ id: string; number: number }>(
    tx,
    sql`select id, number from template_versions
        where workspace_id = ${workspaceId}::uuid and template_id = ${t.id}::uuid and hash = ${t.hash}
        order by number desc limit 1`,
  );
  if (same) return { templateId: t.id, templateVersionId: same.id, number: same.number };
  const [made] = await rows<{ id: string; number: number }>(
    tx,
    sql`insert into template_versions (workspace_id, template_id, number, hash, name, class, topic, subject, preheader, body)
        select t.workspace_id, t.id,
               coalesce((select max(v.number) from template_versions v where v.workspace_id = t.workspace_id and v.template_id = t.id), 0) + 1,
               ${t.hash}, t.name, t.class, t.topic, t.subject, t.preheader, t.body
        from templates t where t.workspace_id = ${workspaceId}::uuid and t.id = ${t.id}::uuid
        returning id, number`,
  );
  return { templateId: t.id, templateVersionId: made!.id, number: made!.number };
}

/** A template a broadcast cannot pin: gone, or archived. */
export class TemplateUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateUnavailableError";
  }
}

/**
 * Pins one template's current content for a broadcast being scheduled, inside its transaction:
 * locks the template as a publish does (an edit waits until the schedule commits), refuses a
 * missing or archived one, and reuses the newest version with the same content.
 */
export async function pinTemplate(tx: Tx, q: { workspaceId: string; templateId: string }): Promise<Pin> {
  if (!UUID.test(q.templateId)) throw new TemplateUnavailableError("the template does not exist: choose another template");
  const [t] = await rows<{ id: string; name: string; archived: boolean; hash: string }>(
    tx,
    sql`select t.id, t.name, t.archived_at is not null as archived, ${contentHash("t")} as hash
        from templates t
        where t.workspace_id = ${q.workspaceId}::uuid and t.id = ${q.templateId}::uuid
        for no key update`,
  );
  if (!t) throw new TemplateUnavailableError("the template does not exist: choose another template");
  if (t.archived) throw new TemplateUnavailableError(`the template “${t.name}” is archived: unarchive it or choose another template`);
  return versionWithContent(tx, q.workspaceId, t);
}

/** The publish's pins, after its version is inserted (same transaction). */
export async function recordPins(tx: Tx, q: { workspaceId: string; flowVersionId: string; pins: Pin[] }): Promise<void> {
  if (q.pins.length === 0) return;
  await tx
    .insert(flowVersionTemplates)
    .values(q.pins.map((p) => ({ workspaceId: q.workspaceId, flowVersionId: q.flowVersionId, templateId: p.templateId, templateVersionId: p.templateVersionId })));
}

export type PinnedTemplate = {
  /** The template's id (messages.template_id, reports). */
  templateId: string;
  /** The pinned version's id (messages.template_version_id, the render cache's key). */
  versionId: string;
  number: number;
  createdAt: Date;
  name: string;
  class: "marketing" | "transactional";
  topic: string | null;
  subject: string;
  preheader: string;
  body: unknown;
};

/** The content a flow version sends for a template: its pin, or undefined when it has none. */
export async function pinnedTemplate(db: DbOrTx, q: { workspaceId: string; flowVersionId: string; templateId: string }): Promise<PinnedTemplate | undefined> {
  if (!UUID.test(q.templateId)) return undefined;
  const [row] = await db
    .select({
      templateId: templateVersions.templateId,
      versionId: templateVersions.id,
      number: templateVersions.number,
      createdAt: templateVersions.createdAt,
      name: templateVersions.name,
      class: templateVersions.class,
      topic: templateVersions.topic,
      subject: templateVersions.subject,
      preheader: templateVersions.preheader,
      body: templateVersions.body,
    })
    .from(flowVersionTemplates)
    .innerJoin(templateVersions, and(eq(templateVersions.id, flowVersionTemplates.templateVersionId), eq(templateVersions.workspaceId, flowVersionTemplates.workspaceId)))
    .where(
      and(
        eq(flowVersionTemplates.workspaceId, q.workspaceId),
        eq(flowVersionTemplates.flowVersionId, q.flowVersionId),
        eq(flowVersionTemplates.templateId, q.templateId),
      ),
    );
  return row;
}

/** The templates whose content changed since the flow's current version pinned them (the editor's "Template changed since publish"). */
export async function templatesChangedSincePublish(db: DbOrTx, q: { workspaceId: string; flowId: string }): Promise<string[]> {
  const found = await rows<{ template_id: string }>(
    db,
    sql`select p.template_id from flows f
        join flow_version_templates p on p.workspace_id = f.workspace_id and p.flow_version_id = f.current_version_id
        join template_versions v on v.workspace_id = p.workspace_id and v.id = p.template_version_id
        join templates t on t.workspace_id = p.workspace_id and t.id = p.template_id
        where f.workspace_id = ${q.workspaceId}::uuid and f.id = ${q.flowId}::uuid and v.hash <> ${contentHash("t")}
        order by p.template_id`,
  );
  return found.map((r) => r.template_id);
}

/**
 * The flows whose current version sends a template (the template editor says they get its
 * changes when each is published again): which version pinned it, and whether it changed since.
 */
export async function flowsSendingTemplate(db: DbOrTx, q: { workspaceId: string; templateId: string }) {
  return rows<{ id: string; name: string; status: string; version: number; pinned: number; changed: boolean }>(
    db,
    sql`select f.id, f.name, f.status::text as status, fv.number as version, v.number as pinned, v.hash <> ${contentHash("t")} as changed
        from flow_version_templates p
        join flows f on f.workspace_id = p.workspace_id and f.current_version_id = p.flow_version_id
        join flow_versions fv on fv.workspace_id = p.workspace_id and fv.id = p.flow_version_id
        join template_versions v on v.workspace_id = p.workspace_id and v.id = p.template_version_id
        join templates t on t.workspace_id = p.workspace_id and t.id = p.template_id
        where p.workspace_id = ${q.workspaceId}::uuid and p.template_id = ${q.templateId}::uuid
        order by f.name, f.id`,
  );
}

/** The names of the flows any of whose versions pinned a template: it cannot be deleted while there are any. */
export async function flowsPinningTemplate(db: DbOrTx, q: { workspaceId: string; templateId: string }): Promise<string[]> {
  const found = await db
    .selectDistinct({ name: flows.name })
    .from(flowVersionTemplates)
    .innerJoin(flowVersions, and(eq(flowVersions.id, flowVersionTemplates.flowVersionId), eq(flowVersions.workspaceId, flowVersionTemplates.workspaceId)))
    .innerJoin(flows, and(eq(flows.id, flowVersions.flowId), eq(flows.workspaceId, flowVersions.workspaceId)))
    .where(and(eq(flowVersionTemplates.workspaceId, q.workspaceId), eq(flowVersionTemplates.templateId, q.templateId)))
    .orderBy(asc(flows.name));
  return found.map((r) => r.name);
}

/**
 * The names of the broadcasts that pinned one of a template's versions when they were scheduled:
 * it cannot be deleted while there are any (what they sent, or will send, is that version).
 */
export async function broadcastsPinningTemplate(db: DbOrTx, q: { workspaceId: string; templateId: string }): Promise<string[]> {
  const found = await rows<{ name: string }>(
    db,
    sql`select distinct b.name from broadcasts b
        join template_versions v on v.workspace_id = b.workspace_id and v.id = b.template_version_id
        where b.workspace_id = ${q.workspaceId}::uuid and v.template_id = ${q.templateId}::uuid
        order by b.name`,
  );
  return found.map((r) => r.name);
}

/** How many versions a template has (tests, the template page). */
export async function templateVersionCount(db: DbOrTx, q: { workspaceId: string; templateId: string }): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(templateVersions)
    .where(and(eq(templateVersions.workspaceId, q.workspaceId), eq(templateVersions.templateId, q.templateId)));
  return row?.n ?? 0;
}
