import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { emailEvents, messages, templates } from "../schema/index";

export async function getTemplate(db: Db, q: { workspaceId: string; templateId: string }) {
  const [row] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.workspaceId, q.workspaceId), eq(templates.id, q.templateId)));
  return row;
}

export type MessageRow = typeof messages.$inferSelect;

/**
 * The messages row for one send, created before the provider call so its unsubscribe token is
 * in the mail; a retried step finds the same row by idempotency key and reuses the token.
 */
export async function claimMessage(
  db: Db,
  q: {
    workspaceId: string;
    idempotencyKey: string;
    contactId: string;
    templateId: string | null;
    flowId: string | null;
    enrollmentId: string | null;
    nodeId: string | null;
    class: "marketing" | "transactional";
    toEmail: string;
    subject: string;
    unsubscribeToken: string | null;
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

export async function markMessage(
  db: Db,
  q: { workspaceId: string; messageId: string; status: "sent" | "failed" | "suppressed"; providerMessageId?: string; error?: string; at: Date },
): Promise<void> {
  await db
    .update(messages)
    .set({
      status: q.status,
      providerMessageId: q.providerMessageId ?? null,
      error: q.error ?? null,
      sentAt: q.status === "sent" ? q.at : null,
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
