import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { dayEnd, dayStart, type ReportScope } from "./analytics";

/** Mail figures from the daily rollups (email_stats_daily, email_link_clicks_daily): list health, per send node, per message. */

export type HealthDay = { day: string; sent: number; delivered: number; unsubscribed: number; complained: number; bounced: number };

/**
 * List health per day: unique messages delivered, unsubscribed, complained and bounced (human
 * activity only). Rates are per delivered message, as mailbox providers measure them.
 */
export async function listHealth(db: Db, q: ReportScope): Promise<HealthDay[]> {
  return rows<HealthDay>(
    db,
    sql`select day::text as day,
               coalesce(sum(messages) filter (where type = 'sent'), 0)::int as sent,
               coalesce(sum(messages) filter (where type = 'delivered'), 0)::int as delivered,
               coalesce(sum(messages) filter (where type = 'unsubscribed'), 0)::int as unsubscribed,
               coalesce(sum(messages) filter (where type = 'complained'), 0)::int as complained,
               coalesce(sum(messages) filter (where type = 'bounced'), 0)::int as bounced
        from email_stats_daily
        where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date and not machine
          and type in ('sent', 'delivered', 'unsubscribed', 'complained', 'bounced')
        group by day order by day`,
  );
}

export type MailTotals = {
  sent: number;
  delivered: number;
  delayed: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
  failed: number;
  suppressed: number;
  /** Unique messages opened / clicked, human and machine apart; *Events are every event. */
  opened: number;
  openedMachine: number;
  openEvents: number;
  clicked: number;
  clickedMachine: number;
  clickEvents: number;
};

const mailTotalsColumns = sql`
  coalesce(sum(messages) filter (where type = 'sent'), 0)::int as sent,
  coalesce(sum(messages) filter (where type = 'delivered' and not machine), 0)::int as delivered,
  coalesce(sum(messages) filter (where type = 'delivery_delayed' and not machine), 0)::int as delayed,
  coalesce(sum(messages) filter (where type = 'bounced' and not machine), 0)::int as bounced,
  coalesce(sum(messages) filter (where type = 'complained' and not machine), 0)::int as complained,
  coalesce(sum(messages) filter (where type = 'unsubscribed' and not machine), 0)::int as unsubscribed,
  coalesce(sum(messages) filter (where type = 'failed' and not machine), 0)::int as failed,
  coalesce(sum(messages) filter (where type = 'suppressed' and not machine), 0)::int as suppressed,
  coalesce(sum(messages) filter (where type = 'opened' and not machine), 0)::int as opened,
  coalesce(sum(messages) filter (where type = 'opened' and machine), 0)::int as "openedMachine",
  coalesce(sum(events) filter (where type = 'opened' and not machine), 0)::int as "openEvents",
  coalesce(sum(messages) filter (where type = 'clicked' and not machine), 0)::int as clicked,
  coalesce(sum(messages) filter (where type = 'clicked' and machine), 0)::int as "clickedMachine",
  coalesce(sum(events) filter (where type = 'clicked' and not machine), 0)::int as "clickEvents"`;

export type NodeMail = MailTotals & { nodeId: string };

/** Mail figures of each send node of a flow in the range. */
export async function flowMail(db: Db, q: ReportScope & { flowId: string }): Promise<NodeMail[]> {
  return rows<NodeMail>(
    db,
    sql`select node_id as "nodeId", ${mailTotalsColumns}
        from email_stats_daily
        where workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and day between ${q.from}::date and ${q.to}::date
        group by node_id order by node_id`,
  );
}

export type MailDay = { day: string; sent: number; delivered: number; opened: number; clicked: number; openedMachine: number; clickedMachine: number };
export type LinkClicks = { url: string; clicks: number; uniqueClicks: number; machineClicks: number };
export type MessageReport = {
  totals: MailTotals;
  days: MailDay[];
  links: LinkClicks[];
  conversions: { conversions: number; revenue: number; viaClick: number; viaOpen: number };
};

/** One message of a flow (its send node): totals, per day, clicks per link, and conversions credited to it. */
export async function messageReport(db: Db, q: ReportScope & { flowId: string; nodeId: string }): Promise<MessageReport> {
  const where = sql`workspace_id = ${q.workspaceId}::uuid and flow_id = ${q.flowId}::uuid and node_id = ${q.nodeId}
                    and day between ${q.from}::date and ${q.to}::date`;
  const [totals] = await rows<MailTotals>(db, sql`select ${mailTotalsColumns} from email_stats_daily where ${where}`);
  const days = await rows<MailDay>(
    db,
    sql`select day::text as day,
               coalesce(sum(messages) filter (where type = 'sent'), 0)::int as sent,
               coalesce(sum(messages) filter (where type = 'delivered' and not machine), 0)::int as delivered,
               coalesce(sum(messages) filter (where type = 'opened' and not machine), 0)::int as opened,
               coalesce(sum(messages) filter (where type = 'clicked' and not machine), 0)::int as clicked,
               coalesce(sum(messages) filter (where type = 'opened' and machine), 0)::int as "openedMachine",
               coalesce(sum(messages) filter (where type = 'clicked' and machine), 0)::int as "clickedMachine"
        from email_stats_daily where ${where} group by day order by day`,
  );
  const links = await rows<LinkClicks>(
    db,
    sql`select min(url) as url,
               coalesce(sum(clicks) filter (where not machine), 0)::int as clicks,
               coalesce(sum(messages) filter (where not machine), 0)::int as "uniqueClicks",
               coalesce(sum(clicks) filter (where machine), 0)::int as "machineClicks"
        from email_link_clicks_daily where ${where}
        group by url_hash order by clicks desc, "uniqueClicks" desc, url limit 100`,
  );
  const [conv] = await rows<MessageReport["conversions"]>(
    db,
    sql`select count(*)::int as conversions, coalesce(sum(c.revenue), 0)::float8 as revenue,
               (count(*) filter (where c.attributed_via = 'click'))::int as "viaClick",
               (count(*) filter (where c.attributed_via = 'open'))::int as "viaOpen"
        from conversions c
        where c.workspace_id = ${q.workspaceId}::uuid and c.flow_id = ${q.flowId}::uuid and c.message_id is not null
          and c.message_node_id = ${q.nodeId}
          and c.occurred_at >= ${dayStart(q.from)} and c.occurred_at < ${dayEnd(q.to)}`,
  );
  return {
    totals: totals!,
    days,
    links,
    conversions: conv ?? { conversions: 0, revenue: 0, viaClick: 0, viaOpen: 0 },
  };
}
