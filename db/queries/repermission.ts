import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { repermissionAsks, repermissionRequests } from "../schema/index";
import { normalizeAddress, suppressionsFor } from "./suppressions";

/**
 * Re-permission (docs/forms-and-consent.md#re-permission): a request lists the unconfirmed
 * contacts of an import, a segment or an API call once, then they are asked in batches; each ask
 * row ends `asked` or `skipped` (with the reason), and `confirmed_at` is set when that contact
 * confirms through the request's link.
 */

export type RepermissionSource = "import" | "segment" | "api";
export type RepermissionRequest = typeof repermissionRequests.$inferSelect;

/** A contact asked by any request within this window is not asked again. */
export const REASK_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

export async function createRepermissionRequest(
  db: Db,
  q: {
    workspaceId: string;
    source: RepermissionSource;
    importId?: string | null;
    segmentId?: string | null;
    contactIds?: string[] | null;
    templateId?: string | null;
    wording: string;
    createdBy?: string | null;
    apiKeyId?: string | null;
    at: Date;
  },
): Promise<RepermissionRequest> {
  const [row] = await db
    .insert(repermissionRequests)
    .values({
      workspaceId: q.workspaceId,
      source: q.source,
      importId: q.importId ?? null,
      segmentId: q.segmentId ?? null,
      contactIds: q.contactIds ?? null,
      templateId: q.templateId ?? null,
      wording: q.wording,
      createdBy: q.createdBy ?? null,
      apiKeyId: q.apiKeyId ?? null,
      createdAt: q.at,
    })
    .returning();
  return row!;
}

export async function getRepermissionRequest(db: Db, q: { workspaceId: string; requestId: string }) {
  const [row] = await db
    .select()
    .from(repermissionRequests)
    .where(and(eq(repermissionRequests.workspaceId, q.workspaceId), eq(repermissionRequests.id, q.requestId)));
  return row;
}

/** The newest request for an import or a segment (the report shows its counts). */
export async function latestRepermissionRequest(db: Db, q: { workspaceId: string; importId?: string; segmentId?: string }) {
  const [row] = await db
    .select()
    .from(repermissionRequests)
    .where(
      and(
        eq(repermissionRequests.workspaceId, q.workspaceId),
        q.importId ? eq(repermissionRequests.importId, q.importId) : eq(repermissionRequests.segmentId, q.segmentId ?? "00000000-0000-0000-0000-000000000000"),
      ),
    )
    .orderBy(desc(repermissionRequests.createdAt))
    .limit(1);
  return row;
}

/** The unconfirmed contacts of a request's source, by contact id after `afterId` (SQL for both listing and counting). */
function candidates(r: Pick<RepermissionRequest, "workspaceId" | "source" | "importId" | "segmentId" | "contactIds">, afterId: string | null) {
  const after = afterId ? sql`and c.id > ${afterId}::uuid` : sql``;
  if (r.source === "import") {
    return sql`select distinct c.id from consent_events e
      join contacts c on c.id = e.contact_id and c.workspace_id = ${r.workspaceId}::uuid
      where e.workspace_id = ${r.workspaceId}::uuid and e.kind = 'opt_in' and e.source = 'import'
        and (e.data->>'importId') = ${r.importId ?? ""}::text and c.status = 'unconfirmed' ${after}`;
  }
  if (r.source === "segment") {
    return sql`select c.id from segment_memberships m
      join contacts c on c.id = m.contact_id and c.workspace_id = ${r.workspaceId}::uuid
      where m.workspace_id = ${r.workspaceId}::uuid and m.segment_id = ${r.segmentId ?? "00000000-0000-0000-0000-000000000000"}::uuid
        and c.status = 'unconfirmed' ${after}`;
  }
  const ids = r.contactIds ?? [];
  return sql`select c.id from contacts c
    where c.workspace_id = ${r.workspaceId}::uuid and c.id = any(${`{${ids.join(",")}}`}::uuid[]) and c.status = 'unconfirmed' ${after}`;
}

/** How many unconfirmed contacts an import or a segment has now (what "Ask N … to confirm" offers). */
export async function unconfirmedCount(db: Db, q: { workspaceId: string; importId?: string; segmentId?: string }): Promise<number> {
  const src = { workspaceId: q.workspaceId, source: (q.importId ? "import" : "segment") as RepermissionSource, importId: q.importId ?? null, segmentId: q.segmentId ?? null, contactIds: null };
  const [r] = await rows<{ n: number }>(db, sql`select count(*)::int as n from (${candidates(src, null)}) x`);
  return r?.n ?? 0;
}

/**
 * Lists the next page of the request's contacts (ids after `afterId`) as queued asks. A page
 * listed twice (a retried step) adds nothing. `scanned` < limit: the listing is done.
 */
export async function listRepermissionPage(
  db: Db,
  q: { workspaceId: string; requestId: string; afterId: string | null; limit: number },
): Promise<{ scanned: number; last: string | null }> {
  const r = await getRepermissionRequest(db, q);
  if (!r) return { scanned: 0, last: null };
  const [out] = await rows<{ scanned: number; last: string | null }>(
    db,
    sql`with page as (${candidates(r, q.afterId)} order by 1 limit ${q.limit}),
      ins as (
        insert into repermission_asks (request_id, workspace_id, contact_id)
        select ${q.requestId}::uuid, ${q.workspaceId}::uuid, id from page
        on conflict do nothing
      )
      select count(*)::int as scanned, max(id::text) as last from page`,
  );
  return { scanned: out?.scanned ?? 0, last: out?.last ?? null };
}

