import { sql } from "drizzle-orm";
import { rows, type Db } from "../client";
import { NO_ID } from "../schema/analytics";

/**
 * Report queries. Every one is scoped by workspace and reads the daily rollups the migration's
 * triggers keep (email_stats_daily, email_link_clicks_daily, flow_enrollments_daily,
 * flow_steps_daily, contact_growth_daily) or small tables (conversions, form_views), never a
 * scan of email_events or enrollment_steps: reports stay fast at tens of millions of events.
 * Ranges are whole UTC days, `from` and `to` inclusive (YYYY-MM-DD).
 */

export type DayRange = { from: string; to: string };
type Scope = { workspaceId: string } & DayRange;

/** Dates as ISO text with a cast: raw SQL parameters do not go through drizzle's column mappers. */
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const dayStart = (day: string) => sql`${day}::date::timestamp at time zone 'UTC'`;
const dayEnd = (day: string) => sql`(${day}::date + 1)::timestamp at time zone 'UTC'`;

// ---------------------------------------------------------------- form views

/** Counts one view of a hosted form (the hosted page calls this); a form of another workspace counts nothing. */
export async function recordFormView(db: Db, q: { workspaceId: string; formId: string; day: string }): Promise<void> {
  await db.execute(sql`
    insert into form_views as v (workspace_id, form_id, day, views)
    select workspace_id, id, ${q.day}::date, 1 from forms where id = ${q.formId}::uuid and workspace_id = ${q.workspaceId}::uuid
    on conflict (form_id, day) do update set views = v.views + 1`);
}

