import { and, asc, desc, eq, inArray, isNotNull, like, sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { contacts, enrollments, enrollmentSteps, events, flows, flowVersions, segments, tags, templates, users } from "../schema/index";
import { sha256 } from "./tokens";

/** A live flow with its current published plan (jsonb, parsed by the caller with planSchema). */
export type LiveFlow = {
  flowId: string;
  flowVersionId: string;
  reentry: "once" | "after" | "always";
  reentryAfterDays: number | null;
  plan: unknown;
};

const liveColumns = {
  flowId: flows.id,
  flowVersionId: flowVersions.id,
  reentry: flows.reentry,
  reentryAfterDays: flows.reentryAfterDays,
  plan: flowVersions.plan,
};

/**
 * The workspace's live flows with their current version. The router asks this on every trigger
 * event; a workspace has tens of flows, so matching triggers in code is cheaper than an index on
 * the plan's trigger (revisit if workspaces grow to thousands of flows).
 */
export async function listLiveFlows(db: Db, q: { workspaceId: string; triggerKind?: string }): Promise<LiveFlow[]> {
  return db
    .select(liveColumns)
    .from(flows)
    .innerJoin(flowVersions, and(eq(flowVersions.id, flows.currentVersionId), eq(flowVersions.workspaceId, flows.workspaceId)))
    .where(
      and(
        eq(flows.workspaceId, q.workspaceId),
        eq(flows.status, "live"),
        isNotNull(flows.currentVersionId),
        q.triggerKind ? sql`${flowVersions.plan} -> 'trigger' ->> 'kind' = ${q.triggerKind}` : undefined,
      ),
    );
}

export async function getLiveFlow(db: Db, q: { workspaceId: string; flowId: string }): Promise<LiveFlow | undefined> {
  const [row] = await db
    .select(liveColumns)
    .from(flows)
    .innerJoin(flowVersions, and(eq(flowVersions.id, flows.currentVersionId), eq(flowVersions.workspaceId, flows.workspaceId)))
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId), eq(flows.status, "live")));
  return row;
}

/**
 * Cron fan-out only: the workspaces that have a live flow with this trigger kind. The one query
 * not scoped to a workspace, because it is how a system-wide cron finds its workspaces; every
 * query after it is scoped.
 */
export async function workspacesWithLiveTrigger(db: Db, q: { triggerKind: string }): Promise<string[]> {
  const rows = await db
    .selectDistinct({ workspaceId: flows.workspaceId })
    .from(flows)
    .innerJoin(flowVersions, eq(flowVersions.id, flows.currentVersionId))
    .where(and(eq(flows.status, "live"), sql`${flowVersions.plan} -> 'trigger' ->> 'kind' = ${q.triggerKind}`));
  return rows.map((r) => r.workspaceId);
}

export async function getFlowVersion(db: Db, q: { workspaceId: string; flowVersionId: string }) {
  const [row] = await db
    .select({ id: flowVersions.id, flowId: flowVersions.flowId, number: flowVersions.number, plan: flowVersions.plan })
    .from(flowVersions)
    .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.id, q.flowVersionId)));
  return row;
}

/**
 * Records a published version and makes it current. Versions are immutable; a publish is a new
 * row. (The editor's publish action calls this after compile(); tests use it directly.)
 */
export async function publishFlowVersion(
  db: Db,
  q: { workspaceId: string; flowId: string; plan: unknown; graph: unknown; hash: string; publishedBy?: string | null; note?: string | null },
) {
  return db.transaction(async (tx) => {
    const [last] = await tx
      .select({ number: flowVersions.number })
      .from(flowVersions)
      .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.flowId, q.flowId)))
      .orderBy(desc(flowVersions.number))
      .limit(1);
    const [version] = await tx
      .insert(flowVersions)
      .values({
        workspaceId: q.workspaceId,
        flowId: q.flowId,
        number: (last?.number ?? 0) + 1,
        hash: q.hash,
        plan: q.plan,
        graph: q.graph,
        publishedBy: q.publishedBy ?? null,
        note: q.note ?? null,
      })
      .returning({ id: flowVersions.id, number: flowVersions.number });
    const updated = await tx
      .update(flows)
      .set({ currentVersionId: version!.id, status: "live", updatedAt: sql`now()` })
      .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)))
      .returning({ id: flows.id });
    if (updated.length !== 1) throw new Error("flow not found in this workspace");
    return version!;
  });
}

