import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import type { StarterTemplate } from "@/lib/flows/starters";
import { contacts, messages, templates, workspaces } from "../schema/index";
import { broadcastsPinningTemplate, flowsPinningTemplate } from "./template-versions";

export type TemplateRow = typeof templates.$inferSelect;

/** The workspace's templates, active or archived ones (newest edit first), with how many of each there are. */
export async function listTemplates(db: Db, q: { workspaceId: string; archived?: boolean }) {
  return db
    .select({
      id: templates.id,
      name: templates.name,
      class: templates.class,
      topic: templates.topic,
      subject: templates.subject,
      updatedAt: templates.updatedAt,
      archivedAt: templates.archivedAt,
      sent: sql<number>`(select count(*)::int from ${messages} where ${messages.templateId} = ${templates.id} and ${messages.workspaceId} = ${templates.workspaceId} and ${messages.sentAt} is not null)`,
    })
    .from(templates)
    .where(and(eq(templates.workspaceId, q.workspaceId), q.archived ? isNotNull(templates.archivedAt) : isNull(templates.archivedAt)))
    .orderBy(desc(templates.updatedAt))
    .limit(500);
}

/** Class and topic of the workspace's active templates among `templateIds` (what a dry run's sends are checked with). */
export async function templateClasses(db: Db, q: { workspaceId: string; templateIds: string[] }) {
  if (q.templateIds.length === 0) return [];
  return db
    .select({ id: templates.id, class: templates.class, topic: templates.topic })
    .from(templates)
    .where(and(eq(templates.workspaceId, q.workspaceId), inArray(templates.id, q.templateIds), isNull(templates.archivedAt)));
}

export async function templateCounts(db: Db, q: { workspaceId: string }) {
  const [row] = await db
    .select({
      active: sql<number>`count(*) filter (where ${templates.archivedAt} is null)::int`,
      archived: sql<number>`count(*) filter (where ${templates.archivedAt} is not null)::int`,
    })
    .from(templates)
    .where(eq(templates.workspaceId, q.workspaceId));
  return { active: row?.active ?? 0, archived: row?.archived ?? 0 };
}

export async function getTemplateById(db: Db, q: { workspaceId: string; templateId: string }) {
  const [row] = await db.select().from(templates).where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)));
  return row;
}

export async function createTemplateRow(
  db: Db,
  q: { workspaceId: string; name: string; class: "marketing" | "transactional"; topic: string | null; subject: string; preheader: string; body: Record<string, unknown> },
) {
  const [row] = await db.insert(templates).values(q).returning({ id: templates.id });
  return row!;
}

/**
 * The template for each of a starter's send slots: the workspace's active template of the same name
 * (case and surrounding spaces aside), else a new one made from the starter's draft. Returns slot → id.
 */
export async function ensureStarterTemplates(db: DbOrTx, q: { workspaceId: string; templates: readonly StarterTemplate[] }): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (q.templates.length === 0) return ids;
  const key = (name: string) => name.trim().toLowerCase();
  const existing = await db
    .select({ id: templates.id, name: templates.name })
    .from(templates)
    .where(
      and(
        eq(templates.workspaceId, q.workspaceId),
        isNull(templates.archivedAt),
        inArray(sql`lower(btrim(${templates.name}))`, q.templates.map((t) => key(t.name))),
      ),
    )
    .orderBy(asc(templates.createdAt), asc(templates.id));
  const byName = new Map<string, string>();
  for (const row of existing) if (!byName.has(key(row.name))) byName.set(key(row.name), row.id);
  for (const t of q.templates) {
    let id = byName.get(key(t.name));
    if (!id) {
      const [row] = await db
        .insert(templates)
        .values({ workspaceId: q.workspaceId, name: t.name, class: t.class, topic: t.topic, subject: t.subject, preheader: t.preheader, body: { markup: t.markup } })
        .returning({ id: templates.id });
      id = row!.id;
      byName.set(key(t.name), id);
    }
    ids.set(t.slot, id);
  }
  return ids;
}

/** Saves a template; `updatedAt` is its version stamp, so compiled layouts are rebuilt on change. */
export async function updateTemplateRow(
  db: Db,
  q: { workspaceId: string; templateId: string; name: string; class: "marketing" | "transactional"; topic: string | null; subject: string; preheader: string; body: Record<string, unknown>; at: Date },
) {
  const { workspaceId, templateId, at, ...set } = q;
  const rows = await db
    .update(templates)
    .set({ ...set, updatedAt: at })
    .where(and(eq(templates.workspaceId, workspaceId), eq(templates.id, templateId)))
    .returning({ id: templates.id });
  return rows[0];
}

