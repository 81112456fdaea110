import { and, asc, desc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { contacts, contactTags, contactTopics, emailEvents, events, flows, messages, segmentMemberships, segments, tags, templates, topics } from "../schema/index";
import {
  builtinFields,
  definitionSchema,
  windowBounds,
  type Comparison,
  type Definition,
  type Node,
  type Window,
} from "@/lib/segments/definition";

/**
 * Segment definitions compiled to SQL: one predicate over `contacts` (correlated EXISTS and
 * per-contact LIMIT-N subqueries for behaviour), so count, members, export and membership refresh
 * are each one query and nothing is filtered in JS. evaluate() in lib/segments is the reference.
 */

const columnOf: Record<(typeof builtinFields)[number], SQL> = {
  email: sql`${contacts.email}`,
  first_name: sql`${contacts.firstName}`,
  last_name: sql`${contacts.lastName}`,
  external_id: sql`${contacts.externalId}`,
  time_zone: sql`${contacts.timeZone}`,
};

/** `doc` and `key`: the jsonb column and key, where a GIN index can answer "key = value" by containment. */
type Source = { kind: "json"; j: SQL; t: SQL; doc?: { column: SQL; key: string } } | { kind: "text"; t: SQL };

const DATE_RE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}";

/**
 * A comparison as a predicate that is true, false or NULL, where NULL means "does not match"
 * (a value of another type, or none). Plain operator clauses, so the planner estimates them like
 * hand-written ones; negations coalesce first, so NULL never turns into a match.
 */
function comparisonSql(s: Source, c: Comparison): SQL {
  const t = s.t;
  const typed = (type: "string" | "number" | "boolean", then: SQL): SQL =>
    s.kind === "json" ? sql`(case when jsonb_typeof(${s.j}) = ${sql.raw(`'${type}'`)} then ${then} end)` : type === "string" ? then : sql`null`;
  const str = typed("string", t);
  // For a scalar, `doc @> {"key": value}` holds exactly when doc->'key' equals it (containment
  // looks into arrays only at the top level), so it replaces the equality: the GIN index answers it
  // and the planner estimates it from the column's statistics rather than guessing.
  const contained = (v: string | boolean, exact: SQL): SQL =>
    s.kind === "json" && s.doc ? sql`(${s.doc.column} @> ${JSON.stringify({ [s.doc.key]: v })}::jsonb)` : exact;
  const eq = (v: string) => (s.kind === "json" ? contained(v, sql`(${s.j} = ${JSON.stringify(v)}::jsonb)`) : sql`(${t} = ${v}::text)`);
  const contains = (v: string) => sql`(strpos(lower(${str}), lower(${v}::text)) > 0)`;
  const present = s.kind === "json" ? sql`coalesce(jsonb_typeof(${s.j}), 'null') <> 'null'` : sql`${t} is not null`;
  switch (c.op) {
    case "exists":
      return sql`(${present})`;
    case "not_exists":
      return sql`(not (${present}))`;
    case "eq":
      return eq(c.value);
    case "neq":
      return sql`(not coalesce(${eq(c.value)}, false))`;
    case "contains":
      return contains(c.value);
    case "not_contains":
      return sql`(not coalesce(${contains(c.value)}, false))`;
    case "starts_with":
      return sql`(left(lower(${str}), length(${c.value}::text)) = lower(${c.value}::text))`;
    case "num_eq":
    case "num_neq":
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const op = { num_eq: "=", num_neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" }[c.op];
      return sql`(${typed("number", sql`(${t})::float8`)}::float8 ${sql.raw(op)} ${c.value}::float8)`;
    }
    case "is":
      return contained(c.value, sql`(${typed("boolean", sql`(${t})::boolean`)}::boolean = ${c.value}::boolean)`);
    case "before":
    case "after":
    case "on": {
      const op = { before: "<", after: ">", on: "=" }[c.op];
      const day =
        s.kind === "json"
          ? sql`(case when jsonb_typeof(${s.j}) = 'string' and ${t} ~ ${DATE_RE} then left(${t}, 10) end)`
          : sql`(case when ${t} ~ ${DATE_RE} then left(${t}, 10) end)`;
      return sql`(${day} collate "C" ${sql.raw(op)} ${c.value}::text collate "C")`;
    }
  }
}