/** Publishes a compiled plan: its hash is the sha256 of the plan's canonical JSON. */
export async function publishCompiled(
  db: Db,
  q: { workspaceId: string; flowId: string; plan: unknown; canonicalPlan: string; graph: unknown; publishedBy?: string | null; note?: string | null },
) {
  const hash = sha256(q.canonicalPlan);
  return publishFlowVersion(db, { workspaceId: q.workspaceId, flowId: q.flowId, plan: q.plan, graph: q.graph, hash, publishedBy: q.publishedBy, note: q.note });
}

/** The workspace's flows with their published version and their enrollment counts. */
export async function listFlows(db: Db, q: { workspaceId: string }) {
  const count = (where: ReturnType<typeof sql>) =>
    sql<number>`(select count(*)::int from ${enrollments} e where e.workspace_id = ${flows.workspaceId} and e.flow_id = ${flows.id} and ${where})`;
  return db
    .select({
      id: flows.id,
      name: flows.name,
      status: flows.status,
      updatedAt: flows.updatedAt,
      version: flowVersions.number,
      publishedAt: flowVersions.publishedAt,
      active: count(sql`e.status = 'active'`),
      entered: count(sql`true`),
      completed: count(sql`e.status = 'completed'`),
      converted: count(sql`e.exit_reason = 'goal'`),
    })
    .from(flows)
    .leftJoin(flowVersions, and(eq(flowVersions.id, flows.currentVersionId), eq(flowVersions.workspaceId, flows.workspaceId)))
    .where(eq(flows.workspaceId, q.workspaceId))
    .orderBy(desc(flows.updatedAt));
}

export async function getFlowDraft(db: Db, q: { workspaceId: string; flowId: string }) {
  const [row] = await db
    .select({ id: flows.id, name: flows.name, draft: flows.draft })
    .from(flows)
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)));
  return row;
}

// ---------------------------------------------------------------- the editor

export async function createFlow(db: Db, q: { workspaceId: string; name: string; draft: unknown; createdBy: string | null }) {
  const [row] = await db
    .insert(flows)
    .values({ workspaceId: q.workspaceId, name: q.name, draft: q.draft, createdBy: q.createdBy })
    .returning({ id: flows.id });
  return row!;
}

/** Everything the editor page needs about the flow itself. */
export async function getFlowForEditor(db: Db, q: { workspaceId: string; flowId: string }) {
  const [row] = await db
    .select({
      id: flows.id,
      name: flows.name,
      status: flows.status,
      draft: flows.draft,
      draftRevision: flows.draftRevision,
      currentVersionId: flows.currentVersionId,
      updatedAt: flows.updatedAt,
    })
    .from(flows)
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)));
  return row;
}

export type SaveDraftResult = { ok: true; revision: number } | { ok: false; revision: number };

/**
 * Saves the draft if nobody saved since `baseRevision` (optimistic concurrency): a second editor
 * working from an older revision gets `ok: false` with the revision now stored, never a silent
 * overwrite.
 */
export async function saveDraft(db: Db, q: { workspaceId: string; flowId: string; draft: unknown; baseRevision: number }): Promise<SaveDraftResult | null> {
  const [saved] = await db
    .update(flows)
    .set({ draft: q.draft, draftRevision: sql`${flows.draftRevision} + 1`, updatedAt: sql`now()` })
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId), eq(flows.draftRevision, q.baseRevision)))
    .returning({ revision: flows.draftRevision });
  if (saved) return { ok: true, revision: saved.revision };
  const [current] = await db
    .select({ revision: flows.draftRevision })
    .from(flows)
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)));
  return current ? { ok: false, revision: current.revision } : null;
}

