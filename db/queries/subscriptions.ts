import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { consentEvents, contacts, contactTopics, topics } from "../schema/index";

/** The workspace's subscription topics, by name. */
export async function listTopics(db: Db, q: { workspaceId: string }) {
  return db
    .select({ id: topics.id, key: topics.key, name: topics.name, description: topics.description })
    .from(topics)
    .where(eq(topics.workspaceId, q.workspaceId))
    .orderBy(asc(topics.name));
}

export type TopicState = "subscribed" | "unsubscribed" | "not_asked";

/** Every topic of the workspace with this contact's state in it. */
export async function contactSubscriptions(db: Db, q: { workspaceId: string; contactId: string }) {
  const rows = await db
    .select({ key: topics.key, name: topics.name, subscribed: contactTopics.subscribed, updatedAt: contactTopics.updatedAt })
    .from(topics)
    .leftJoin(contactTopics, and(eq(contactTopics.topicId, topics.id), eq(contactTopics.contactId, q.contactId)))
    .where(eq(topics.workspaceId, q.workspaceId))
    .orderBy(asc(topics.name));
  return rows.map((r) => ({
    key: r.key,
    name: r.name,
    state: r.subscribed === null ? "not_asked" : r.subscribed ? "subscribed" : "unsubscribed",
    updatedAt: r.updatedAt,
  }));
}

export class UnknownTopicError extends Error {
  constructor(readonly keys: string[]) {
    super(`unknown topic${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}`);
  }
}

/**
 * Sets a contact's state per topic and records each change in the consent ledger (opt_in or
 * withdrawn, with the topic and source) in one transaction. Unchanged topics record nothing.
 * Returns the keys that changed.
 */
export async function setSubscriptions(
  db: Db,
  q: {
    workspaceId: string;
    contactId: string;
    changes: Record<string, boolean>;
    source: string;
    ip?: string | null;
    userAgent?: string | null;
    actorUserId?: string | null;
  },
): Promise<string[] | undefined> {
  const keys = Object.keys(q.changes);
  return db.transaction(async (tx) => {
    const [contact] = await tx
      .select({ id: contacts.id, email: contacts.email, status: contacts.status })
      .from(contacts)
      .where(and(eq(contacts.workspaceId, q.workspaceId), eq(contacts.id, q.contactId)))
      .for("update");
    if (!contact || contact.status === "erased") return undefined;
    if (keys.length === 0) return [];
    const found = await tx
      .select({ id: topics.id, key: topics.key, subscribed: contactTopics.subscribed })
      .from(topics)
      .leftJoin(contactTopics, and(eq(contactTopics.topicId, topics.id), eq(contactTopics.contactId, q.contactId)))
      .where(and(eq(topics.workspaceId, q.workspaceId), inArray(topics.key, keys)));
    const missing = keys.filter((k) => !found.some((f) => f.key === k));
    if (missing.length) throw new UnknownTopicError(missing);
    const changed = found.filter((f) => f.subscribed !== q.changes[f.key]);
    if (changed.length === 0) return [];
    await tx
      .insert(contactTopics)
      .values(changed.map((f) => ({ workspaceId: q.workspaceId, contactId: q.contactId, topicId: f.id, subscribed: q.changes[f.key]! })))
      .onConflictDoUpdate({
        target: [contactTopics.contactId, contactTopics.topicId],
        set: { subscribed: sql`excluded.subscribed`, updatedAt: sql`now()` },
      });
    await tx.insert(consentEvents).values(
      changed.map((f) => ({
        workspaceId: q.workspaceId,
        contactId: q.contactId,
        kind: q.changes[f.key] ? ("opt_in" as const) : ("withdrawn" as const),
        topic: f.key,
        email: contact.email,
        source: q.source,
        ip: q.ip ?? null,
        userAgent: q.userAgent ?? null,
        actorUserId: q.actorUserId ?? null,
      })),
    );
    return changed.map((f) => f.key);
  });
}
