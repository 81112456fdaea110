import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { contacts, importChunks, importIssues, imports, tags, workspaces } from "../schema/index";
import { settingsSchema, type ImportSettings } from "@/lib/import/mapping";
import { admitRows, screenRows } from "@/lib/import/policy";
import { normalizeAddress, suppressionsFor } from "./suppressions";

/** New contacts named by one `contacts/imported` event (the outbox row's size stays small). */
export const IMPORTED_PER_EVENT = 1000;

/**
 * CSV import, stored: an import row with its settings and running totals, chunks applied once
 * each (a re-sent chunk gets its first answer back), and one report line per row that did not
 * become a new or updated contact. Every row received is counted in exactly one of created,
 * updated, skipped or rejected.
 */

export type ImportRow = typeof imports.$inferSelect;
export type ChunkResult = { created: number; updated: number; skipped: number; rejected: number };

export async function createImport(
  db: Db,
  q: { workspaceId: string; fileName: string; mode: "update" | "skip"; statement: string; settings: ImportSettings; totalRows: number; createdBy: string | null },
) {
  const [row] = await db
    .insert(imports)
    .values({ workspaceId: q.workspaceId, fileName: q.fileName, mode: q.mode, statement: q.statement, settings: q.settings, totalRows: q.totalRows, createdBy: q.createdBy })
    .returning({ id: imports.id });
  return row!;
}

export async function getImport(db: Db, q: { workspaceId: string; importId: string }) {
  const [row] = await db.select().from(imports).where(and(eq(imports.workspaceId, q.workspaceId), eq(imports.id, q.importId)));
  return row;
}

export async function listImports(db: Db, q: { workspaceId: string; limit?: number }) {
  return db.select().from(imports).where(eq(imports.workspaceId, q.workspaceId)).orderBy(desc(imports.createdAt)).limit(q.limit ?? 20);
}

export class ImportNotRunningError extends Error {}


/**
 * Applies one chunk of rows (numbered from `firstRow`, 1-based data rows) in one transaction:
 * rows that are not contacts (bad address, bad value, an erased or suppressed address, a
 * duplicate in the chunk, an external id owned by someone else) become report lines; the rest
 * are upserted in one statement with their opt-in consent events and tags.
 */
