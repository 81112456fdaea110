import { and, asc, desc, eq, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { contacts, events, segments, tags, templates } from "../schema/index";
import { listMembers } from "./members";

/** What the flow editor offers to pick from and dry-run with: the workspace's templates, tags, events, attributes, segments and contacts. */

/** What the node panel's pickers offer: templates, tags, event names, attribute keys in use, segments and members. */
export async function editorPickers(db: Db, q: { workspaceId: string }) {
  const [tpl, tagRows, eventRows, attrRows, segmentRows, members] = await Promise.all([
    db
      // Archived ones too, flagged: the select offers only the others, but still names an archived one a node already sends.
      .select({ id: templates.id, name: templates.name, subject: templates.subject, archived: sql<boolean>`${templates.archivedAt} is not null` })
      .from(templates)
      .where(eq(templates.workspaceId, q.workspaceId))
      .orderBy(asc(templates.name))
      .limit(500),
    db.select({ name: tags.name }).from(tags).where(eq(tags.workspaceId, q.workspaceId)).orderBy(asc(tags.name)).limit(500),
    db
      .selectDistinct({ name: events.name })
      .from(events)
      .where(and(eq(events.workspaceId, q.workspaceId), eq(events.type, "track")))
      .orderBy(asc(events.name))
      .limit(500),
    rows<{ k: string }>(
      db,
      sql`
      select distinct k from (
        select jsonb_object_keys(attributes) as k from ${contacts}
        where workspace_id = ${q.workspaceId}::uuid
        order by 1 limit 5000
      ) a order by 1 limit 200`,
    ),
    db.select({ id: segments.id, name: segments.name }).from(segments).where(eq(segments.workspaceId, q.workspaceId)).orderBy(asc(segments.name)).limit(500),
    listMembers(db, { workspaceId: q.workspaceId }),
  ]);
  return {
    templates: tpl,
    tags: tagRows.map((t) => t.name),
    events: eventRows.map((e) => e.name),
    attributes: attrRows.map((a) => a.k),
    segments: segmentRows,
    // For the notify-team node's member picker.
    members: members.map((m) => ({ id: m.userId, name: m.name, email: m.email })),
  };
}

/** A few real contacts to dry-run with (attributes and tags), newest first. */
export async function dryRunContacts(db: Db, q: { workspaceId: string; limit?: number }) {
  const people = await db
    .select({ id: contacts.id, email: contacts.email, firstName: contacts.firstName, timeZone: contacts.timeZone, attributes: contacts.attributes })
    .from(contacts)
    .where(eq(contacts.workspaceId, q.workspaceId))
    .orderBy(desc(contacts.createdAt))
    .limit(q.limit ?? 20);
  if (people.length === 0) return [];
  const tagRows = await rows<{ contact_id: string; name: string }>(db, sql`
    select ct.contact_id, t.name from contact_tags ct join tags t on t.id = ct.tag_id
    where ct.workspace_id = ${q.workspaceId}::uuid and ct.contact_id in (${sql.join(people.map((r) => sql`${r.id}::uuid`), sql`, `)})`);
  return people.map((r) => ({ ...r, tags: tagRows.filter((t) => t.contact_id === r.id).map((t) => t.name) }));
}
