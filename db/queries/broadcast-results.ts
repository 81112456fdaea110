import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import type { BroadcastConversionRules } from "@/lib/broadcasts/conversion";
import type { LinkClicks, MailTotals } from "./mail-stats";

/**
 * A broadcast's results, read from its messages (messages.broadcast_id) and their email events:
 * two set-based statements, one for the figures and one for clicks per link. Counts are unique
 * messages (a contact opening twice is one open), people only: machine opens and clicks (link
 * scanners, privacy proxies) are counted apart and never in the rates or conversions, as in the
 * flow reports. Index use and timings: docs/broadcasts.md#results-and-view-in-browser.
 */

/**
 * Unique messages (a contact opening twice is one open), people's apart from machines'; *Events
 * are every human event. Sent: handed to the provider (messages.sent_at set).
 */
export type BroadcastFigures = Pick<
  MailTotals,
  "sent" | "delivered" | "bounced" | "complained" | "unsubscribed" | "opened" | "openedMachine" | "openEvents" | "clicked" | "clickedMachine" | "clickEvents"
> & {
  /** Recipients who converted (docs/broadcasts.md), and the revenue of those conversions. */
  conversions: number;
  revenue: number;
  /** Hand-offs, delivered, people's opens and clicks per day (UTC), for the chart. */
  days: BroadcastDay[];
};

export type BroadcastDay = { day: string; sent: number; delivered: number; opened: number; clicked: number };
export type BroadcastLink = LinkClicks;

export type BroadcastRates = {
  deliveryRate: number | null;
  openRate: number | null;
  clickRate: number | null;
  clickToOpenRate: number | null;
  bounceRate: number | null;
  complaintRate: number | null;
  unsubscribeRate: number | null;
  conversionRate: number | null;
};

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** Rates as the reports state them: bounces per sent message, everything else per delivered one. */
export function broadcastRates(f: Pick<BroadcastFigures, "sent" | "delivered" | "opened" | "clicked" | "bounced" | "complained" | "unsubscribed" | "conversions">): BroadcastRates {
  return {
    deliveryRate: ratio(f.delivered, f.sent),
    openRate: ratio(f.opened, f.delivered),
    clickRate: ratio(f.clicked, f.delivered),
    clickToOpenRate: ratio(f.clicked, f.opened),
    bounceRate: ratio(f.bounced, f.sent),
    complaintRate: ratio(f.complained, f.delivered),
    unsubscribeRate: ratio(f.unsubscribed, f.delivered),
    conversionRate: ratio(f.conversions, f.delivered),
  };
}

/** `{a,b}` for `#>>`: the revenue property as a JSON path (validated by lib/broadcasts/conversion). */
const jsonPath = (dotted: string) => `{${dotted.split(".").join(",")}}`;