function windowSql(column: SQL, w: Window, now: number): SQL {
  const { from, to } = windowBounds(w, now);
  const upper = sql`${column} < ${new Date(to).toISOString()}::timestamptz`;
  return from === null ? upper : sql`${column} >= ${new Date(from).toISOString()}::timestamptz and ${upper}`;
}

function nodeSql(n: Node, now: number, workspaceId: string): SQL {
  switch (n.type) {
    case "group": {
      if (n.children.length === 0) return n.match === "all" ? sql`true` : sql`false`;
      return sql`(${sql.join(n.children.map((c) => nodeSql(c, now, workspaceId)), n.match === "all" ? sql` and ` : sql` or `)})`;
    }
    case "attribute": {
      const builtin = columnOf[n.field as keyof typeof columnOf];
      const src: Source = builtin
        ? { kind: "text", t: builtin }
        : {
            kind: "json",
            j: sql`(${contacts.attributes} -> ${n.field}::text)`,
            t: sql`(${contacts.attributes} ->> ${n.field}::text)`,
            doc: { column: sql`${contacts.attributes}`, key: n.field },
          };
      return comparisonSql(src, n.comparison);
    }
    case "tag": {
      const q = sql`exists (select 1 from ${contactTags} join ${tags} on ${tags.id} = ${contactTags.tagId}
        where ${contactTags.contactId} = ${contacts.id} and lower(${tags.name}) = lower(${n.tag}::text))`;
      return n.has ? q : sql`(not ${q})`;
    }
    case "topic": {
      const q = sql`exists (select 1 from ${contactTopics} join ${topics} on ${topics.id} = ${contactTopics.topicId}
        where ${contactTopics.contactId} = ${contacts.id} and ${topics.key} = ${n.topic}::text and ${contactTopics.subscribed})`;
      return n.subscribed ? q : sql`(not ${q})`;
    }
    case "consent":
      return sql`${contacts.status}::text in (${sql.join(n.statuses.map((s) => sql`${s}::text`), sql`, `)})`;
    case "event": {
      const filters = n.filters.map((f) =>
        comparisonSql(
          { kind: "json", j: sql`(${events.properties} -> ${f.property}::text)`, t: sql`(${events.properties} ->> ${f.property}::text)` },
          f.comparison,
        ),
      );
      const where = sql.join(
        // The workspace too, so the planner may also read the window from the (workspace, name, time,
        // contact) index and hash-join it, instead of probing once per contact.
        [
          sql`${events.contactId} = ${contacts.id}`,
          sql`${events.workspaceId} = ${contacts.workspaceId}`,
          sql`${events.name} = ${n.name}::text`,
          windowSql(sql`${events.occurredAt}`, n.window, now),
          ...filters,
        ],
        sql` and `,
      );
      if (!n.performed) return sql`(not exists (select 1 from ${events} where ${where}))`;
      if (!n.count) return sql`exists (select 1 from ${events} where ${where})`;
      // "At least / at most N times": the window's events grouped per contact, read once from the
      // (workspace, name, time, contact) index, rather than one probe per contact in the workspace.
      // Uncorrelated (the workspace is a constant), so it is computed once per query.
      const inWindow = sql.join(
        [
          sql`${events.workspaceId} = ${workspaceId}::uuid`,
          sql`${events.contactId} is not null`,
          sql`${events.name} = ${n.name}::text`,
          windowSql(sql`${events.occurredAt}`, n.window, now),
          ...filters,
        ],
        sql` and `,
      );
      const having = n.count.op === "gte" ? sql`count(*) >= ${sql.raw(String(n.count.n))}` : sql`count(*) between 1 and ${sql.raw(String(n.count.n))}`;
      return sql`${contacts.id} in (select ${events.contactId} from ${events} where ${inWindow} group by ${events.contactId} having ${having})`;
    }
    case "email": {
      const types = n.action === "opened" ? sql.raw(`('opened', 'clicked')`) : sql.raw(`('clicked')`);
      const parts: SQL[] = [
        sql`${emailEvents.contactId} = ${contacts.id}`,
        sql`${emailEvents.type} in ${types}`,
        windowSql(sql`${emailEvents.occurredAt}`, n.window, now),
      ];
      if (n.includeMachine !== true) parts.push(sql`not ${emailEvents.machine}`);
      const joinMessages = n.flowId !== undefined || n.templateId !== undefined;
      if (n.flowId !== undefined) parts.push(sql`${messages.flowId} = ${n.flowId}::uuid`);
      if (n.templateId !== undefined) parts.push(sql`${messages.templateId} = ${n.templateId}::uuid`);
      const from = joinMessages ? sql`${emailEvents} join ${messages} on ${messages.id} = ${emailEvents.messageId}` : sql`${emailEvents}`;
      const q = sql`exists (select 1 from ${from} where ${sql.join(parts, sql` and `)})`;
      return n.performed ? q : sql`(not ${q})`;
    }
  }
}

