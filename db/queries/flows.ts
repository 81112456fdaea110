import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { enrollments, flows, flowVersions } from "../schema/index";
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
  q: { workspaceId: string; flowId: string; plan: unknown; graph: unknown; hash: string; publishedBy?: string | null },
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
  q: { workspaceId: string; flowId: string; plan: unknown; canonicalPlan: string; graph: unknown; publishedBy?: string | null },
) {
  const hash = sha256(q.canonicalPlan);
  return publishFlowVersion(db, { workspaceId: q.workspaceId, flowId: q.flowId, plan: q.plan, graph: q.graph, hash, publishedBy: q.publishedBy });
}

/** The workspace's flows with their published version and how many contacts are in them now. */
export async function listFlows(db: Db, q: { workspaceId: string }) {
  return db
    .select({
      id: flows.id,
      name: flows.name,
      status: flows.status,
      updatedAt: flows.updatedAt,
      version: flowVersions.number,
      active: sql<number>`(select count(*)::int from ${enrollments} e where e.workspace_id = ${flows.workspaceId} and e.flow_id = ${flows.id} and e.status = 'active')`,
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