export async function broadcastFigures(db: Db, q: { workspaceId: string; broadcastId: string; conversion: BroadcastConversionRules }): Promise<BroadcastFigures> {
  const path = jsonPath(q.conversion.revenueProperty);
  const [r] = await rows<Omit<BroadcastFigures, "days"> & { days: BroadcastDay[] | null }>(
    db,
    sql`with per_msg as materialized (
          -- One row per message of the broadcast (messages_broadcast_idx; the workspace check keeps a
          -- foreign broadcast id from reading anything), its events folded in one pass
          -- (email_events_message_idx, or one hash join when the broadcast is most of the workspace).
          select m.id, m.contact_id, m.sent_at,
                 min(e.occurred_at) filter (where e.type = 'delivered') as delivered_at,
                 min(e.occurred_at) filter (where e.type = 'opened' and not e.machine) as opened_at,
                 min(e.occurred_at) filter (where e.type = 'clicked' and not e.machine) as clicked_at,
                 coalesce(bool_or(e.type = 'opened' and e.machine), false) as opened_machine,
                 coalesce(bool_or(e.type = 'clicked' and e.machine), false) as clicked_machine,
                 count(*) filter (where e.type = 'opened' and not e.machine) as open_events,
                 count(*) filter (where e.type = 'clicked' and not e.machine) as click_events,
                 coalesce(bool_or(e.type = 'bounced'), false) as bounced,
                 coalesce(bool_or(e.type = 'complained'), false) as complained,
                 coalesce(bool_or(e.type = 'unsubscribed' and not e.machine), false) as unsubscribed
          from messages m
          left join email_events e on e.message_id = m.id and e.workspace_id = m.workspace_id
            and e.type in ('delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed')
          where m.broadcast_id = ${q.broadcastId}::uuid and m.workspace_id = ${q.workspaceId}::uuid
          group by m.id
        ), won as (
          -- The first conversion event of each engaged recipient inside the window (events_contact_name_time_idx).
          select (case when jsonb_typeof(ev.properties #> ${path}::text[]) = 'number'
                         or (ev.properties #>> ${path}::text[]) ~ '^\\s*-?\\d+(\\.\\d+)?\\s*$'
                       then round(trim(ev.properties #>> ${path}::text[])::numeric, 2) end) as revenue
          from per_msg p
          cross join lateral (
            select properties from events ev
            where ev.contact_id = p.contact_id and ev.name = ${q.conversion.event} and ev.workspace_id = ${q.workspaceId}::uuid
              and ev.occurred_at >= least(p.opened_at, p.clicked_at) and ev.occurred_at <= p.sent_at + make_interval(days => ${q.conversion.windowDays}::int)
            order by ev.occurred_at, ev.id limit 1
          ) ev
          where p.contact_id is not null and p.sent_at is not null and (p.opened_at is not null or p.clicked_at is not null)
        ), per_day as (
          select (t.at at time zone 'UTC')::date as day, count(*) filter (where t.k = 's')::int as sent, count(*) filter (where t.k = 'd')::int as delivered,
                 count(*) filter (where t.k = 'o')::int as opened, count(*) filter (where t.k = 'c')::int as clicked
          from per_msg p cross join lateral (values ('s', p.sent_at), ('d', p.delivered_at), ('o', p.opened_at), ('c', p.clicked_at)) t(k, at)
          where t.at is not null
          group by 1
        ), totals as (
          select count(*) filter (where sent_at is not null)::int as sent,
                 count(*) filter (where delivered_at is not null)::int as delivered,
                 count(*) filter (where bounced)::int as bounced,
                 count(*) filter (where complained)::int as complained,
                 count(*) filter (where unsubscribed)::int as unsubscribed,
                 count(*) filter (where opened_at is not null)::int as opened,
                 count(*) filter (where opened_machine)::int as "openedMachine",
                 coalesce(sum(open_events), 0)::int as "openEvents",
                 count(*) filter (where clicked_at is not null)::int as clicked,
                 count(*) filter (where clicked_machine)::int as "clickedMachine",
                 coalesce(sum(click_events), 0)::int as "clickEvents"
          from per_msg
        )
        select totals.*,
               (select count(*) from won)::int as conversions,
               (select coalesce(sum(revenue) filter (where abs(revenue) < 1e12), 0) from won)::float8 as revenue,
               (select json_agg(json_build_object('day', day::text, 'sent', sent, 'delivered', delivered, 'opened', opened, 'clicked', clicked) order by day) from per_day) as days
        from totals`,
  );
  return { ...r!, days: r!.days ?? [] };
}

/** Clicks per tracked destination: people's clicks (every click, and unique messages) and machine clicks apart. */
export async function broadcastLinks(db: Db, q: { workspaceId: string; broadcastId: string; limit?: number }): Promise<BroadcastLink[]> {
  return rows<BroadcastLink>(
    db,
    sql`select e.url, (count(*) filter (where not e.machine))::int as clicks,
               (count(distinct e.message_id) filter (where not e.machine))::int as "uniqueClicks",
               (count(*) filter (where e.machine))::int as "machineClicks"
        from messages m join email_events e on e.message_id = m.id and e.type = 'clicked' and e.workspace_id = ${q.workspaceId}::uuid
        where m.broadcast_id = ${q.broadcastId}::uuid and m.workspace_id = ${q.workspaceId}::uuid and e.url is not null
        group by e.url
        order by clicks desc, "uniqueClicks" desc, e.url
        limit ${q.limit ?? 200}`,
  );
}

export type BroadcastHeader = {
  id: string;
  name: string;
  status: string;
  recipientCount: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
};

/** The broadcast named in a results request, in this workspace only. */
export async function broadcastHeader(db: Db, q: { workspaceId: string; broadcastId: string }): Promise<BroadcastHeader | undefined> {
  const [r] = await rows<Omit<BroadcastHeader, "startedAt" | "finishedAt"> & { startedAt: string | null; finishedAt: string | null }>(
    db,
    sql`select id, name, status::text as status, recipient_count as "recipientCount", started_at as "startedAt", finished_at as "finishedAt"
        from broadcasts where id = ${q.broadcastId}::uuid and workspace_id = ${q.workspaceId}::uuid`,
  );
  if (!r) return undefined;
  return { ...r, startedAt: r.startedAt ? new Date(r.startedAt) : null, finishedAt: r.finishedAt ? new Date(r.finishedAt) : null };
}

export type BroadcastResults = { broadcast: BroadcastHeader; figures: BroadcastFigures; rates: BroadcastRates; links: BroadcastLink[] };

/** Everything the results page and the API answer with; undefined when the broadcast is not this workspace's. */
export async function broadcastResults(db: Db, q: { workspaceId: string; broadcastId: string; conversion: BroadcastConversionRules }): Promise<BroadcastResults | undefined> {
  const broadcast = await broadcastHeader(db, q);
  if (!broadcast) return undefined;
  const [figures, links] = await Promise.all([broadcastFigures(db, q), broadcastLinks(db, q)]);
  return { broadcast, figures, rates: broadcastRates(figures), links };
}
