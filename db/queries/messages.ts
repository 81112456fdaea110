import { and, desc, eq, gt, gte, inArray, isNotNull, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { consentEvents, contacts, emailEvents, flows, forms, messages, workspaces } from "../schema/index";
import type { ReceiptFacts } from "@/lib/consent/receipt";

export type MessageRow = typeof messages.$inferSelect;

/**
 * The messages row for one send, created before the provider call so its unsubscribe token is
 * in the mail; a retried step finds the same row by idempotency key and reuses the token. Every
 * row records its consent receipt (the ledger event that permitted it, or none, and the basis:
 * "consent" or "transactional: <why>"); `subject` is the template's until the send stores the
 * rendered one (markMessage).
 */
export async function claimMessage(
  db: Db,
  q: {
    workspaceId: string;
    idempotencyKey: string;
    contactId: string;
    templateId: string | null;
    /** The pinned template version the message is rendered from (flow sends). */
    templateVersionId?: string | null;
    flowId: string | null;
    enrollmentId: string | null;
    nodeId: string | null;
    class: "marketing" | "transactional";
    toEmail: string;
    subject: string;
    unsubscribeToken: string | null;
    consentEventId: string | null;
    permissionBasis: string;
  },
): Promise<MessageRow> {
  const { workspaceId, idempotencyKey, ...rest } = q;
  await db
    .insert(messages)
    .values({ workspaceId, idempotencyKey, ...rest, status: "queued" })
    .onConflictDoNothing({
      target: [messages.workspaceId, messages.idempotencyKey],
      where: sql`${messages.idempotencyKey} is not null`,
    });
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.idempotencyKey, idempotencyKey)));
  return row!;
}

/**
 * A send's outcome. `subject`: the rendered subject, as the contact saw it. `receipt`: the consent
 * check this attempt made right before the hand-off (a retry may run days after the claim).
 */
export async function markMessage(
  db: Db,
  q: {
    workspaceId: string;
    messageId: string;
    status: "sent" | "failed" | "suppressed";
    providerMessageId?: string;
    error?: string;
    at: Date;
    subject?: string;
    receipt?: { consentEventId: string | null; permissionBasis: string };
  },
): Promise<void> {
  await db
    .update(messages)
    .set({
      status: q.status,
      providerMessageId: q.providerMessageId ?? null,
      error: q.error ?? null,
      sentAt: q.status === "sent" ? q.at : null,
      ...(q.subject !== undefined ? { subject: q.subject } : {}),
      ...(q.receipt ? { consentEventId: q.receipt.consentEventId, permissionBasis: q.receipt.permissionBasis } : {}),
    })
    .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.id, q.messageId)));
}

/**
 * Human opens and clicks of a contact's mail, for conditions: machine activity (scanners,
 * privacy proxies) is left out. `sendNodeId` is set only for mail this enrollment sent.
 */
export async function contactEngagement(
  db: Db,
  q: { workspaceId: string; contactId: string; enrollmentId: string; upTo: Date },
) {
  const rows = await db
    .select({
      type: emailEvents.type,
      occurredAt: emailEvents.occurredAt,
      templateId: messages.templateId,
      enrollmentId: messages.enrollmentId,
      nodeId: messages.nodeId,
    })
    .from(emailEvents)
    .innerJoin(messages, and(eq(messages.id, emailEvents.messageId), eq(messages.workspaceId, emailEvents.workspaceId)))
    .where(
      and(
        eq(emailEvents.workspaceId, q.workspaceId),
        eq(emailEvents.contactId, q.contactId),
        inArray(emailEvents.type, ["opened", "clicked"]),
        eq(emailEvents.machine, false),
        lte(emailEvents.occurredAt, q.upTo),
      ),
    )
    .limit(5000);
  return rows.map((r) => ({
    action: r.type as "opened" | "clicked",
    at: r.occurredAt.getTime(),
    templateId: r.templateId,
    sendNodeId: r.enrollmentId === q.enrollmentId ? r.nodeId : null,
  }));
}

/** What a send needs from the workspace and flow beyond consent facts: policy, secret, flow name. */
export async function sendingContext(db: Db, q: { workspaceId: string; flowId: string | null }) {
  const [ws] = await db
    .select({ sendingPolicy: workspaces.sendingPolicy, secret: workspaces.secret })
    .from(workspaces)
    .where(eq(workspaces.id, q.workspaceId));
  if (!ws) return undefined;
  let flowName: string | null = null;
  if (q.flowId) {
    const [f] = await db.select({ name: flows.name }).from(flows).where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)));
    flowName = f?.name ?? null;
  }
  return { ...ws, flowName };
}

/** Epoch ms of a contact's marketing messages sent since `since` (for the frequency cap). */
export async function recentMarketingSends(db: Db, q: { workspaceId: string; contactId: string; since: Date }): Promise<number[]> {
  const rows = await db
    .select({ sentAt: messages.sentAt })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, q.workspaceId),
        eq(messages.contactId, q.contactId),
        eq(messages.class, "marketing"),
        isNotNull(messages.sentAt),
        gt(messages.sentAt, q.since),
      ),
    )
    .orderBy(desc(messages.sentAt))
    .limit(200);
  return rows.map((r) => r.sentAt!.getTime());
}

