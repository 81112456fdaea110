import "server-only";
import type { Db } from "@/db/client";
import { subscriberGrowth } from "@/db/queries/analytics";
import { flowFunnel, flowPlans, flowSeries, flowTotals, reportFlow, splitArms, topFlows } from "@/db/queries/flow-reports";
import { formFunnel } from "@/db/queries/forms";
import { flowMail, listHealth, messageReport, type NodeMail } from "@/db/queries/mail-stats";
import { csvSections, toCsv } from "@/lib/csv";
import { fillDays, resolveRange, type DateRange } from "@/lib/analytics/date-range";
import { now } from "@/lib/clock";
import { rate, splitVerdict, type SplitVerdict } from "@/lib/analytics/stats";
import { planNodes } from "@/lib/analytics/plan-nodes";

/**
 * What each report page shows, assembled once for the page and for its CSV export, so the two
 * never disagree. Rates are fractions (0.001 = 0.1 %), null where the denominator is zero.
 */

export type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : null);
export const rangeFromSearch = (s: Search) => resolveRange({ range: one(s.range), from: one(s.from), to: one(s.to) }, now());
export const money = (n: number) => n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const COMPLAINT_TARGET = 0.001;
export const COMPLAINT_LIMIT = 0.003;

const pct = (r: number | null) => (r === null ? null : Math.round(r * 100_000) / 1000);

export async function dashboardData(db: Db, workspaceId: string, range: DateRange) {
  const q = { workspaceId, from: range.from, to: range.to };
  const [growth, health, flows, forms] = await Promise.all([subscriberGrowth(db, q), listHealth(db, q), topFlows(db, q), formFunnel(db, q)]);
  let confirmed = growth.before.confirmed;
  let unconfirmed = growth.before.unconfirmed;
  const growthDays = fillDays(range, growth.days, (day) => ({ day, confirmed: 0, unconfirmed: 0, left: 0 })).map((d) => {
    confirmed += d.confirmed;
    unconfirmed += d.unconfirmed;
    return { ...d, totalConfirmed: confirmed, totalUnconfirmed: unconfirmed };
  });
  const healthDays = fillDays(range, health, (day) => ({ day, sent: 0, delivered: 0, unsubscribed: 0, complained: 0, bounced: 0 })).map((d) => ({
    ...d,
    unsubscribeRate: pct(rate(d.unsubscribed, d.delivered)),
    complaintRate: pct(rate(d.complained, d.delivered)),
  }));
  const sum = (k: "sent" | "delivered" | "unsubscribed" | "complained" | "bounced") => health.reduce((s, d) => s + d[k], 0);
  const totals = {
    newConfirmed: growth.days.reduce((s, d) => s + d.confirmed, 0),
    newUnconfirmed: growth.days.reduce((s, d) => s + d.unconfirmed, 0),
    sent: sum("sent"),
    delivered: sum("delivered"),
    unsubscribeRate: rate(sum("unsubscribed"), sum("delivered")),
    complaintRate: rate(sum("complained"), sum("delivered")),
    bounceRate: rate(sum("bounced"), sum("sent")),
  };
  return { growthDays, healthDays, flows, forms, totals, empty: growth.days.length === 0 && health.length === 0 && flows.length === 0 && forms.length === 0 };
}

export function dashboardCsv(d: Awaited<ReturnType<typeof dashboardData>>): string {
  return csvSections([
    {
      title: "Subscriber growth (new contacts by current status)",
      csv: toCsv(
        [
          { header: "day", value: (r) => r.day },
          { header: "new_confirmed", value: (r) => r.confirmed },
          { header: "new_unconfirmed", value: (r) => r.unconfirmed },
          { header: "new_left", value: (r) => r.left },
          { header: "total_confirmed", value: (r) => r.totalConfirmed },
          { header: "total_unconfirmed", value: (r) => r.totalUnconfirmed },
        ],
        d.growthDays,
      ),
    },
    {
      title: "List health (unique messages; rates in percent of delivered)",
      csv: toCsv(
        [
          { header: "day", value: (r) => r.day },
          { header: "sent", value: (r) => r.sent },
          { header: "delivered", value: (r) => r.delivered },
          { header: "bounced", value: (r) => r.bounced },
          { header: "unsubscribed", value: (r) => r.unsubscribed },
          { header: "complained", value: (r) => r.complained },
          { header: "unsubscribe_rate_pct", value: (r) => r.unsubscribeRate },
          { header: "complaint_rate_pct", value: (r) => r.complaintRate },
        ],
        d.healthDays,
      ),
    },
    {
      title: "Top flows",
      csv: toCsv(
        [
          { header: "flow", value: (r) => r.name },
          { header: "enrolled", value: (r) => r.enrolled },
          { header: "sent", value: (r) => r.sent },
          { header: "conversions", value: (r) => r.conversions },
          { header: "conversion_rate_pct", value: (r) => pct(rate(r.conversions, r.enrolled)) },
          { header: "revenue", value: (r) => r.revenue },
        ],
        d.flows,
      ),
    },
    {
      title: "Forms",
      csv: toCsv(
        [
          { header: "form", value: (r) => r.name },
          { header: "views", value: (r) => r.views },
          { header: "submissions", value: (r) => r.submissions },
          { header: "confirmations", value: (r) => r.confirmations },
          { header: "submission_rate_pct", value: (r) => pct(rate(r.submissions, r.views)) },
          { header: "confirmation_rate_pct", value: (r) => pct(rate(r.confirmations, r.submissions)) },
        ],
        d.forms,
      ),
    },
  ]);
}