export async function applyImportChunk(
  db: Db,
  q: {
    workspaceId: string;
    importId: string;
    firstRow: number;
    rows: string[][];
    /** Rows whose address appeared earlier in the file (row → that earlier row), found by the browser's pass over the whole file. */
    duplicates?: Readonly<Record<number, number>>;
    actorUserId: string | null;
    now: Date;
  },
): Promise<ChunkResult> {
  return db.transaction(async (tx) => {
    const imp = await tx
      .select()
      .from(imports)
      .where(and(eq(imports.workspaceId, q.workspaceId), eq(imports.id, q.importId)))
      .for("update")
      .then((r) => r[0]);
    if (!imp) throw new ImportNotRunningError("import not found");
    const [done] = await tx
      .select({ result: importChunks.result })
      .from(importChunks)
      .where(and(eq(importChunks.importId, q.importId), eq(importChunks.firstRow, q.firstRow)));
    if (done) return done.result as ChunkResult;
    if (imp.status !== "running") throw new ImportNotRunningError("this import has already finished");
    if (imp.received + q.rows.length > imp.totalRows) throw new ImportNotRunningError("more rows than the import announced");
    const settings = settingsSchema.parse(imp.settings);
    const [ws] = await tx.select({ doubleOptIn: workspaces.doubleOptInDefault }).from(workspaces).where(eq(workspaces.id, q.workspaceId));

    const { issues, good } = screenRows(q.rows, q.firstRow, settings.mapping, q.duplicates);

    // Addresses that must not come back: erased on request, or suppressed after an unsubscribe,
    // bounce or complaint. An existing contact keeps its state; a new one is not created.
    const suppressed = await suppressionsFor(tx, { workspaceId: q.workspaceId, emails: good.map((g) => g.c.email) });
    const existing = new Set(
      good.length === 0
        ? []
        : (
            await tx
              .select({ key: sql<string>`lower(${contacts.email})` })
              .from(contacts)
              .where(and(eq(contacts.workspaceId, q.workspaceId), inArray(sql`lower(${contacts.email})`, good.map((g) => normalizeAddress(g.c.email)))))
          ).map((r) => r.key),
    );
    const externalIds = good.flatMap((g) => (g.c.externalId ? [g.c.externalId] : []));
    const owners = new Map(
      externalIds.length === 0
        ? []
        : (
            await tx
              .select({ ext: contacts.externalId, key: sql<string>`lower(${contacts.email})` })
              .from(contacts)
              .where(and(eq(contacts.workspaceId, q.workspaceId), inArray(contacts.externalId, externalIds)))
          ).map((r) => [r.ext!, r.key]),
    );
    const admitted = admitRows(good, { suppressed, existing, owners }, imp.mode);
    issues.push(...admitted.issues);
    const apply = admitted.apply;

    let created = 0;
    let updated = 0;
    if (apply.length > 0) {
      const tagIds = await ensureTags(tx, q.workspaceId, settings.tags);
      const input = JSON.stringify(
        apply.map((g) => ({ n: g.n, email: g.c.email, first_name: g.c.firstName, last_name: g.c.lastName, external_id: g.c.externalId, time_zone: g.c.timeZone, attributes: g.c.attributes })),
      );
      const status = ws?.doubleOptIn === false ? "subscribed" : "unconfirmed";
      const at = q.now.toISOString();
      const rows = await tx.execute<{ inserted: boolean }>(sql`
        with input as (
          select * from jsonb_to_recordset(${input}::jsonb)
            as x(n int, email text, first_name text, last_name text, external_id text, time_zone text, attributes jsonb)
        ), up as (
          insert into contacts (workspace_id, email, first_name, last_name, external_id, time_zone, attributes, status, source, created_at, updated_at)
          select ${q.workspaceId}::uuid, email, first_name, last_name, external_id, time_zone, attributes, ${status}::contact_status, 'import', ${at}::timestamptz, ${at}::timestamptz
          from input order by n
          on conflict (workspace_id, lower(email)) do update set
            first_name = coalesce(excluded.first_name, contacts.first_name),
            last_name = coalesce(excluded.last_name, contacts.last_name),
            external_id = coalesce(contacts.external_id, excluded.external_id),
            time_zone = coalesce(excluded.time_zone, contacts.time_zone),
            attributes = contacts.attributes || excluded.attributes,
            updated_at = excluded.updated_at
          returning id, lower(email) as key, (xmax = 0) as inserted, status
        ), consent as (
          insert into consent_events (workspace_id, contact_id, kind, email, source, wording, actor_user_id, data, occurred_at)
          select ${q.workspaceId}::uuid, up.id, 'opt_in', input.email, 'import', ${imp.statement}::text, ${q.actorUserId}::uuid,
                 jsonb_build_object('importId', ${q.importId}::text, 'row', input.n), ${at}::timestamptz
          from up join input on lower(input.email) = up.key
          where up.inserted or up.status in ('unconfirmed', 'subscribed')
        ), tagged as (
          insert into contact_tags (workspace_id, contact_id, tag_id)
          select ${q.workspaceId}::uuid, up.id, t.id from up cross join unnest(${`{${tagIds.join(",")}}`}::uuid[]) as t(id)
          on conflict do nothing
        ), created as (
          select id, (row_number() over (order by id) - 1) / ${IMPORTED_PER_EVENT} as grp from up where up.inserted
        ), announced as (
          -- "contact created" flows (source import) start for new contacts, through the app outbox:
          -- one event per thousand, not one per contact, so a large import does not queue a function
          -- run per row in front of every other flow's work.
          insert into app_outbox (event_id, name, data)
          select 'contacts-imported:' || ${q.importId}::text || ':' || ${q.firstRow}::int || ':' || grp, 'contacts/imported',
                 jsonb_build_object('workspaceId', ${q.workspaceId}::text, 'source', 'import', 'contactIds', jsonb_agg(id order by id))
          from created group by grp
        )
        select inserted from up`);
      for (const r of rows) {
        if (r.inserted) created++;
        else updated++;
      }
    }
    const skipped = issues.filter((i) => i.outcome === "skipped").length;
    const rejected = issues.length - skipped;
    for (let i = 0; i < issues.length; i += 1000) {
      await tx.insert(importIssues).values(issues.slice(i, i + 1000).map((x) => ({ importId: q.importId, ...x })));
    }
    const result: ChunkResult = { created, updated, skipped, rejected };
    await tx.insert(importChunks).values({ importId: q.importId, firstRow: q.firstRow, rows: q.rows.length, result });
    await tx
      .update(imports)
      .set({
        received: sql`${imports.received} + ${q.rows.length}`,
        created: sql`${imports.created} + ${created}`,
        updated: sql`${imports.updated} + ${updated}`,
        skipped: sql`${imports.skipped} + ${skipped}`,
        rejected: sql`${imports.rejected} + ${rejected}`,
      })
      .where(eq(imports.id, q.importId));
    return result;
  });
}

async function ensureTags(db: DbOrTx, workspaceId: string, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  await db
    .insert(tags)
    .values(names.map((name) => ({ workspaceId, name })))
    .onConflictDoNothing();
  const rows = await db
    .select({ id: tags.id })
    .from(tags)
    .where(and(eq(tags.workspaceId, workspaceId), inArray(sql`lower(${tags.name})`, names.map((n) => n.toLowerCase()))));
  return rows.map((r) => r.id);
}

/** Ends an import: completed when every announced row arrived, failed (with what did) otherwise. */
export async function finishImport(db: Db, q: { workspaceId: string; importId: string; now: Date }) {
  const [row] = await db
    .update(imports)
    .set({ status: sql`case when ${imports.received} = ${imports.totalRows} then 'completed' else 'failed' end::import_status`, finishedAt: q.now })
    .where(and(eq(imports.workspaceId, q.workspaceId), eq(imports.id, q.importId), eq(imports.status, "running")))
    .returning();
  return row;
}

/** The report, page by page in row order, for a streamed CSV download. */
export async function* importIssuePages(db: Db, q: { workspaceId: string; importId: string; pageSize?: number }) {
  const imp = await getImport(db, q);
  if (!imp) return;
  let after = 0;
  for (;;) {
    const rows = await db
      .select({ rowNumber: importIssues.rowNumber, outcome: importIssues.outcome, reason: importIssues.reason, raw: importIssues.raw })
      .from(importIssues)
      .where(and(eq(importIssues.importId, imp.id), gt(importIssues.rowNumber, after)))
      .orderBy(asc(importIssues.rowNumber))
      .limit(q.pageSize ?? 5000);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.rowNumber;
  }
}
