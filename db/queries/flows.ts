import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { enrollments, flows, flowVersions } from "../schema/index";
import { starterGraph, starterTemplates, type StarterKey } from "@/lib/flows/starters";
import { ensureStarterTemplates } from "./templates";

/**
 * Flows themselves: the live ones the router enrols into, the list, the editor's draft (saved with
 * optimistic concurrency), renaming, pausing. Versions: flow-versions.ts; per-node figures:
 * flow-stats.ts; the editor's pickers: flow-editor.ts.
 */

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

export async function createFlow(db: DbOrTx, q: { workspaceId: string; name: string; draft: unknown; createdBy: string | null }) {
  const [row] = await db
    .insert(flows)
    .values({ workspaceId: q.workspaceId, name: q.name, draft: q.draft, createdBy: q.createdBy })
    .returning({ id: flows.id });
  return row!;
}

/**
 * A new flow from a starter, in one transaction: each send node names the template made for its
 * step (the workspace's active template of that name, else a new draft from the starter), never an
 * unrelated one (docs/flows.md, "Starters").
 */
export async function createStarterFlow(db: Db, q: { workspaceId: string; name: string; starter: StarterKey; createdBy: string | null }) {
  return db.transaction(async (tx) => {
    const ids = await ensureStarterTemplates(tx, { workspaceId: q.workspaceId, templates: starterTemplates(q.starter) });
    const draft = starterGraph(q.starter, { template: (slot) => ids.get(slot) ?? "" });
    return createFlow(tx, { workspaceId: q.workspaceId, name: q.name, draft, createdBy: q.createdBy });
  });
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
      providerWaitHours: flows.providerWaitHours,
      updatedAt: flows.updatedAt,
    })
    .from(flows)
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)));
  return row;
}

/**
 * How long the flow's runs wait out mail provider outages (429, 5xx) at one send before they
 * fail (1–168 hours; the table checks it too). False when the flow is not the workspace's.
 */
export async function setFlowProviderWait(db: Db, q: { workspaceId: string; flowId: string; hours: number }): Promise<boolean> {
  const changed = await db
    .update(flows)
    .set({ providerWaitHours: q.hours, updatedAt: sql`now()` })
    .where(and(eq(flows.workspaceId, q.workspaceId), eq(flows.id, q.flowId)))
    .returning({ id: flows.id });
  return changed.length === 1;
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