export async function flowData(db: Db, workspaceId: string, flowId: string, range: DateRange) {
  const flow = await reportFlow(db, { workspaceId, flowId });
  if (!flow) return null;
  const q = { workspaceId, flowId, from: range.from, to: range.to };
  const { nodes, splits } = planNodes(await flowPlans(db, { workspaceId, flowId }));
  const [totals, series, funnel, mail, arms] = await Promise.all([
    flowTotals(db, q),
    flowSeries(db, q),
    flowFunnel(db, q),
    flowMail(db, q),
    splitArms(db, { ...q, splitNodeIds: splits.map((s) => s.id) }),
  ]);
  const entered = new Map(funnel.map((f) => [f.nodeId, f.entered]));
  const known = new Set(nodes.map((n) => n.id));
  const funnelRows = [
    ...nodes.map((n) => ({ nodeId: n.id, label: n.label, kind: n.kind, entered: entered.get(n.id) ?? 0 })),
    ...funnel.filter((f) => !known.has(f.nodeId)).map((f) => ({ nodeId: f.nodeId, label: `Removed node (${f.nodeId})`, kind: "", entered: f.entered })),
  ];
  const labelOf = new Map(nodes.map((n) => [n.id, n.label]));
  const messages: (NodeMail & { label: string })[] = mail.map((m) => ({ ...m, label: labelOf.get(m.nodeId) ?? m.nodeId }));
  const splitResults: { id: string; label: string; verdict: SplitVerdict; revenue: Record<string, number> }[] = splits.map((s) => {
    const mine = arms.filter((a) => a.nodeId === s.id);
    const armsOf = s.branches.map((b) => {
      const a = mine.find((x) => x.exit === b.handle);
      return { label: b.label, trials: a?.entered ?? 0, successes: a?.conversions ?? 0 };
    });
    return {
      id: s.id,
      label: s.label,
      verdict: splitVerdict(armsOf),
      revenue: Object.fromEntries(s.branches.map((b) => [b.label, mine.find((x) => x.exit === b.handle)?.revenue ?? 0])),
    };
  });
  return {
    flow,
    totals: { ...totals, conversionRate: rate(totals.conversions, totals.enrolled) },
    series: fillDays(range, series, (day) => ({ day, enrolled: 0, conversions: 0, revenue: 0 })),
    funnel: funnelRows,
    messages,
    splits: splitResults,
  };
}

export function flowCsv(d: NonNullable<Awaited<ReturnType<typeof flowData>>>): string {
  return csvSections([
    {
      title: `Flow ${d.flow.name}: totals`,
      csv: toCsv(
        [
          { header: "enrolled", value: (r) => r.enrolled },
          { header: "conversions", value: (r) => r.conversions },
          { header: "conversion_rate_pct", value: (r) => pct(r.conversionRate) },
          { header: "revenue", value: (r) => r.revenue },
          { header: "attributed_to_mail", value: (r) => r.attributed },
        ],
        [d.totals],
      ),
    },
    {
      title: "Per day",
      csv: toCsv(
        [
          { header: "day", value: (r) => r.day },
          { header: "enrolled", value: (r) => r.enrolled },
          { header: "conversions", value: (r) => r.conversions },
          { header: "revenue", value: (r) => r.revenue },
        ],
        d.series,
      ),
    },
    {
      title: "Funnel (contacts reaching each node)",
      csv: toCsv(
        [
          { header: "node_id", value: (r) => r.nodeId },
          { header: "node", value: (r) => r.label },
          { header: "entered", value: (r) => r.entered },
        ],
        d.funnel,
      ),
    },
    { title: "Messages", csv: mailCsv(d.messages) },
    {
      title: "A/B splits (conversion by branch; chi-square test)",
      csv: toCsv(
        [
          { header: "split", value: (r) => r.split },
          { header: "branch", value: (r) => r.label },
          { header: "contacts", value: (r) => r.trials },
          { header: "conversions", value: (r) => r.successes },
          { header: "conversion_rate_pct", value: (r) => pct(r.rate) },
          { header: "revenue", value: (r) => r.revenue },
          { header: "p_value", value: (r) => r.pValue },
        ],
        d.splits.flatMap((s) => s.verdict.arms.map((a) => ({ ...a, split: s.id, revenue: s.revenue[a.label] ?? 0, pValue: s.verdict.test?.pValue ?? null }))),
      ),
    },
  ]);
}

