import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";

/**
 * Report queries. Every one is scoped by workspace and reads the daily rollups the migration's
 * triggers keep (email_stats_daily, email_link_clicks_daily, flow_enrollments_daily,
 * flow_steps_daily, contact_growth_daily) or small tables (conversions, form_views), never a
 * scan of email_events or enrollment_steps: reports stay fast at tens of millions of events.
 * Ranges are whole UTC days, `from` and `to` inclusive (YYYY-MM-DD).
 *
 * By what they read: this module (the range, contact growth, the rollups' rebuild), mail-stats.ts
 * (mail figures), flow-reports.ts (flows), forms.ts (form views and funnels) and conversions.ts
 * (goal conversions and their attribution).
 */

export type DayRange = { from: string; to: string };
export type ReportScope = { workspaceId: string } & DayRange;

/** Dates as ISO text with a cast: raw SQL parameters do not go through drizzle's column mappers. */
export const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
export const dayStart = (day: string) => sql`${day}::date::timestamp at time zone 'UTC'`;
export const dayEnd = (day: string) => sql`(${day}::date + 1)::timestamp at time zone 'UTC'`;

// ---------------------------------------------------------------- contact growth (the workspace dashboard)

export type GrowthDay = { day: string; confirmed: number; unconfirmed: number; left: number };
export type Growth = {
  /** Contacts created before the range, by current state (the base the cumulative lines start from). */
  before: { confirmed: number; unconfirmed: number; left: number };
  days: GrowthDay[];
};

/**
 * New contacts per day by where they stand now: confirmed (subscribed), unconfirmed (double
 * opt-in pending) or left (unsubscribed, bounced, complained, erased).
 */
export async function subscriberGrowth(db: Db, q: ReportScope): Promise<Growth> {
  const [before] = await rows<{ confirmed: number; unconfirmed: number; left: number }>(
    db,
    sql`select coalesce(sum(contacts) filter (where status = 'subscribed'), 0)::int as confirmed,
               coalesce(sum(contacts) filter (where status = 'unconfirmed'), 0)::int as unconfirmed,
               coalesce(sum(contacts) filter (where status not in ('subscribed', 'unconfirmed')), 0)::int as "left"
        from contact_growth_daily where workspace_id = ${q.workspaceId}::uuid and day < ${q.from}::date`,
  );
  const days = await rows<GrowthDay>(
    db,
    sql`select day::text as day,
               coalesce(sum(contacts) filter (where status = 'subscribed'), 0)::int as confirmed,
               coalesce(sum(contacts) filter (where status = 'unconfirmed'), 0)::int as unconfirmed,
               coalesce(sum(contacts) filter (where status not in ('subscribed', 'unconfirmed')), 0)::int as "left"
        from contact_growth_daily
        where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date
        group by day order by day`,
  );
  return { before: before ?? { confirmed: 0, unconfirmed: 0, left: 0 }, days };
}

/** Recomputes a workspace's rollups from the source tables (after bulk loads with triggers off). */
export async function rebuildRollups(db: Db, q: { workspaceId: string }): Promise<void> {
  await db.execute(sql`select analytics_rebuild(${q.workspaceId}::uuid)`);
}