export async function renameFlow(db: Db, q: { workspaceId: string; flowId: string; name: string }) {
  const rows = await db
    .update(flows)
    .set({ name: q.name, updatedAt: sql`now()` })
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)))
    .returning({ id: flows.id });
  return rows.length === 1;
}

export async function listFlowVersions(db: Db, q: { workspaceId: string; flowId: string }) {
  return db
    .select({
      id: flowVersions.id,
      number: flowVersions.number,
      note: flowVersions.note,
      graph: flowVersions.graph,
      publishedAt: flowVersions.publishedAt,
      publishedBy: users.email,
    })
    .from(flowVersions)
    .leftJoin(users, eq(users.id, flowVersions.publishedBy))
    .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.flowId, q.flowId)))
    .orderBy(desc(flowVersions.number));
}

/** Copies a published version's graph into the draft (a new draft revision); null if not found. */
export async function restoreVersionToDraft(db: Db, q: { workspaceId: string; flowId: string; versionId: string }) {
  const [v] = await db
    .select({ graph: flowVersions.graph, number: flowVersions.number })
    .from(flowVersions)
    .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.flowId, q.flowId), eq(flowVersions.id, q.versionId)));
  if (!v) return null;
  const [row] = await db
    .update(flows)
    .set({ draft: v.graph, draftRevision: sql`${flows.draftRevision} + 1`, updatedAt: sql`now()` })
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)))
    .returning({ revision: flows.draftRevision });
  return row ? { revision: row.revision, number: v.number } : null;
}

/**
 * Pause stops new enrollments (the router only enrols into live flows); contacts already in
 * the flow carry on. Resume needs a published version. Returns the new status, or null.
 */
export async function setFlowPaused(db: Db, q: { workspaceId: string; flowId: string; paused: boolean }) {
  const [row] = await db
    .update(flows)
    .set({ status: q.paused ? "paused" : "live", updatedAt: sql`now()` })
    .where(
      and(
        eq(flows.workspaceId, q.workspaceId),
        eq(flows.id, q.flowId),
        isNotNull(flows.currentVersionId),
        eq(flows.status, q.paused ? "live" : "paused"),
      ),
    )
    .returning({ status: flows.status });
  return row?.status ?? null;
}

/** Active enrollments of one version, by the node they are at now (the migration map's rows). */
export async function waitingByNode(db: Db, q: { workspaceId: string; flowId: string; flowVersionId: string }) {
  const rows = await db
    .select({ nodeId: enrollments.currentNodeId, count: sql<number>`count(*)::int` })
    .from(enrollments)
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        eq(enrollments.flowVersionId, q.flowVersionId),
        eq(enrollments.status, "active"),
        isNotNull(enrollments.currentNodeId),
      ),
    )
    .groupBy(enrollments.currentNodeId);
  return rows.filter((r): r is { nodeId: string; count: number } => r.nodeId !== null);
}

/** Per node: how many enrollments that passed through it ended at a goal. */
export async function nodeConversions(db: Db, q: { workspaceId: string; flowId: string }): Promise<Record<string, number>> {
  const goals = await rows<{ node_id: string; n: number }>(db, sql`
    select s.node_id, count(distinct s.enrollment_id)::int as n
    from enrollment_steps s
    join enrollments e on e.id = s.enrollment_id and e.workspace_id = s.workspace_id
    where s.workspace_id = ${q.workspaceId}::uuid and s.flow_id = ${q.flowId}::uuid and e.exit_reason = 'goal'
    group by s.node_id`);
  return Object.fromEntries(goals.map((r) => [r.node_id, r.n]));
}

