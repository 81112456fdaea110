import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { devMailbox } from "../schema/index";

// The dev mailbox belongs to no workspace: it is the local stand-in for the mail provider.

type DevMailInput = {
  from: string;
  to: string[];
  replyTo?: string;
  subject: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  idempotencyKey?: string;
};

/** Stores a message; a repeated idempotency key returns the first message's id, as the provider does. */
export async function insertDevMail(db: Db, m: DevMailInput): Promise<string> {
  const [row] = await db
    .insert(devMailbox)
    .values({
      from: m.from,
      to: m.to,
      replyTo: m.replyTo ?? null,
      subject: m.subject,
      html: m.html ?? null,
      text: m.text ?? null,
      headers: m.headers,
      tags: m.tags,
      idempotencyKey: m.idempotencyKey ?? null,
    })
    .onConflictDoNothing({
      target: devMailbox.idempotencyKey,
      where: sql`${devMailbox.idempotencyKey} is not null`,
    })
    .returning({ id: devMailbox.id });
  if (row) return row.id;
  const [existing] = await db
    .select({ id: devMailbox.id })
    .from(devMailbox)
    .where(eq(devMailbox.idempotencyKey, m.idempotencyKey!));
  return existing!.id;
}

export async function listDevMail(db: Db, opts: { to?: string; limit?: number } = {}) {
  return db
    .select({
      id: devMailbox.id,
      from: devMailbox.from,
      to: devMailbox.to,
      subject: devMailbox.subject,
      createdAt: devMailbox.createdAt,
    })
    .from(devMailbox)
    .where(opts.to ? sql`${devMailbox.to} @> ${JSON.stringify([opts.to])}::jsonb` : undefined)
    .orderBy(desc(devMailbox.createdAt), desc(devMailbox.id))
    .limit(opts.limit ?? 100);
}

export async function getDevMail(db: Db, id: string) {
  const [row] = await db.select().from(devMailbox).where(and(eq(devMailbox.id, id)));
  return row;
}