export async function getMessage(db: Db, q: { workspaceId: string; messageId: string }) {
  const [row] = await db.select().from(messages).where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.id, q.messageId)));
  return row;
}

/** The message a provider event is about, by the provider's id (the webhook knows nothing else). */
export async function messageByProviderId(db: Db, providerMessageId: string) {
  const [row] = await db.select().from(messages).where(eq(messages.providerMessageId, providerMessageId));
  return row;
}

/** When the provider reported the message delivered, if it did. */
export async function deliveredAt(db: Db, q: { workspaceId: string; messageId: string }): Promise<Date | null> {
  const [row] = await db
    .select({ at: emailEvents.occurredAt })
    .from(emailEvents)
    .where(and(eq(emailEvents.workspaceId, q.workspaceId), eq(emailEvents.messageId, q.messageId), eq(emailEvents.type, "delivered")))
    .limit(1);
  return row?.at ?? null;
}

/** Clicks recorded on a message since `since` (click-burst detection). */
export async function recentClickCount(db: Db, q: { workspaceId: string; messageId: string; since: Date }): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(emailEvents)
    .where(
      and(
        eq(emailEvents.workspaceId, q.workspaceId),
        eq(emailEvents.messageId, q.messageId),
        eq(emailEvents.type, "clicked"),
        gte(emailEvents.occurredAt, q.since),
      ),
    );
  return row?.n ?? 0;
}

export type EmailEventType = (typeof emailEvents.$inferInsert)["type"];

/** Stores one email event; false when its dedupe key was seen before (a replay). */
export async function insertEmailEvent(
  db: Db,
  e: {
    workspaceId: string;
    messageId: string;
    contactId: string | null;
    type: EmailEventType;
    dedupeKey: string;
    machine: boolean;
    url?: string | null;
    ip?: string | null;
    userAgent?: string | null;
    data?: Record<string, unknown>;
    occurredAt: Date;
  },
): Promise<boolean> {
  const rows = await db
    .insert(emailEvents)
    .values({ ...e, url: e.url ?? null, ip: e.ip ?? null, userAgent: e.userAgent ?? null, data: e.data ?? {} })
    .onConflictDoNothing({ target: [emailEvents.workspaceId, emailEvents.dedupeKey] })
    .returning({ id: emailEvents.id });
  return rows.length > 0;
}

const STATUS_RANK: Record<string, number> = { queued: 0, sent: 1, delayed: 2, delivered: 3, failed: 4, suppressed: 4, bounced: 5, complained: 6 };

/** Moves a message's status forward (a late "delivered" never hides a bounce). */
export async function advanceMessageStatus(
  db: Db,
  q: { workspaceId: string; messageId: string; status: "delivered" | "delayed" | "bounced" | "complained" | "failed" | "suppressed" },
): Promise<void> {
  const lower = Object.entries(STATUS_RANK)
    .filter(([, r]) => r < STATUS_RANK[q.status]!)
    .map(([s]) => s as MessageRow["status"]);
  await db
    .update(messages)
    .set({ status: q.status })
    .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.id, q.messageId), inArray(messages.status, lower)));
}

/**
 * A hard bounce or a complaint: the address is suppressed elsewhere (db/queries/suppressions);
 * here the contact's status changes and the withdrawal is appended to the consent ledger.
 */
export async function recordDeliveryFeedback(
  db: Db,
  q: { workspaceId: string; contactId: string; kind: "bounced" | "complained"; email: string; messageId: string; at: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(contacts)
      .set({ status: q.kind, updatedAt: q.at })
      .where(and(eq(contacts.workspaceId, q.workspaceId), eq(contacts.id, q.contactId), sql`${contacts.status} <> 'erased'`));
    await tx.insert(consentEvents).values({
      workspaceId: q.workspaceId,
      contactId: q.contactId,
      kind: q.kind === "complained" ? "complaint" : "withdrawn",
      topic: null,
      email: q.email,
      source: "webhook",
      data: { reason: q.kind === "complained" ? "spam complaint" : "hard bounce", messageId: q.messageId },
      occurredAt: q.at,
    });
  });
}

/** Stored events of one message (tests, the message view). */
export async function messageEvents(db: Db, q: { workspaceId: string; messageId: string }) {
  return db
    .select()
    .from(emailEvents)
    .where(and(eq(emailEvents.workspaceId, q.workspaceId), eq(emailEvents.messageId, q.messageId)))
    .orderBy(emailEvents.occurredAt);
}

/**
 * A message the provider never took (a send that waited out a rate limit or outage for longer than
 * its flow allows): still queued under its idempotency key, it is marked failed with the reason.
 * A message already sent or failed is left as it is.
 */
export async function failQueuedMessage(db: Db, q: { workspaceId: string; idempotencyKey: string; error: string }): Promise<void> {
  await db
    .update(messages)
    .set({ status: "failed", error: q.error })
    .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.idempotencyKey, q.idempotencyKey), eq(messages.status, "queued")));
}