/** The whole predicate over `contacts` for one workspace: erased people are in no segment. NULL means no match. */
export function segmentPredicate(q: { workspaceId: string; definition: Definition; now: Date }): SQL {
  return sql`(${contacts.workspaceId} = ${q.workspaceId}::uuid and ${contacts.status} <> 'erased' and ${nodeSql(q.definition, q.now.getTime(), q.workspaceId)})`;
}

export async function countSegment(db: DbOrTx, q: { workspaceId: string; definition: Definition; now: Date }): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(contacts).where(segmentPredicate(q));
  return row?.n ?? 0;
}

export type SegmentMember = { id: string; email: string; firstName: string | null; lastName: string | null; status: string; createdAt: Date };

/** A page of members by id (keyset), for the member list and the CSV export. */
export async function segmentMembersPage(
  db: DbOrTx,
  q: { workspaceId: string; definition: Definition; now: Date; afterId?: string | null; limit?: number },
): Promise<{ rows: SegmentMember[]; next: string | null }> {
  const limit = q.limit ?? 50;
  const rows = await db
    .select({ id: contacts.id, email: contacts.email, firstName: contacts.firstName, lastName: contacts.lastName, status: contacts.status, createdAt: contacts.createdAt })
    .from(contacts)
    .where(and(segmentPredicate(q), q.afterId ? gt(contacts.id, q.afterId) : undefined))
    .orderBy(asc(contacts.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), next: rows.length > limit ? rows[limit - 1]!.id : null };
}

/** Every member, page by page, for a streamed export. */
export async function* segmentMembers(db: DbOrTx, q: { workspaceId: string; definition: Definition; now: Date; pageSize?: number }) {
  let afterId: string | null = null;
  for (;;) {
    const page: { rows: SegmentMember[]; next: string | null } = await segmentMembersPage(db, { ...q, afterId, limit: q.pageSize ?? 2000 });
    yield page.rows;
    if (!page.next) return;
    afterId = page.next;
  }
}

/** The ids among `contactIds` that match — the plain evaluation the tests compare with. */
export async function matchingIds(db: DbOrTx, q: { workspaceId: string; definition: Definition; now: Date }): Promise<string[]> {
  const rows = await db.select({ id: contacts.id }).from(contacts).where(segmentPredicate(q)).orderBy(asc(contacts.id));
  return rows.map((r) => r.id);
}

// ——— saved segments ———

export type SavedSegment = { id: string; name: string; definition: Definition; baselinedAt: Date | null; refreshedAt: Date | null; createdAt: Date; updatedAt: Date };

function parseRow<T extends { definition: unknown }>(r: T): Omit<T, "definition"> & { definition: Definition } {
  const d = definitionSchema.safeParse(r.definition);
  // A definition this code cannot read matches no one rather than everyone.
  return { ...r, definition: d.success ? d.data : { type: "group", match: "any", children: [] } };
}

