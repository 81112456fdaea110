import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { contacts, messages, templates, workspaces } from "../schema/index";

export type TemplateRow = typeof templates.$inferSelect;

export async function listTemplates(db: Db, q: { workspaceId: string }) {
  return db
    .select({
      id: templates.id,
      name: templates.name,
      class: templates.class,
      topic: templates.topic,
      subject: templates.subject,
      updatedAt: templates.updatedAt,
      sent: sql<number>`(select count(*)::int from ${messages} where ${messages.templateId} = ${templates.id} and ${messages.workspaceId} = ${templates.workspaceId} and ${messages.sentAt} is not null)`,
    })
    .from(templates)
    .where(eq(templates.workspaceId, q.workspaceId))
    .orderBy(desc(templates.updatedAt))
    .limit(500);
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

export async function deleteTemplateRow(db: Db, q: { workspaceId: string; templateId: string }) {
  const rows = await db
    .delete(templates)
    .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)))
    .returning({ id: templates.id, name: templates.name });
  return rows[0];
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
