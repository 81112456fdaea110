import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { NO_ID } from "../schema/analytics";
import { dayEnd, dayStart, type ReportScope } from "./analytics";

/** Flow reports over a range: flows ranked, one flow's totals, series, funnel and A/B arms (rollups and conversions). */

export type FlowSummary = {
  flowId: string;
  name: string;
  status: string;
  enrolled: number;
  sent: number;
  conversions: number;
  revenue: number;
};

/** Flows ranked by revenue, then conversions, then enrollments in the range. */
export async function topFlows(db: Db, q: ReportScope & { limit?: number }): Promise<FlowSummary[]> {
  return rows<FlowSummary>(
    db,
    sql`with e as (
          select flow_id, sum(enrolled)::int as enrolled from flow_enrollments_daily
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date group by flow_id
        ), s as (
          select flow_id, sum(messages)::int as sent from email_stats_daily
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date and type = 'sent'
            and flow_id <> ${NO_ID}::uuid
          group by flow_id
        ), c as (
          select flow_id, count(*)::int as conversions, coalesce(sum(revenue), 0)::float8 as revenue from conversions
          where workspace_id = ${q.workspaceId}::uuid and occurred_at >= ${dayStart(q.from)} and occurred_at < ${dayEnd(q.to)}
          group by flow_id
        )
        select f.id as "flowId", f.name, f.status::text as status, coalesce(e.enrolled, 0) as enrolled, coalesce(s.sent, 0) as sent,
               coalesce(c.conversions, 0) as conversions, coalesce(c.revenue, 0)::float8 as revenue
        from flows f left join e on e.flow_id = f.id left join s on s.flow_id = f.id left join c on c.flow_id = f.id
        where f.workspace_id = ${q.workspaceId}::uuid and (e.flow_id is not null or s.flow_id is not null or c.flow_id is not null)
        order by revenue desc, conversions desc, enrolled desc, f.name
        limit ${q.limit ?? 10}`,
  );
}

export type FlowTotals = { enrolled: number; conversions: number; revenue: number; attributed: number };
export type FlowDay = { day: string; enrolled: number; conversions: number; revenue: number };
export type NodeEntered = { nodeId: string; entered: number };

export async function flowTotals(db: Db, q: ReportScope & { flowId: string }): Promise<FlowTotals> {
  const [r] = await rows<FlowTotals>(
    db,
    sql`select (select coalesce(sum(enrolled), 0) from flow_enrollments_daily
                where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and day between ${q.from}::date and ${q.to}::date)::int as enrolled,
               count(c.id)::int as conversions, coalesce(sum(c.revenue), 0)::float8 as revenue,
               count(c.message_id)::int as attributed
        from conversions c
        where c.workspace_id = ${q.workspaceId}::uuid and c.flow_id = ${q.flowId}::uuid
          and c.occurred_at >= ${dayStart(q.from)} and c.occurred_at < ${dayEnd(q.to)}`,
  );
  return r!;
}

export async function flowSeries(db: Db, q: ReportScope & { flowId: string }): Promise<FlowDay[]> {
  return rows<FlowDay>(
    db,
    sql`select day::text as day, sum(enrolled)::int as enrolled, sum(conversions)::int as conversions, sum(revenue)::float8 as revenue
        from (
          select day, enrolled, 0 as conversions, 0::numeric as revenue from flow_enrollments_daily
          where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and day between ${q.from}::date and ${q.to}::date
          union all
          select (occurred_at at time zone 'UTC')::date, 0, 1, coalesce(revenue, 0) from conversions
          where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid
            and occurred_at >= ${dayStart(q.from)} and occurred_at < ${dayEnd(q.to)}
        ) x group by day order by day`,
  );
}

/** Enrollments that reached each node (first visits) in the range: the funnel. */
export async function flowFunnel(db: Db, q: ReportScope & { flowId: string }): Promise<NodeEntered[]> {
  return rows<NodeEntered>(
    db,
    sql`select node_id as "nodeId", sum(entered)::int as entered from flow_steps_daily
        where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and day between ${q.from}::date and ${q.to}::date
        group by node_id order by node_id`,
  );
}

export type SplitArm = { nodeId: string; exit: string; entered: number; conversions: number; revenue: number };

/**
 * A/B arms of the flow's random splits: contacts who took each branch in the range, and how many
 * of those enrollments converted (at any time since: the cohort is fixed by the split day).
 */
export async function splitArms(db: Db, q: ReportScope & { flowId: string; splitNodeIds: string[] }): Promise<SplitArm[]> {
  if (q.splitNodeIds.length === 0) return [];
  const ids = sql.join(q.splitNodeIds.map((id) => sql`${id}`), sql`, `);
  return rows<SplitArm>(
    db,
    sql`with arms as (
          select node_id, exit, sum(entered)::int as entered from flow_steps_daily
          where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and node_id in (${ids}) and exit <> ''
            and day between ${q.from}::date and ${q.to}::date
          group by node_id, exit
        ), won as (
          -- The arms each conversion's enrollment had taken are recorded on the conversion.
          select p->>'node' as node_id, p->>'exit' as exit, count(distinct c.enrollment_id)::int as conversions,
                 coalesce(sum(c.revenue), 0)::float8 as revenue
          from conversions c cross join lateral jsonb_array_elements(c.split_path) p
          where c.workspace_id = ${q.workspaceId}::uuid and c.flow_id = ${q.flowId}::uuid
            and p->>'node' in (${ids}) and (p->>'at')::timestamptz >= ${dayStart(q.from)} and (p->>'at')::timestamptz < ${dayEnd(q.to)}
          group by 1, 2
        )
        select arms.node_id as "nodeId", arms.exit, arms.entered, coalesce(won.conversions, 0) as conversions, coalesce(won.revenue, 0)::float8 as revenue
        from arms left join won on won.node_id = arms.node_id and won.exit = arms.exit
        order by arms.node_id, arms.exit`,
  );
}

/** Flows of the workspace that have report figures at all (for the empty state and pickers). */
export async function reportFlow(db: Db, q: { workspaceId: string; flowId: string }) {
  const [r] = await rows<{ id: string; name: string; status: string; plan: unknown }>(
    db,
    sql`select f.id, f.name, f.status::text as status, v.plan from flows f left join flow_versions v on v.id = f.current_version_id
        where f.workspace_id = ${q.workspaceId}::uuid and f.id = ${q.flowId}::uuid`,
  );
  return r;
}

/** Every plan version of a flow (newest first): node labels for nodes a later version removed. */
export async function flowPlans(db: Db, q: { workspaceId: string; flowId: string }): Promise<unknown[]> {
  const r = await rows<{ plan: unknown }>(
    db,
    sql`select plan from flow_versions where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid order by number desc limit 20`,
  );
  return r.map((x) => x.plan);
}