const savedColumns = {
  id: segments.id,
  name: segments.name,
  definition: segments.definition,
  baselinedAt: segments.baselinedAt,
  refreshedAt: segments.refreshedAt,
  createdAt: segments.createdAt,
  updatedAt: segments.updatedAt,
};

export async function listSegments(db: DbOrTx, q: { workspaceId: string }) {
  const rows = await db
    .select({
      ...savedColumns,
      members: sql<number>`(select count(*)::int from ${segmentMemberships} where ${segmentMemberships.segmentId} = ${segments.id})`,
    })
    .from(segments)
    .where(eq(segments.workspaceId, q.workspaceId))
    .orderBy(desc(segments.createdAt));
  return rows.map(parseRow);
}

export async function getSegment(db: DbOrTx, q: { workspaceId: string; segmentId: string }): Promise<SavedSegment | undefined> {
  const [row] = await db.select(savedColumns).from(segments).where(and(eq(segments.workspaceId, q.workspaceId), eq(segments.id, q.segmentId)));
  return row ? parseRow(row) : undefined;
}

export async function createSegment(db: DbOrTx, q: { workspaceId: string; name: string; definition: Definition; createdBy: string | null }) {
  const [row] = await db
    .insert(segments)
    .values({ workspaceId: q.workspaceId, name: q.name, definition: q.definition, createdBy: q.createdBy })
    .returning({ id: segments.id });
  return row!;
}

/**
 * Saves a segment. A changed definition is baselined again: people who match only because of the
 * edit are recorded without "entering", so an edit never mass-enrols flows by surprise.
 */
export async function updateSegment(db: DbOrTx, q: { workspaceId: string; segmentId: string; name: string; definition: Definition; now: Date }) {
  const [row] = await db
    .update(segments)
    .set({
      name: q.name,
      definition: q.definition,
      updatedAt: q.now,
      baselinedAt: sql`case when ${segments.definition} = ${JSON.stringify(q.definition)}::jsonb then ${segments.baselinedAt} else null end`,
    })
    .where(and(eq(segments.workspaceId, q.workspaceId), eq(segments.id, q.segmentId)))
    .returning({ id: segments.id });
  return row;
}

export async function deleteSegment(db: DbOrTx, q: { workspaceId: string; segmentId: string }) {
  const rows = await db.delete(segments).where(and(eq(segments.workspaceId, q.workspaceId), eq(segments.id, q.segmentId))).returning({ id: segments.id });
  return rows.length > 0;
}

/** Definitions of a workspace's segments, without counts: what the membership functions need. */
export async function segmentsToRefresh(db: DbOrTx, q: { workspaceId: string }) {
  const rows = await db
    .select({ id: segments.id, definition: segments.definition, baselinedAt: segments.baselinedAt })
    .from(segments)
    .where(eq(segments.workspaceId, q.workspaceId));
  return rows.map(parseRow);
}

export async function workspacesWithSegments(db: DbOrTx): Promise<string[]> {
  const rows = await db.selectDistinct({ workspaceId: segments.workspaceId }).from(segments);
  return rows.map((r) => r.workspaceId);
}

// ——— membership ———

/**
 * Re-evaluates a segment for one page of contacts (by id, after `afterId`) or for the named
 * contacts, in one statement: new matches are inserted (returned as entered), rows of contacts
 * that stopped matching are deleted (left). The first refresh of a segment (not yet baselined)
 * records members without announcing them.
 */
