import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { eraseTeamNotices } from "./notifications";
import {
  consentEvents,
  contacts,
  contactTags,
  contactTopics,
  emailEvents,
  enrollments,
  enrollmentSteps,
  events,
  forms,
  messages,
  tags,
  topics,
  workspaces,
} from "../schema/index";

import type { StoredConsent } from "@/lib/consent/lifecycle";
import type { ContactStatus, LedgerEntry, LedgerKind } from "@/lib/consent/rules";

export type ConsentEventInsert = typeof consentEvents.$inferInsert;
export type ConsentEventRow = typeof consentEvents.$inferSelect;

export async function appendConsentEvents(db: Db, rows: ConsentEventInsert[]): Promise<{ id: string }[]> {
  if (rows.length === 0) return [];
  return db.insert(consentEvents).values(rows).returning({ id: consentEvents.id });
}

/**
 * The list-wide ledger as the consent rules read it, oldest first, each entry with its id (the
 * receipt a message records names one): an opt-in recorded with double opt-in off reads as
 * `single_opt_in` (it needs no confirmation).
 */
export async function ledgerForRules(db: Db, q: { workspaceId: string; contactId: string }): Promise<LedgerEntry[]> {
  const rows = await db
    .select({ id: consentEvents.id, kind: consentEvents.kind, single: sql<boolean>`coalesce((${consentEvents.data} ->> 'double_opt_in') = 'false', false)` })
    .from(consentEvents)
    .where(and(eq(consentEvents.workspaceId, q.workspaceId), eq(consentEvents.contactId, q.contactId), sql`${consentEvents.topic} is null`))
    .orderBy(asc(consentEvents.occurredAt), asc(consentEvents.id));
  return rows.map((r) => ({ id: r.id, kind: r.kind === "opt_in" && r.single ? ("single_opt_in" as const) : r.kind }));
}

/**
 * What an opt-in or a withdrawal is decided from (lib/consent/lifecycle.ts), in one statement: the
 * workspace's double opt-in default, the contact's status and address, and the list-wide ledger
 * as ledgerForRules reads it. Nulls where the workspace or the contact does not exist.
 */
export async function consentFacts(db: Db, q: { workspaceId: string; contactId: string }): Promise<StoredConsent> {
  const rows = await db.execute<{ double_opt_in_default: boolean; status: ContactStatus | null; email: string | null; ledger: LedgerKind[] }>(sql`
    select w.double_opt_in_default, c.status, c.email,
      coalesce((
        select json_agg(case when e.kind = 'opt_in' and coalesce((e.data ->> 'double_opt_in') = 'false', false) then 'single_opt_in' else e.kind::text end
                        order by e.occurred_at, e.id)
        from ${consentEvents} e
        where e.workspace_id = w.id and e.contact_id = ${q.contactId}::uuid and e.topic is null
      ), '[]'::json) as ledger
    from ${workspaces} w
    left join ${contacts} c on c.workspace_id = w.id and c.id = ${q.contactId}::uuid
    where w.id = ${q.workspaceId}::uuid`);
  const r = rows[0];
  if (!r) return { doubleOptInDefault: null, contact: null, ledger: [] };
  return { doubleOptInDefault: r.double_opt_in_default, contact: r.status && r.email ? { status: r.status, email: r.email } : null, ledger: r.ledger };
}

/** The whole ledger of a contact, newest first, every field, with the form's current name (the consent history view). */
export async function consentLedger(db: Db, q: { workspaceId: string; contactId: string }) {
  const rows = await db
    .select({ event: consentEvents, formName: forms.name })
    .from(consentEvents)
    .leftJoin(forms, and(eq(forms.id, consentEvents.formId), eq(forms.workspaceId, consentEvents.workspaceId)))
    .where(and(eq(consentEvents.workspaceId, q.workspaceId), eq(consentEvents.contactId, q.contactId)))
    .orderBy(desc(consentEvents.occurredAt), desc(consentEvents.id));
  return rows.map((r) => ({ ...r.event, formName: r.formName }));
}