// ---------------------------------------------------------------- workspace dashboard

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
export async function subscriberGrowth(db: Db, q: Scope): Promise<Growth> {
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

export type HealthDay = { day: string; sent: number; delivered: number; unsubscribed: number; complained: number; bounced: number };

/**
 * List health per day: unique messages delivered, unsubscribed, complained and bounced (human
 * activity only). Rates are per delivered message, as mailbox providers measure them.
 */
export async function listHealth(db: Db, q: Scope): Promise<HealthDay[]> {
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
export async function topFlows(db: Db, q: Scope & { limit?: number }): Promise<FlowSummary[]> {
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

export type FormFunnel = { formId: string; name: string; views: number; submissions: number; confirmations: number };

/**
 * Per form: hosted page views, submissions (opt-ins from the form) and confirmations (those
 * opt-ins whose contact confirmed afterwards, double opt-in, counted on the opt-in's day). Forms with nothing in the range are left out.
 */
export async function formFunnel(db: Db, q: Scope): Promise<FormFunnel[]> {
  return rows<FormFunnel>(
    db,
    sql`with v as (
          select form_id, sum(views)::int as views from form_views
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date group by form_id
        ), s as (
          select form_id, sum(submissions)::int as submissions, sum(confirmations)::int as confirmations from form_stats_daily
          where workspace_id = ${q.workspaceId}::uuid and day between ${q.from}::date and ${q.to}::date group by form_id
        )
        select f.id as "formId", f.name, coalesce(v.views, 0) as views, coalesce(s.submissions, 0) as submissions,
               coalesce(s.confirmations, 0) as confirmations
        from forms f left join v on v.form_id = f.id left join s on s.form_id = f.id
        where f.workspace_id = ${q.workspaceId}::uuid and (v.form_id is not null or s.form_id is not null)
        order by views desc, submissions desc, f.name`,
  );
}

// ---------------------------------------------------------------- mail figures

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
export async function flowMail(db: Db, q: Scope & { flowId: string }): Promise<NodeMail[]> {
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
export async function messageReport(db: Db, q: Scope & { flowId: string; nodeId: string }): Promise<MessageReport> {
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

// ---------------------------------------------------------------- flow report

export type FlowTotals = { enrolled: number; conversions: number; revenue: number; attributed: number };
export type FlowDay = { day: string; enrolled: number; conversions: number; revenue: number };
export type NodeEntered = { nodeId: string; entered: number };

export async function flowTotals(db: Db, q: Scope & { flowId: string }): Promise<FlowTotals> {
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

export async function flowSeries(db: Db, q: Scope & { flowId: string }): Promise<FlowDay[]> {
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
export async function flowFunnel(db: Db, q: Scope & { flowId: string }): Promise<NodeEntered[]> {
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
export async function splitArms(db: Db, q: Scope & { flowId: string; splitNodeIds: string[] }): Promise<SplitArm[]> {
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

// ---------------------------------------------------------------- conversions

export type GoalCandidate = {
  id: string;
  flowId: string;
  flowVersionId: string;
  status: string;
  enteredAt: Date;
  currentNodeId: string | null;
  /** The last mail this enrollment sent at or before the event (for goals windowed from a message). */
  lastSentAt: Date | null;
};

/**
 * Enrollments of a contact a goal event may convert: active ones, and finished ones that entered
 * within `lookbackMs` before the event (goals with a window count after the contact left the flow).
 */
export async function goalCandidates(
  db: Db,
  q: { workspaceId: string; contactId: string; at: Date; lookbackMs: number },
): Promise<GoalCandidate[]> {
  const since = new Date(q.at.getTime() - q.lookbackMs);
  const r = await rows<{ id: string; flowId: string; flowVersionId: string; status: string; enteredAt: string; currentNodeId: string | null; lastSentAt: string | null }>(
    db,
    sql`select e.id, e.flow_id as "flowId", e.flow_version_id as "flowVersionId", e.status::text as status, e.entered_at as "enteredAt",
               e.current_node_id as "currentNodeId",
               (select max(m.sent_at) from messages m where m.enrollment_id = e.id and m.workspace_id = e.workspace_id and m.sent_at <= ${ts(q.at)}) as "lastSentAt"
        from enrollments e
        where e.workspace_id = ${q.workspaceId}::uuid and e.contact_id = ${q.contactId}::uuid
          and (e.status = 'active' or e.entered_at >= ${ts(since)})
        order by e.entered_at`,
  );
  return r.map((x) => ({ ...x, enteredAt: new Date(x.enteredAt), lastSentAt: x.lastSentAt ? new Date(x.lastSentAt) : null }));
}

/**
 * The message credited with a conversion: the last human click on this enrollment's mail inside
 * [since, at]; failing that (when opens count), the last human open. Machine activity never counts.
 */
export async function attributeConversion(
  db: Db,
  q: { workspaceId: string; enrollmentId: string; since: Date; at: Date; opens: boolean },
): Promise<{ messageId: string; via: "click" | "open" } | null> {
  const types = q.opens ? sql`('clicked', 'opened')` : sql`('clicked')`;
  const [r] = await rows<{ messageId: string; type: string }>(
    db,
    sql`select e.message_id as "messageId", e.type::text as type
        from messages m join email_events e on e.message_id = m.id and e.workspace_id = m.workspace_id
        where m.workspace_id = ${q.workspaceId}::uuid and m.enrollment_id = ${q.enrollmentId}::uuid
          and e.type in ${types} and not e.machine and e.occurred_at >= ${ts(q.since)} and e.occurred_at <= ${ts(q.at)}
        order by (e.type = 'clicked') desc, e.occurred_at desc, e.id desc
        limit 1`,
  );
  return r ? { messageId: r.messageId, via: r.type === "clicked" ? "click" : "open" } : null;
}

/** Records a conversion once per enrollment and goal; returns whether this call recorded it. */
export async function recordConversion(
  db: Db,
  q: {
    workspaceId: string;
    flowId: string;
    flowVersionId: string;
    enrollmentId: string;
    contactId: string;
    nodeId: string;
    goalName: string;
    eventId: string | null;
    messageId: string | null;
    attributedVia: "click" | "open" | null;
    revenue: number | null;
    currency: string | null;
    occurredAt: Date;
  },
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    db,
    sql`insert into conversions (workspace_id, flow_id, flow_version_id, enrollment_id, contact_id, node_id, goal_name, event_id,
                                 message_id, attributed_via, revenue, currency, occurred_at, message_node_id, split_path)
        select e.workspace_id, e.flow_id, ${q.flowVersionId}::uuid, e.id, ${q.contactId}::uuid, ${q.nodeId}, ${q.goalName}, ${q.eventId}::uuid,
               ${q.messageId}::uuid, ${q.attributedVia}, ${q.revenue}, ${q.currency}, ${ts(q.occurredAt)},
               (select m.node_id from messages m where m.id = ${q.messageId}::uuid and m.workspace_id = e.workspace_id),
               conversion_split_path(e.id, e.workspace_id)
        from enrollments e where e.id = ${q.enrollmentId}::uuid and e.workspace_id = ${q.workspaceId}::uuid and e.flow_id = ${q.flowId}::uuid
        on conflict (enrollment_id, node_id) do nothing
        returning id`,
  );
  return r.length > 0;
}

/** Recomputes a workspace's rollups from the source tables (after bulk loads with triggers off). */
export async function rebuildRollups(db: Db, q: { workspaceId: string }): Promise<void> {
  await db.execute(sql`select analytics_rebuild(${q.workspaceId}::uuid)`);
}
