import { and, desc, eq, inArray, like, sql } from "drizzle-orm";
import type { Db, Tx } from "../client";
import { enrollments, flows, flowVersions, users } from "../schema/index";
import type { Plan } from "@/lib/flows/plan";
import { membersAmong } from "./notifications";
import { pinTemplateVersions, recordPins } from "./template-versions";
import { sha256 } from "./tokens";

/**
 * A flow's published versions: publishing (immutable rows, the newest current), reading them back,
 * restoring one into the draft, and moving waiting contacts from one version to another.
 */

export async function getFlowVersion(db: Db, q: { workspaceId: string; flowVersionId: string }) {
  const [row] = await db
    .select({ id: flowVersions.id, flowId: flowVersions.flowId, number: flowVersions.number, plan: flowVersions.plan })
    .from(flowVersions)
    .where(and(eq(flowVersions.workspaceId, q.workspaceId), eq(flowVersions.id, q.flowVersionId)));
  return row;
}

/**
 * Records a published version and makes it current, with the template versions its send-email
 * nodes send pinned in the same transaction (db/queries/template-versions). Versions are
 * immutable; a publish is a new row. Throws TemplatePinError, and records nothing, when a send
 * names a missing or archived template, and NotifyMemberError when a notify-team node names
 * someone who is not a member of the workspace. (The editor's publish action calls this after
 * compile(); tests use it directly.)
 */
export async function publishFlowVersion(
  db: Db,
  q: { workspaceId: string; flowId: string; plan: Plan; graph: unknown; hash: string; publishedBy?: string | null; note?: string | null },
) {
  return db.transaction(async (tx) => {
    const pins = await pinTemplateVersions(tx, { workspaceId: q.workspaceId, plan: q.plan });
    await checkNotifyMembers(tx, { workspaceId: q.workspaceId, plan: q.plan });
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
    await recordPins(tx, { workspaceId: q.workspaceId, flowVersionId: version!.id, pins });
    return version!;
  });
}

/** A notify-team node names someone who is not a member of the workspace: the publish is refused, naming the node. */
export class NotifyMemberError extends Error {
  constructor(
    readonly nodeId: string,
    message: string,
  ) {
    super(message);
    this.name = "NotifyMemberError";
  }
}

/**
 * Every member a notify-team node chose must be a member of the workspace when it is published
 * (the runner checks again at each run, and skips those removed since).
 */
async function checkNotifyMembers(tx: Tx, q: { workspaceId: string; plan: Plan }) {
  const nodes = Object.values(q.plan.nodes).flatMap((n) => (n.kind === "notify-team" ? [n] : []));
  if (nodes.length === 0) return;
  const chosen = [...new Set(nodes.flatMap((n) => n.config.memberIds.map((id) => id.toLowerCase())))];
  const members = new Set((await membersAmong(tx, { workspaceId: q.workspaceId, userIds: chosen })).map((m) => m.userId.toLowerCase()));
  for (const n of nodes) {
    const strangers = n.config.memberIds.filter((id) => !members.has(id.toLowerCase()));
    if (strangers.length > 0) {
      const who = strangers.length === 1 ? `${strangers[0]} is not a member` : `${strangers.length} of the chosen people are not members`;
      throw new NotifyMemberError(n.id, `${n.id}: ${who} of this workspace: choose from its members`);
    }
  }
}

/** Publishes a compiled plan: its hash is the sha256 of the plan's canonical JSON. */
export async function publishCompiled(
  db: Db,
  q: { workspaceId: string; flowId: string; plan: Plan; canonicalPlan: string; graph: unknown; publishedBy?: string | null; note?: string | null },
) {
  const hash = sha256(q.canonicalPlan);
  return publishFlowVersion(db, { workspaceId: q.workspaceId, flowId: q.flowId, plan: q.plan, graph: q.graph, hash, publishedBy: q.publishedBy, note: q.note });
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