export async function getConsentEvent(db: Db, q: { workspaceId: string; eventId: string }) {
  const [row] = await db
    .select()
    .from(consentEvents)
    .where(and(eq(consentEvents.workspaceId, q.workspaceId), eq(consentEvents.id, q.eventId)));
  return row;
}

/** Was this opt-in already confirmed? (A replayed confirmation link then changes nothing.) */
export async function confirmationOf(db: Db, q: { workspaceId: string; contactId: string; optInEventId: string }) {
  const [row] = await db
    .select({ id: consentEvents.id })
    .from(consentEvents)
    .where(
      and(
        eq(consentEvents.workspaceId, q.workspaceId),
        eq(consentEvents.contactId, q.contactId),
        eq(consentEvents.kind, "confirmed"),
        sql`${consentEvents.data} ->> 'opt_in_event_id' = ${q.optInEventId}`,
      ),
    )
    .limit(1);
  return row;
}

export async function workspaceForConsent(db: Db, q: { workspaceId: string }) {
  const [row] = await db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      secret: workspaces.secret,
      doubleOptInDefault: workspaces.doubleOptInDefault,
      fromName: workspaces.fromName,
      fromEmail: workspaces.fromEmail,
      replyTo: workspaces.replyTo,
      postalAddress: workspaces.postalAddress,
    })
    .from(workspaces)
    .where(eq(workspaces.id, q.workspaceId));
  return row;
}

export async function findContactByEmail(db: Db, q: { workspaceId: string; email: string }) {
  const [row] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.workspaceId, q.workspaceId), sql`lower(${contacts.email}) = lower(${q.email})`));
  return row;
}

/**
 * Creates the contact of a signup, or fills in what the form adds to an existing one (names only
 * where empty or given, attributes merged). Returns the row and whether it is new.
 */