// ---------------------------------------------------------------- consent receipts

/** A message's receipt columns and the ledger entry they name (as the ledger holds it now), with the form's current name. */
const receiptColumns = {
  consentEventId: messages.consentEventId,
  permissionBasis: messages.permissionBasis,
  eventKind: consentEvents.kind,
  eventAt: consentEvents.occurredAt,
  eventSource: consentEvents.source,
  eventFormId: consentEvents.formId,
  eventFormVersion: consentEvents.formVersion,
  eventIp: consentEvents.ip,
  formName: forms.name,
};

type ReceiptColumns = {
  consentEventId: string | null;
  permissionBasis: string | null;
  eventKind: (typeof consentEvents.$inferSelect)["kind"] | null;
  eventAt: Date | null;
  eventSource: string | null;
  eventFormId: string | null;
  eventFormVersion: string | null;
  eventIp: string | null;
  formName: string | null;
};

function receiptOf(r: ReceiptColumns): ReceiptFacts {
  return {
    permissionBasis: r.permissionBasis,
    consentEventId: r.consentEventId,
    event:
      r.eventKind !== null && r.eventAt !== null && r.eventSource !== null
        ? { kind: r.eventKind, occurredAt: r.eventAt, source: r.eventSource, formId: r.eventFormId, formName: r.formName, formVersion: r.eventFormVersion, ip: r.eventIp }
        : null,
  };
}

const joinReceiptEvent = and(eq(consentEvents.id, messages.consentEventId), eq(consentEvents.workspaceId, messages.workspaceId));
const joinReceiptForm = and(eq(forms.id, consentEvents.formId), eq(forms.workspaceId, consentEvents.workspaceId));

/** One message for its page: the row, its consent receipt, its flow's name and its contact's address and status. */
export async function messageDetail(db: Db, q: { workspaceId: string; messageId: string }) {
  const [row] = await db
    .select({
      message: messages,
      ...receiptColumns,
      flowName: flows.name,
      contactEmail: contacts.email,
      contactStatus: contacts.status,
    })
    .from(messages)
    .leftJoin(consentEvents, joinReceiptEvent)
    .leftJoin(forms, joinReceiptForm)
    .leftJoin(flows, and(eq(flows.id, messages.flowId), eq(flows.workspaceId, messages.workspaceId)))
    .leftJoin(contacts, and(eq(contacts.id, messages.contactId), eq(contacts.workspaceId, messages.workspaceId)))
    .where(and(eq(messages.workspaceId, q.workspaceId), eq(messages.id, q.messageId)));
  if (!row) return undefined;
  return { ...row.message, receipt: receiptOf(row), flowName: row.flowName, contact: row.contactEmail ? { email: row.contactEmail, status: row.contactStatus! } : null };
}

/** The consent receipts of these messages of the workspace, by message id (the contact's timeline). */
export async function messageReceipts(db: Db, q: { workspaceId: string; messageIds: string[] }): Promise<Map<string, ReceiptFacts>> {
  if (q.messageIds.length === 0) return new Map();
  const rows = await db
    .select({ id: messages.id, ...receiptColumns })
    .from(messages)
    .leftJoin(consentEvents, joinReceiptEvent)
    .leftJoin(forms, joinReceiptForm)
    .where(and(eq(messages.workspaceId, q.workspaceId), inArray(messages.id, q.messageIds)));
  return new Map(rows.map((r) => [r.id, receiptOf(r)]));
}

/**
 * The latest messages one flow node created in [from, to), newest first, with their receipts (the
 * message report's list; each links to the message's page): backwards along the (flow, node,
 * created_at) index, so the work is the page's rows whatever the workspace's or the node's volume.
 * Figures: docs/reports.md.
 */
export async function nodeMessages(db: Db, q: { workspaceId: string; flowId: string; nodeId: string; from: Date; to: Date; limit: number }) {
  const found = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, q.workspaceId),
        eq(messages.flowId, q.flowId),
        eq(messages.nodeId, q.nodeId),
        gte(messages.createdAt, q.from),
        lt(messages.createdAt, q.to),
      ),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(q.limit);
  if (found.length === 0) return [];
  const rowsFound = await db
    .select({
      id: messages.id,
      contactId: messages.contactId,
      toEmail: messages.toEmail,
      subject: messages.subject,
      status: messages.status,
      sentAt: messages.sentAt,
      createdAt: messages.createdAt,
      ...receiptColumns,
    })
    .from(messages)
    .leftJoin(consentEvents, joinReceiptEvent)
    .leftJoin(forms, joinReceiptForm)
    .where(and(eq(messages.workspaceId, q.workspaceId), inArray(messages.id, found.map((f) => f.id))))
    .orderBy(desc(messages.createdAt), desc(messages.id));
  return rowsFound.map((r) => ({
    id: r.id,
    contactId: r.contactId,
    toEmail: r.toEmail,
    subject: r.subject,
    status: r.status,
    sentAt: r.sentAt,
    createdAt: r.createdAt,
    receipt: receiptOf(r),
  }));
}
