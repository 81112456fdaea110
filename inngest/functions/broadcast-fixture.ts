import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { broadcasts, consentEvents, contacts, segmentMemberships, segments, templates, templateVersions, workspaces } from "@/db/schema/index";
import type { Audience } from "@/lib/broadcasts/audience";
import { now } from "@/lib/clock";

/**
 * Broadcasts ready to send, for the sending tests and the benchmark: contacts with a confirmed
 * opt-in in a segment, a template pinned as a version, and a scheduled broadcast to the segment
 * (what scheduling leaves behind; the schedule transition itself is tested with it).
 */

/** `n` subscribed, confirmed contacts in a new segment, inserted set-based (100k in seconds). */
export async function seedAudience(db: Db, q: { workspaceId: string; n: number; prefix?: string }) {
  const [segment] = await db.insert(segments).values({ workspaceId: q.workspaceId, name: `Audience ${q.prefix ?? ""}`, definition: {} }).returning({ id: segments.id });
  const prefix = q.prefix ?? "r";
  await db.execute(sql`
    insert into ${contacts} (workspace_id, email, first_name, status, source)
    select ${q.workspaceId}::uuid, ${prefix} || '-' || g || '@example.com', 'Reader' || g, 'subscribed', 'manual' from generate_series(1, ${q.n}) g`);
  await db.execute(sql`
    insert into ${consentEvents} (workspace_id, contact_id, kind, email, source)
    select c.workspace_id, c.id, 'confirmed', c.email, 'api' from ${contacts} c
    where c.workspace_id = ${q.workspaceId}::uuid and c.email like ${`${prefix}-%`}`);
  await db.execute(sql`
    insert into ${segmentMemberships} (workspace_id, segment_id, contact_id)
    select c.workspace_id, ${segment!.id}::uuid, c.id from ${contacts} c
    where c.workspace_id = ${q.workspaceId}::uuid and c.email like ${`${prefix}-%`}`);
  return { segmentId: segment!.id };
}

/** The sending pace: requests per second (1000: the most a plan allows). */
export async function setPace(db: Db, workspaceId: string, requestsPerSecond: number) {
  await db.update(workspaces).set({ sendingPolicy: { pace: { requestsPerSecond } } }).where(eq(workspaces.id, workspaceId));
}

/** A template, its version 1 pinned, and a broadcast scheduled at `scheduledAt` (default: now). */
export async function scheduledBroadcast(
  db: Db,
  q: { workspaceId: string; audience: Audience; name?: string; subject?: string | null; scheduledAt?: Date; topic?: string | null; bypassCaps?: boolean },
) {
  const content = {
    name: "March news",
    class: "marketing" as const,
    topic: q.topic ?? null,
    subject: "News for {{ contact.first_name }}",
    preheader: "What is new",
    body: { html: '<p>Hi {{ contact.first_name }}</p><p><a href="https://shop.example/sale">Sale</a></p><p><a href="{{ view_url }}">View</a></p>', text: "Hi {{ contact.first_name }}" },
  };
  const [template] = await db.insert(templates).values({ workspaceId: q.workspaceId, ...content }).returning({ id: templates.id });
  const [version] = await db
    .insert(templateVersions)
    .values({ workspaceId: q.workspaceId, templateId: template!.id, number: 1, hash: "fixture", ...content })
    .returning({ id: templateVersions.id });
  const [b] = await db
    .insert(broadcasts)
    .values({
      workspaceId: q.workspaceId,
      name: q.name ?? "March news",
      status: "scheduled",
      templateId: template!.id,
      templateVersionId: version!.id,
      subject: q.subject === undefined ? "March news for {{ contact.first_name }}" : q.subject,
      audience: q.audience,
      bypassCaps: q.bypassCaps ?? false,
      scheduledAt: q.scheduledAt ?? now(),
    })
    .returning({ id: broadcasts.id });
  return { broadcastId: b!.id, templateId: template!.id, versionId: version!.id };
}

/** The event scheduling writes to the outbox (`broadcast:<id>:send:<attempt>`). */
export const sendRequested = (workspaceId: string, broadcastId: string, attempt = 0) => ({
  id: `broadcast:${broadcastId}:send:${attempt}`,
  name: "broadcast/send.requested",
  data: { workspaceId, broadcastId, attempt },
});