/** Who is at a node now, most recent first (the node's waiting list in the editor). */
export async function waitingAtNode(db: Db, q: { workspaceId: string; flowId: string; nodeId: string; limit?: number }) {
  return db
    .select({
      enrollmentId: enrollments.id,
      contactId: enrollments.contactId,
      email: contacts.email,
      firstName: contacts.firstName,
      enteredAt: enrollments.enteredAt,
      since: sql<Date>`(select max(s.at) from ${enrollmentSteps} s where s.enrollment_id = ${enrollments.id} and s.node_id = ${q.nodeId})`.mapWith(
        (v: string | Date | null) => (v === null ? null : new Date(v)),
      ),
    })
    .from(enrollments)
    .innerJoin(contacts, and(eq(contacts.id, enrollments.contactId), eq(contacts.workspaceId, enrollments.workspaceId)))
    .where(
      and(
        eq(enrollments.workspaceId, q.workspaceId),
        eq(enrollments.flowId, q.flowId),
        eq(enrollments.status, "active"),
        eq(enrollments.currentNodeId, q.nodeId),
      ),
    )
    .orderBy(desc(enrollments.enteredAt))
    .limit(q.limit ?? 50);
}

/** One enrollment of this flow with its contact, for the trace panel; undefined if not this flow's. */
export async function enrollmentOfFlow(db: Db, q: { workspaceId: string; flowId: string; enrollmentId: string }) {
  const [row] = await db
    .select({
      id: enrollments.id,
      status: enrollments.status,
      exitReason: enrollments.exitReason,
      enteredAt: enrollments.enteredAt,
      trigger: enrollments.trigger,
      versionNumber: flowVersions.number,
      email: contacts.email,
      firstName: contacts.firstName,
    })
    .from(enrollments)
    .innerJoin(contacts, and(eq(contacts.id, enrollments.contactId), eq(contacts.workspaceId, enrollments.workspaceId)))
    .innerJoin(flowVersions, eq(flowVersions.id, enrollments.flowVersionId))
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.flowId, q.flowId), eq(enrollments.id, q.enrollmentId)));
  return row;
}

/** What the node panel's pickers offer: templates, tags, event names, attribute keys in use and segments. */
export async function editorPickers(db: Db, q: { workspaceId: string }) {
  const [tpl, tagRows, eventRows, attrRows, segmentRows] = await Promise.all([
    db
      .select({ id: templates.id, name: templates.name, subject: templates.subject })
      .from(templates)
      .where(eq(templates.workspaceId, q.workspaceId))
      .orderBy(asc(templates.name))
      .limit(500),
    db.select({ name: tags.name }).from(tags).where(eq(tags.workspaceId, q.workspaceId)).orderBy(asc(tags.name)).limit(500),
    db
      .selectDistinct({ name: events.name })
      .from(events)
      .where(and(eq(events.workspaceId, q.workspaceId), eq(events.type, "track")))
      .orderBy(asc(events.name))
      .limit(500),
    rows<{ k: string }>(
      db,
      sql`
      select distinct k from (
        select jsonb_object_keys(attributes) as k from ${contacts}
        where workspace_id = ${q.workspaceId}::uuid
        order by 1 limit 5000
      ) a order by 1 limit 200`,
    ),
    db.select({ id: segments.id, name: segments.name }).from(segments).where(eq(segments.workspaceId, q.workspaceId)).orderBy(asc(segments.name)).limit(500),
  ]);
  return {
    templates: tpl,
    tags: tagRows.map((t) => t.name),
    events: eventRows.map((e) => e.name),
    attributes: attrRows.map((a) => a.k),
    segments: segmentRows,
  };
}