/**
 * Deletes a template no published flow version sends; one that any version pinned is kept, and
 * the flows are named (archive it instead). The row is locked first, so a publish pinning it
 * meanwhile either finishes before (and is counted) or waits and then finds it gone.
 * Undefined: no such template in this workspace.
 */
export async function deleteTemplateRow(
  db: Db,
  q: { workspaceId: string; templateId: string },
): Promise<{ deleted: { id: string; name: string } } | { usedBy: string[] } | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: templates.id })
      .from(templates)
      .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)))
      .for("update");
    if (!row) return undefined;
    // Flow versions and scheduled broadcasts send the versions they pinned: those stay.
    const usedBy = [...(await flowsPinningTemplate(tx, q)), ...(await broadcastsPinningTemplate(tx, q)).map((name) => `the broadcast “${name}”`)];
    if (usedBy.length > 0) return { usedBy };
    const [deleted] = await tx
      .delete(templates)
      .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)))
      .returning({ id: templates.id, name: templates.name });
    return deleted ? { deleted } : undefined;
  });
}

/**
 * Archives or brings back a template. Archived templates leave the pickers (a send node's
 * template, test sends) and a publish naming one is refused; flow versions that pinned it
 * keep sending it. Undefined: no such template in this workspace.
 */
export async function setTemplateArchived(db: Db, q: { workspaceId: string; templateId: string; archived: boolean; at: Date }) {
  const [row] = await db
    .update(templates)
    .set({ archivedAt: q.archived ? sql`coalesce(${templates.archivedAt}, ${q.at.toISOString()}::timestamptz)` : null })
    .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)))
    .returning({ id: templates.id, name: templates.name });
  return row;
}

/** Attribute keys in use in the workspace (for the merge-tag menu and unknown-tag warnings). */
export async function attributeKeys(db: Db, q: { workspaceId: string }): Promise<string[]> {
  const rows = await db.execute<{ key: string }>(
    sql`select distinct jsonb_object_keys(c.attributes) as key from (select attributes from contacts where workspace_id = ${q.workspaceId} and jsonb_typeof(attributes) = 'object' limit 5000) c order by 1 limit 200`,
  );
  return [...rows].map((r) => r.key);
}

/** Contacts to preview a template with: the first ones, or those matching a search. */
export async function previewContacts(db: Db, q: { workspaceId: string; search?: string }) {
  return db
    .select({ id: contacts.id, email: contacts.email, firstName: contacts.firstName, lastName: contacts.lastName })
    .from(contacts)
    .where(
      and(
        eq(contacts.workspaceId, q.workspaceId),
        sql`${contacts.status} <> 'erased'`,
        q.search ? sql`${contacts.email} ilike ${`%${q.search.replace(/[%_\\]/g, "\\$&")}%`}` : undefined,
      ),
    )
    .orderBy(asc(contacts.createdAt), asc(contacts.email))
    .limit(50);
}

/** The workspace secret, for verifying tracking tokens (never shown). */
export async function getWorkspaceSecret(db: Db, q: { workspaceId: string }): Promise<string | undefined> {
  const [row] = await db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, q.workspaceId));
  return row?.secret;
}

export async function getSendingSettings(db: Db, q: { workspaceId: string }) {
  const [row] = await db
    .select({
      sendingPolicy: workspaces.sendingPolicy,
      fromName: workspaces.fromName,
      fromEmail: workspaces.fromEmail,
      replyTo: workspaces.replyTo,
      postalAddress: workspaces.postalAddress,
      name: workspaces.name,
    })
    .from(workspaces)
    .where(eq(workspaces.id, q.workspaceId));
  return row;
}

export async function updateSendingSettings(
  db: Db,
  q: { workspaceId: string; sendingPolicy: Record<string, unknown>; fromName: string | null; fromEmail: string | null; replyTo: string | null; postalAddress: string | null; at: Date },
) {
  const { workspaceId, at, ...set } = q;
  await db.update(workspaces).set({ ...set, updatedAt: at }).where(eq(workspaces.id, workspaceId));
}