/** Listing done: the total is fixed and the asking starts. */
export async function startAsking(db: Db, q: { workspaceId: string; requestId: string }) {
  await db
    .update(repermissionRequests)
    .set({
      status: "asking",
      total: sql`(select count(*)::int from ${repermissionAsks} where ${repermissionAsks.requestId} = ${q.requestId}::uuid and ${repermissionAsks.workspaceId} = ${q.workspaceId}::uuid)`,
    })
    .where(and(eq(repermissionRequests.workspaceId, q.workspaceId), eq(repermissionRequests.id, q.requestId)));
}

export async function finishRepermissionRequest(db: Db, q: { workspaceId: string; requestId: string; at: Date }) {
  await db
    .update(repermissionRequests)
    .set({ status: "completed", finishedAt: q.at })
    .where(and(eq(repermissionRequests.workspaceId, q.workspaceId), eq(repermissionRequests.id, q.requestId)));
}

export type QueuedAsk = {
  contactId: string;
  email: string;
  status: string;
  /** The contact's latest list-wide opt-in: what the confirmation confirms. */
  optInEventId: string | null;
  /** Asked by another request within REASK_AFTER_MS. */
  askedRecently: boolean;
  /** The address is suppressed (unsubscribed, bounced, complained, erased, by hand). */
  suppressed: string | null;
};

/** The next batch of queued asks with the facts that decide whether each may be asked. */
export async function nextQueuedAsks(db: Db, q: { workspaceId: string; requestId: string; limit: number; now: Date }): Promise<QueuedAsk[]> {
  const since = new Date(q.now.getTime() - REASK_AFTER_MS).toISOString();
  const found = await rows<{ contact_id: string; email: string; status: string; opt_in_event_id: string | null; asked_recently: boolean }>(
    db,
    sql`select a.contact_id, c.email, c.status::text as status,
        (select e.id from consent_events e
          where e.contact_id = a.contact_id and e.workspace_id = ${q.workspaceId}::uuid and e.kind = 'opt_in' and e.topic is null
          order by e.occurred_at desc limit 1) as opt_in_event_id,
        exists (select 1 from repermission_asks b
          where b.workspace_id = ${q.workspaceId}::uuid and b.contact_id = a.contact_id and b.request_id <> a.request_id
            and b.status = 'asked' and b.asked_at > ${since}::timestamptz) as asked_recently
      from repermission_asks a join contacts c on c.id = a.contact_id and c.workspace_id = ${q.workspaceId}::uuid
      where a.request_id = ${q.requestId}::uuid and a.workspace_id = ${q.workspaceId}::uuid and a.status = 'queued'
      order by a.contact_id limit ${q.limit}`,
  );
  const suppressed = await suppressionsFor(db, { workspaceId: q.workspaceId, emails: found.map((f) => f.email) });
  return found.map((f) => ({
    contactId: f.contact_id,
    email: f.email,
    status: f.status,
    optInEventId: f.opt_in_event_id,
    askedRecently: f.asked_recently,
    suppressed: suppressed.get(normalizeAddress(f.email)) ?? null,
  }));
}

/** Records the outcome of asks: `asked` (with when) or `skipped` with the reason. */
export async function markAsks(
  db: Db,
  q: { workspaceId: string; requestId: string; contactIds: string[]; status: "asked" | "skipped"; reason?: string | null; at: Date },
) {
  if (q.contactIds.length === 0) return;
  await db
    .update(repermissionAsks)
    .set({ status: q.status, reason: q.reason ?? null, askedAt: q.status === "asked" ? q.at : null })
    .where(
      and(
        eq(repermissionAsks.workspaceId, q.workspaceId),
        eq(repermissionAsks.requestId, q.requestId),
        inArray(repermissionAsks.contactId, q.contactIds),
        eq(repermissionAsks.status, "queued"),
      ),
    );
}

/** The contact confirmed through this request's link. */
export async function markAskConfirmed(db: Db, q: { workspaceId: string; requestId: string; contactId: string; at: Date }) {
  await db
    .update(repermissionAsks)
    .set({ confirmedAt: q.at })
    .where(
      and(
        eq(repermissionAsks.workspaceId, q.workspaceId),
        eq(repermissionAsks.requestId, q.requestId),
        eq(repermissionAsks.contactId, q.contactId),
        sql`${repermissionAsks.confirmedAt} is null`,
      ),
    );
}

export type RepermissionCounts = {
  total: number;
  queued: number;
  asked: number;
  skipped: number;
  confirmed: number;
  /** Asked and not (yet) confirmed. */
  pending: number;
  /** Why contacts were skipped, with how many each. */
  skippedBy: Record<string, number>;
};

export async function repermissionCounts(db: Db, q: { workspaceId: string; requestId: string }): Promise<RepermissionCounts> {
  const found = await rows<{ status: string; reason: string | null; n: number; confirmed: number }>(
    db,
    sql`select status, reason, count(*)::int as n, count(confirmed_at)::int as confirmed from repermission_asks
      where request_id = ${q.requestId}::uuid and workspace_id = ${q.workspaceId}::uuid group by status, reason`,
  );
  const c: RepermissionCounts = { total: 0, queued: 0, asked: 0, skipped: 0, confirmed: 0, pending: 0, skippedBy: {} };
  for (const r of found) {
    c.total += r.n;
    if (r.status === "queued") c.queued += r.n;
    if (r.status === "asked") {
      c.asked += r.n;
      c.confirmed += r.confirmed;
    }
    if (r.status === "skipped") {
      c.skipped += r.n;
      c.skippedBy[r.reason ?? "skipped"] = (c.skippedBy[r.reason ?? "skipped"] ?? 0) + r.n;
    }
  }
  c.pending = c.asked - c.confirmed;
  return c;
}