export async function upsertSignupContact(
  db: Db,
  q: {
    workspaceId: string;
    email: string;
    firstName: string | null;
    lastName: string | null;
    attributes: Record<string, string | number | boolean>;
    source: string;
  },
) {
  const inserted = await db
    .insert(contacts)
    .values({
      workspaceId: q.workspaceId,
      email: q.email,
      firstName: q.firstName,
      lastName: q.lastName,
      attributes: q.attributes,
      status: "unconfirmed",
      source: q.source,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return { contact: inserted[0], created: true };
  const [updated] = await db
    .update(contacts)
    .set({
      firstName: q.firstName ? q.firstName : sql`${contacts.firstName}`,
      lastName: q.lastName ? q.lastName : sql`${contacts.lastName}`,
      attributes: sql`${contacts.attributes} || ${JSON.stringify(q.attributes)}::jsonb`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(contacts.workspaceId, q.workspaceId), sql`lower(${contacts.email}) = lower(${q.email})`))
    .returning();
  return { contact: updated!, created: false };
}

export async function setContactStatus(
  db: Db,
  q: { workspaceId: string; contactId: string; status: (typeof contacts.$inferSelect)["status"]; onlyFrom?: (typeof contacts.$inferSelect)["status"][] },
) {
  const [row] = await db
    .update(contacts)
    .set({ status: q.status, updatedAt: sql`now()` })
    .where(
      and(
        eq(contacts.workspaceId, q.workspaceId),
        eq(contacts.id, q.contactId),
        q.onlyFrom ? inArray(contacts.status, q.onlyFrom) : undefined,
      ),
    )
    .returning({ id: contacts.id, status: contacts.status });
  return row;
}

// ---------------------------------------------------------------- topics

export async function listTopics(db: Db, q: { workspaceId: string }) {
  return db.select().from(topics).where(eq(topics.workspaceId, q.workspaceId)).orderBy(asc(topics.name));
}

export class TopicExistsError extends Error {}

export async function createTopic(db: Db, q: { workspaceId: string; key: string; name: string; description: string }) {
  const [row] = await db.insert(topics).values(q).onConflictDoNothing().returning({ id: topics.id });
  if (!row) throw new TopicExistsError(`a topic with the key "${q.key}" already exists`);
  return row;
}

export async function updateTopic(db: Db, q: { workspaceId: string; topicId: string; name: string; description: string }) {
  const [row] = await db
    .update(topics)
    .set({ name: q.name, description: q.description })
    .where(and(eq(topics.workspaceId, q.workspaceId), eq(topics.id, q.topicId)))
    .returning({ id: topics.id });
  return row;
}

export async function deleteTopic(db: Db, q: { workspaceId: string; topicId: string }) {
  const [row] = await db
    .delete(topics)
    .where(and(eq(topics.workspaceId, q.workspaceId), eq(topics.id, q.topicId)))
    .returning({ id: topics.id, key: topics.key });
  return row;
}

/** Subscriber counts per topic (subscribed / left). */
export async function topicCounts(db: Db, q: { workspaceId: string }) {
  const rows = await db
    .select({ topicId: contactTopics.topicId, subscribed: contactTopics.subscribed, n: sql<number>`count(*)::int` })
    .from(contactTopics)
    .where(eq(contactTopics.workspaceId, q.workspaceId))
    .groupBy(contactTopics.topicId, contactTopics.subscribed);
  const out = new Map<string, { subscribed: number; left: number }>();
  for (const r of rows) {
    const c = out.get(r.topicId) ?? { subscribed: 0, left: 0 };
    if (r.subscribed) c.subscribed += r.n;
    else c.left += r.n;
    out.set(r.topicId, c);
  }
  return out;
}

/** Every topic of the workspace with this contact's state in it (null: never asked). */
export async function contactTopicStates(db: Db, q: { workspaceId: string; contactId: string }) {
  return db
    .select({ id: topics.id, key: topics.key, name: topics.name, description: topics.description, subscribed: contactTopics.subscribed })
    .from(topics)
    .leftJoin(contactTopics, and(eq(contactTopics.topicId, topics.id), eq(contactTopics.contactId, q.contactId), eq(contactTopics.workspaceId, q.workspaceId)))
    .where(eq(topics.workspaceId, q.workspaceId))
    .orderBy(asc(topics.name));
}

export async function topicStateByKey(db: Db, q: { workspaceId: string; contactId: string; key: string }): Promise<boolean | null> {
  const [row] = await db
    .select({ subscribed: contactTopics.subscribed })
    .from(contactTopics)
    .innerJoin(topics, and(eq(topics.id, contactTopics.topicId), eq(topics.workspaceId, contactTopics.workspaceId)))
    .where(and(eq(contactTopics.workspaceId, q.workspaceId), eq(contactTopics.contactId, q.contactId), eq(topics.key, q.key)));
  return row ? row.subscribed : null;
}

/** Sets a contact's state in topics by key; returns the keys whose state changed. Unknown keys are ignored. */
export async function setContactTopics(db: Db, q: { workspaceId: string; contactId: string; keys: string[]; subscribed: boolean }): Promise<string[]> {
  if (q.keys.length === 0) return [];
  const known = await db
    .select({ id: topics.id, key: topics.key })
    .from(topics)
    .where(and(eq(topics.workspaceId, q.workspaceId), inArray(topics.key, q.keys)));
  if (known.length === 0) return [];
  const changed = await db
    .insert(contactTopics)
    .values(known.map((t) => ({ workspaceId: q.workspaceId, contactId: q.contactId, topicId: t.id, subscribed: q.subscribed })))
    .onConflictDoUpdate({
      target: [contactTopics.contactId, contactTopics.topicId],
      set: { subscribed: q.subscribed, updatedAt: sql`now()` },
      setWhere: sql`${contactTopics.subscribed} is distinct from ${q.subscribed}`,
    })
    .returning({ topicId: contactTopics.topicId });
  const ids = new Set(changed.map((c) => c.topicId));
  return known.filter((t) => ids.has(t.id)).map((t) => t.key);
}

// ---------------------------------------------------------------- unsubscribe tokens

/** The message an unsubscribe token was minted for (tokens are global and random: no workspace to scope by). */
export async function messageByUnsubscribeToken(db: Db, q: { token: string }) {
  const [row] = await db
    .select({ id: messages.id, workspaceId: messages.workspaceId, contactId: messages.contactId, templateId: messages.templateId, flowId: messages.flowId })
    .from(messages)
    .where(eq(messages.unsubscribeToken, q.token));
  return row;
}

// ---------------------------------------------------------------- GDPR

/** Everything held about one contact, for an access request. */
export async function contactDataExport(db: Db, q: { workspaceId: string; contactId: string }) {
  const scope = (t: { workspaceId: typeof contacts.workspaceId }) => eq(t.workspaceId, q.workspaceId);
  const [contact] = await db.select().from(contacts).where(and(scope(contacts), eq(contacts.id, q.contactId)));
  if (!contact) return undefined;
  const [tagRows, topicRows, ledger, eventRows, messageRows, emailEventRows, enrollmentRows] = await Promise.all([
    db
      .select({ name: tags.name, addedAt: contactTags.createdAt })
      .from(contactTags)
      .innerJoin(tags, and(eq(tags.id, contactTags.tagId), eq(tags.workspaceId, contactTags.workspaceId)))
      .where(and(eq(contactTags.workspaceId, q.workspaceId), eq(contactTags.contactId, q.contactId))),
    db
      .select({ key: topics.key, name: topics.name, subscribed: contactTopics.subscribed, updatedAt: contactTopics.updatedAt })
      .from(contactTopics)
      .innerJoin(topics, and(eq(topics.id, contactTopics.topicId), eq(topics.workspaceId, contactTopics.workspaceId)))
      .where(and(eq(contactTopics.workspaceId, q.workspaceId), eq(contactTopics.contactId, q.contactId))),
    db
      .select()
      .from(consentEvents)
      .where(and(eq(consentEvents.workspaceId, q.workspaceId), eq(consentEvents.contactId, q.contactId)))
      .orderBy(asc(consentEvents.occurredAt)),
    db.select().from(events).where(and(eq(events.workspaceId, q.workspaceId), eq(events.contactId, q.contactId))).orderBy(asc(events.occurredAt)),
    db
      .select({
        id: messages.id,
        class: messages.class,
        toEmail: messages.toEmail,
        subject: messages.subject,
        status: messages.status,
        flowId: messages.flowId,
        sentAt: messages.sentAt,
        createdAt: messages.createdAt,
        consentEventId: messages.consentEventId,
        permissionBasis: messages.permissionBasis,
        eventKind: consentEvents.kind,
        eventAt: consentEvents.occurredAt,
        eventSource: consentEvents.source,
        eventFormId: consentEvents.formId,
        eventFormVersion: consentEvents.formVersion,
      })
      .from(messages)
      .leftJoin(consentEvents, and(eq(consentEvents.id, messages.consentEventId), eq(consentEvents.workspaceId, messages.workspaceId)))
      .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.contactId, q.contactId)))
      .orderBy(asc(messages.createdAt)),
    db
      .select({
        messageId: emailEvents.messageId,
        type: emailEvents.type,
        url: emailEvents.url,
        ip: emailEvents.ip,
        userAgent: emailEvents.userAgent,
        occurredAt: emailEvents.occurredAt,
      })
      .from(emailEvents)
      .where(and(eq(emailEvents.workspaceId, q.workspaceId), eq(emailEvents.contactId, q.contactId)))
      .orderBy(asc(emailEvents.occurredAt)),
    db
      .select({
        id: enrollments.id,
        flowId: enrollments.flowId,
        status: enrollments.status,
        trigger: enrollments.trigger,
        enteredAt: enrollments.enteredAt,
        finishedAt: enrollments.finishedAt,
        exitReason: enrollments.exitReason,
      })
      .from(enrollments)
      .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.contactId, q.contactId))),
  ]);
  return {
    contact,
    tags: tagRows,
    topics: topicRows,
    consent: ledger,
    events: eventRows,
    // Each message with its consent receipt: the ledger entry that permitted it (as the ledger holds it now) or why it needed none.
    messages: messageRows.map(({ consentEventId, permissionBasis, eventKind, eventAt, eventSource, eventFormId, eventFormVersion, ...m }) => ({
      ...m,
      receipt: {
        consentEventId,
        permissionBasis,
        consentEvent:
          eventKind && eventAt && eventSource !== null
            ? { kind: eventKind, occurredAt: eventAt, source: eventSource, formId: eventFormId, formVersion: eventFormVersion }
            : null,
      },
    })),
    emailEvents: emailEventRows,
    enrollments: enrollmentRows,
  };
}