export async function refreshMembership(
  db: DbOrTx,
  q: { workspaceId: string; segmentId: string; definition: Definition; now: Date } & ({ afterId: string | null; limit: number } | { contactIds: string[] }),
): Promise<{ entered: string[]; left: number; scanned: number; last: string | null }> {
  const pred = segmentPredicate(q);
  const scope =
    "contactIds" in q
      ? sql`${contacts.workspaceId} = ${q.workspaceId}::uuid and ${contacts.id} in (${sql.join(q.contactIds.map((id) => sql`${id}::uuid`), sql`, `)})`
      : sql`${contacts.workspaceId} = ${q.workspaceId}::uuid ${q.afterId ? sql`and ${contacts.id} > ${q.afterId}::uuid` : sql``}`;
  if ("contactIds" in q && q.contactIds.length === 0) return { entered: [], left: 0, scanned: 0, last: null };
  const limit = "contactIds" in q ? sql`` : sql`order by ${contacts.id} limit ${q.limit}`;
  const at = q.now.toISOString();
  const rows = await db.execute<{ entered: string[] | null; left: number; scanned: number; last: string | null }>(sql`
    with page as (
      select ${contacts.id} as id, coalesce(${pred}, false) as m from ${contacts} where ${scope} ${limit}
    ), ins as (
      insert into ${segmentMemberships} (workspace_id, segment_id, contact_id, entered_at)
      select ${q.workspaceId}::uuid, ${q.segmentId}::uuid, page.id, ${at}::timestamptz from page where page.m
      on conflict do nothing
      returning contact_id
    ), del as (
      delete from ${segmentMemberships} sm using page
      where sm.segment_id = ${q.segmentId}::uuid and sm.contact_id = page.id and not page.m
      returning sm.contact_id
    )
    select (select array_agg(contact_id::text) from ins) as entered,
           (select count(*)::int from del) as "left",
           (select count(*)::int from page) as scanned,
           (select id::text from page order by id desc limit 1) as last`);
  const r = rows[0]!;
  return { entered: r.entered ?? [], left: r.left, scanned: r.scanned, last: r.last };
}

export async function markRefreshed(db: DbOrTx, q: { workspaceId: string; segmentId: string; now: Date }) {
  await db
    .update(segments)
    .set({ refreshedAt: q.now, baselinedAt: sql`coalesce(${segments.baselinedAt}, ${q.now.toISOString()}::timestamptz)` })
    .where(and(eq(segments.workspaceId, q.workspaceId), eq(segments.id, q.segmentId)));
}

/** Segments (of those named) the contact matches right now: one query over all their predicates. */
export async function contactSegmentIds(db: DbOrTx, q: { workspaceId: string; contactId: string; segmentIds: string[]; now: Date }): Promise<string[]> {
  const ids = q.segmentIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (ids.length === 0) return [];
  const defs = await db
    .select({ id: segments.id, definition: segments.definition })
    .from(segments)
    .where(and(eq(segments.workspaceId, q.workspaceId), inArray(segments.id, ids)));
  if (defs.length === 0) return [];
  const arms = defs.map(parseRow).map(
    (d) => sql`select ${d.id}::text as id where exists (select 1 from ${contacts} where ${contacts.id} = ${q.contactId}::uuid and ${segmentPredicate({ workspaceId: q.workspaceId, definition: d.definition, now: q.now })})`,
  );
  const rows = await db.execute<{ id: string }>(sql.join(arms, sql` union all `));
  return rows.map((r) => r.id);
}

/** What the builder offers to pick from: tags, topics, templates and flows of the workspace. */
export async function builderOptions(db: Db, q: { workspaceId: string }) {
  const [tagRows, topicRows, templateRows, flowRows] = await Promise.all([
    db.select({ name: tags.name }).from(tags).where(eq(tags.workspaceId, q.workspaceId)).orderBy(asc(tags.name)).limit(500),
    db.select({ key: topics.key, name: topics.name }).from(topics).where(eq(topics.workspaceId, q.workspaceId)).orderBy(asc(topics.name)),
    db.select({ id: templates.id, name: templates.name }).from(templates).where(eq(templates.workspaceId, q.workspaceId)).orderBy(asc(templates.name)).limit(500),
    db.select({ id: flows.id, name: flows.name }).from(flows).where(eq(flows.workspaceId, q.workspaceId)).orderBy(asc(flows.name)).limit(500),
  ]);
  return { tags: tagRows.map((t) => t.name), topics: topicRows, templates: templateRows, flows: flowRows };
}
export type BuilderOptions = Awaited<ReturnType<typeof builderOptions>>;