function mailCsv(rows: (NodeMail & { label: string })[]): string {
  return toCsv(
    [
      { header: "node_id", value: (r) => r.nodeId },
      { header: "node", value: (r) => r.label },
      ...mailColumns,
    ],
    rows,
  );
}

const mailColumns = [
  { header: "sent", value: (r: NodeMail) => r.sent },
  { header: "delivered", value: (r: NodeMail) => r.delivered },
  { header: "opened_human", value: (r: NodeMail) => r.opened },
  { header: "opened_machine", value: (r: NodeMail) => r.openedMachine },
  { header: "clicked_human", value: (r: NodeMail) => r.clicked },
  { header: "clicked_machine", value: (r: NodeMail) => r.clickedMachine },
  { header: "bounced", value: (r: NodeMail) => r.bounced },
  { header: "complained", value: (r: NodeMail) => r.complained },
  { header: "unsubscribed", value: (r: NodeMail) => r.unsubscribed },
  { header: "open_rate_pct", value: (r: NodeMail) => pct(rate(r.opened, r.delivered)) },
  { header: "click_rate_pct", value: (r: NodeMail) => pct(rate(r.clicked, r.delivered)) },
  { header: "click_to_open_pct", value: (r: NodeMail) => pct(rate(r.clicked, r.opened)) },
];

export async function messageData(db: Db, workspaceId: string, flowId: string, nodeId: string, range: DateRange) {
  const flow = await reportFlow(db, { workspaceId, flowId });
  if (!flow) return null;
  const { nodes } = planNodes(await flowPlans(db, { workspaceId, flowId }));
  const r = await messageReport(db, { workspaceId, flowId, nodeId, from: range.from, to: range.to });
  return {
    flow,
    label: nodes.find((n) => n.id === nodeId)?.label ?? nodeId,
    ...r,
    days: fillDays(range, r.days, (day) => ({ day, sent: 0, delivered: 0, opened: 0, clicked: 0, openedMachine: 0, clickedMachine: 0 })),
  };
}

export function messageCsv(d: NonNullable<Awaited<ReturnType<typeof messageData>>>, nodeId: string): string {
  return csvSections([
    { title: `Message ${d.label} in ${d.flow.name}`, csv: mailCsv([{ ...d.totals, nodeId, label: d.label }]) },
    {
      title: "Per day (unique messages)",
      csv: toCsv(
        [
          { header: "day", value: (r) => r.day },
          { header: "sent", value: (r) => r.sent },
          { header: "delivered", value: (r) => r.delivered },
          { header: "opened_human", value: (r) => r.opened },
          { header: "opened_machine", value: (r) => r.openedMachine },
          { header: "clicked_human", value: (r) => r.clicked },
          { header: "clicked_machine", value: (r) => r.clickedMachine },
        ],
        d.days,
      ),
    },
    {
      title: "Clicks per link",
      csv: toCsv(
        [
          { header: "url", value: (r) => r.url },
          { header: "clicks_human", value: (r) => r.clicks },
          { header: "unique_clicks_human", value: (r) => r.uniqueClicks },
          { header: "clicks_machine", value: (r) => r.machineClicks },
        ],
        d.links,
      ),
    },
    {
      title: "Conversions credited",
      csv: toCsv(
        [
          { header: "conversions", value: (r) => r.conversions },
          { header: "via_click", value: (r) => r.viaClick },
          { header: "via_open", value: (r) => r.viaOpen },
          { header: "revenue", value: (r) => r.revenue },
        ],
        [d.conversions],
      ),
    },
  ]);
}