/**
 * Erases a contact's personal data in one transaction: the contact row keeps only its id, status
 * `erased` and timestamps (so ledger, message and enrollment references stay valid); the ledger's
 * rows keep their skeleton (kind, topic, source, form and version, time) with address, IP, user
 * agent, actor and data removed; tracked events, tags and topic states are deleted; messages,
 * engagement and run traces lose addresses, subjects, IPs and payloads. Returns the address
 * that was erased (the caller keeps its HMAC in suppressions).
 */
export async function eraseContactData(db: Db, q: { workspaceId: string; contactId: string; at: Date }) {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ email: contacts.email, status: contacts.status })
      .from(contacts)
      .where(and(eq(contacts.workspaceId, q.workspaceId), eq(contacts.id, q.contactId)))
      .for("update");
    if (!before) return undefined;
    const placeholder = `erased-${q.contactId}@erased.invalid`;
    await tx
      .update(contacts)
      .set({
        email: placeholder,
        externalId: null,
        firstName: null,
        lastName: null,
        timeZone: null,
        attributes: {},
        status: "erased",
        updatedAt: q.at,
      })
      .where(and(eq(contacts.workspaceId, q.workspaceId), eq(contacts.id, q.contactId)));
    await tx
      .update(consentEvents)
      .set({ email: null, ip: null, userAgent: null, actorUserId: null, data: {} })
      .where(and(eq(consentEvents.workspaceId, q.workspaceId), eq(consentEvents.contactId, q.contactId)));
    await tx.delete(events).where(and(eq(events.workspaceId, q.workspaceId), eq(events.contactId, q.contactId)));
    await tx.delete(contactTags).where(and(eq(contactTags.workspaceId, q.workspaceId), eq(contactTags.contactId, q.contactId)));
    await tx.delete(contactTopics).where(and(eq(contactTopics.workspaceId, q.workspaceId), eq(contactTopics.contactId, q.contactId)));
    await tx
      .update(messages)
      .set({ toEmail: placeholder, subject: "(erased)", error: null, unsubscribeToken: null })
      .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.contactId, q.contactId)));
    await tx
      .update(emailEvents)
      .set({ ip: null, userAgent: null, url: null, data: {} })
      .where(and(eq(emailEvents.workspaceId, q.workspaceId), eq(emailEvents.contactId, q.contactId)));
    await tx
      .update(enrollments)
      .set({ trigger: {} })
      .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.contactId, q.contactId)));
    await tx
      .update(enrollmentSteps)
      .set({ detail: "(erased)" })
      .where(and(eq(enrollmentSteps.workspaceId, q.workspaceId), eq(enrollmentSteps.contactId, q.contactId)));
    await eraseTeamNotices(tx, q);
    await tx.insert(consentEvents).values({ workspaceId: q.workspaceId, contactId: q.contactId, kind: "erased", source: "erasure_request", occurredAt: q.at });
    return { email: before.email, previousStatus: before.status };
  });
}