/** A few real contacts to dry-run with (attributes and tags), newest first. */
export async function dryRunContacts(db: Db, q: { workspaceId: string; limit?: number }) {
  const people = await db
    .select({ id: contacts.id, email: contacts.email, firstName: contacts.firstName, timeZone: contacts.timeZone, attributes: contacts.attributes })
    .from(contacts)
    .where(eq(contacts.workspaceId, q.workspaceId))
    .orderBy(desc(contacts.createdAt))
    .limit(q.limit ?? 20);
  if (people.length === 0) return [];
  const tagRows = await rows<{ contact_id: string; name: string }>(db, sql`
    select ct.contact_id, t.name from contact_tags ct join tags t on t.id = ct.tag_id
    where ct.workspace_id = ${q.workspaceId}::uuid and ct.contact_id in (${sql.join(people.map((r) => sql`${r.id}::uuid`), sql`, `)})`);
  return people.map((r) => ({ ...r, tags: tagRows.filter((t) => t.contact_id === r.id).map((t) => t.name) }));
}

// ---------------------------------------------------------------- migration between versions

export type Migrated = { fromEnrollmentId: string; enrollmentId: string; contactId: string; startNodeId: string };

/**
 * Moves the contacts waiting in `fromVersionId` at the nodes of `map` to `toVersionId`, each at
 * its mapped node: the old enrollment ends ("exited", reason "migrated", its open trace row
 * closed) and a new one begins at the target node with the same trigger payload, in one
 * transaction. Keyed by `key` (one per publish): a retry finds the rows it made before.
 */
export async function migrateWaiting(
  db: Db,
  q: { workspaceId: string; flowId: string; fromVersionId: string; toVersionId: string; map: Record<string, string>; key: string; at: Date },
): Promise<Migrated[]> {
  const from = Object.keys(q.map);
  const prefix = `migrate:${q.key}:`;
  await db.transaction(async (tx) => {
    if (from.length === 0) return;
    const [target] = await tx
      .select({ id: flowVersions.id })
      .from(flowVersions)
      .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.flowId, q.flowId), eq(flowVersions.id, q.toVersionId)));
    if (!target) throw new Error("the target version is not this flow's");
    const ended = await tx
      .update(enrollments)
      .set({ status: "exited", exitReason: "migrated", finishedAt: q.at })
      .where(
        and(
          eq(enrollments.workspaceId, q.workspaceId),
          eq(enrollments.flowId, q.flowId),
          eq(enrollments.flowVersionId, q.fromVersionId),
          eq(enrollments.status, "active"),
          inArray(enrollments.currentNodeId, from),
        ),
      )
      .returning({ id: enrollments.id, contactId: enrollments.contactId, nodeId: enrollments.currentNodeId, trigger: enrollments.trigger });
    if (ended.length === 0) return;
    const at = q.at.toISOString();
    await tx.execute(sql`
      update enrollment_steps set outcome = 'exited:migrated', finished_at = ${at}::timestamptz
      where workspace_id = ${q.workspaceId}::uuid and finished_at is null
        and enrollment_id in (${sql.join(ended.map((e) => sql`${e.id}::uuid`), sql`, `)})`);
    await tx
      .insert(enrollments)
      .values(
        ended.map((e) => ({
          workspaceId: q.workspaceId,
          flowId: q.flowId,
          flowVersionId: q.toVersionId,
          contactId: e.contactId,
          startNodeId: q.map[e.nodeId!]!,
          currentNodeId: q.map[e.nodeId!]!,
          trigger: e.trigger,
          sourceEventId: `${prefix}${e.id}`,
          enteredAt: q.at,
        })),
      )
      .onConflictDoNothing();
  });
  const rows = await db
    .select({ enrollmentId: enrollments.id, contactId: enrollments.contactId, startNodeId: enrollments.startNodeId, source: enrollments.sourceEventId })
    .from(enrollments)
    .where(and(eq(enrollments.workspaceId, q.workspaceId), eq(enrollments.flowId, q.flowId), like(enrollments.sourceEventId, `${prefix}%`)));
  return rows.map((r) => ({ enrollmentId: r.enrollmentId, contactId: r.contactId, startNodeId: r.startNodeId ?? "", fromEnrollmentId: r.source!.slice(prefix.length) }));
}
