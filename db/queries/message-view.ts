import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";

/**
 * What the "view in browser" page (app/v/[token]) needs of one message, in one read scoped by
 * workspace: the content it was rendered from (its pinned template version, with a broadcast's
 * own subject and preheader), the contact as they are now, and the workspace's footer facts.
 */
export type MessageForView = {
  messageId: string;
  broadcastId: string | null;
  subjectSent: string;
  unsubscribeToken: string | null;
  contactId: string | null;
  contactStatus: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  timeZone: string | null;
  attributes: Record<string, unknown> | null;
  workspaceName: string;
  postalAddress: string | null;
  version: {
    id: string;
    createdAt: Date;
    class: "marketing" | "transactional";
    subject: string;
    preheader: string;
    body: unknown;
  } | null;
};

export async function messageForView(db: Db, q: { workspaceId: string; messageId: string }): Promise<MessageForView | undefined> {
  const [r] = await rows<Omit<MessageForView, "version"> & { version: (Omit<NonNullable<MessageForView["version"]>, "createdAt"> & { createdAt: string }) | null }>(
    db,
    sql`select m.id as "messageId", m.broadcast_id as "broadcastId", m.subject as "subjectSent", m.unsubscribe_token as "unsubscribeToken",
               c.id as "contactId", c.status::text as "contactStatus", c.email, c.first_name as "firstName", c.last_name as "lastName",
               c.time_zone as "timeZone", c.attributes, w.name as "workspaceName", w.postal_address as "postalAddress",
               case when v.id is null then null else json_build_object(
                 'id', v.id, 'createdAt', v.created_at, 'class', v.class, 'body', v.body,
                 'subject', coalesce(b.subject, v.subject), 'preheader', coalesce(b.preheader, v.preheader)) end as version
        from messages m
        join workspaces w on w.id = m.workspace_id
        left join contacts c on c.id = m.contact_id and c.workspace_id = m.workspace_id
        left join template_versions v on v.id = m.template_version_id and v.workspace_id = m.workspace_id
        left join broadcasts b on b.id = m.broadcast_id and b.workspace_id = m.workspace_id
        where m.id = ${q.messageId}::uuid and m.workspace_id = ${q.workspaceId}::uuid`,
  );
  if (!r) return undefined;
  return { ...r, version: r.version ? { ...r.version, createdAt: new Date(r.version.createdAt) } : null };
}
