import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { rangeParams } from "@/lib/analytics/date-range";
import { formatPercent, rate } from "@/lib/analytics/stats";
import { requireMember } from "@/lib/server/auth/member";
import { BarsChart, TimeSeriesChart } from "@/app/w/[workspace]/reports/_lib/charts";
import { Panel, RangePicker, Stat } from "@/app/w/[workspace]/reports/_lib/range-picker";
import { flowData, money, rangeFromSearch, type Search } from "@/lib/server/reports/reports";
import { UUID } from "@/app/w/[workspace]/reports/_lib/export";
import { Table } from "@/app/_components/ui/table";

export const metadata = { title: "Flow report" };

export default async function FlowReportPage(props: { params: Promise<{ workspace: string; flowId: string }>; searchParams: Promise<Search> }) {
  const { workspace, flowId } = await props.params;
  const member = await requireMember(workspace);
  if (!UUID.test(flowId)) notFound();
  const range = rangeFromSearch(await props.searchParams);
  const d = await flowData(getDb(), member.workspace.id, flowId, range);
  if (!d) notFound();
  const base = `/w/${workspace}/reports/flows/${flowId}`;
  const qs = new URLSearchParams(rangeParams(range)).toString();

  return (
    <>
      <p className="text-sm">
        <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/reports?${qs}`}>← Reports</Link>
      </p>
      <h1 className="mt-1 text-2xl font-semibold">{d.flow.name}</h1>
      <RangePicker base={base} range={range} exportHref={`${base}/export`} />
      <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat testId="stat-enrolled" label="Enrolled" value={String(d.totals.enrolled)} />
        <Stat testId="stat-conversions" label="Conversions" value={String(d.totals.conversions)} hint={`${d.totals.attributed} credited to an email`} />
        <Stat testId="stat-conversion-rate" label="Conversion rate" value={formatPercent(d.totals.conversionRate)} hint="conversions per enrollment" />
        <Stat testId="stat-revenue" label="Revenue" value={money(d.totals.revenue)} />
      </div>

      {d.totals.enrolled === 0 && d.funnel.every((f) => f.entered === 0) ? (
        <p className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600" data-testid="flow-report-empty">
          Nobody went through this flow in the range. Publish it and enrol contacts (or pick a longer range); goals with an event record conversions and revenue here.
        </p>
      ) : null}

      <Panel testId="flow-series" title="Enrollments, conversions and revenue per day">
        <TimeSeriesChart
          testId="flow-series-chart"
          data={d.series}
          series={[
            { key: "enrolled", label: "Enrolled", color: "#94a3b8", kind: "bar" },
            { key: "conversions", label: "Conversions", color: "#16a34a", kind: "bar" },
            { key: "revenue", label: "Revenue", color: "#6366f1", kind: "line", axis: "right" },
          ]}
        />
      </Panel>

      <Panel testId="flow-funnel" title="Funnel" note="Contacts reaching each node (first visits), in flow order.">
        <BarsChart testId="funnel-chart" data={d.funnel.map((f) => ({ node: f.label, entered: f.entered }))} category="node" series={[{ key: "entered", label: "Reached", color: "#6366f1" }]} />
      </Panel>

      <Panel testId="flow-messages" title="Messages">
        <Table
          caption="Messages of this flow"
          variant="plain"
          rows={d.messages}
          rowKey={(m) => m.nodeId}
          rowTestId={(m) => `message-row-${m.nodeId}`}
          empty={<p className="text-sm text-slate-500">This flow sent no mail in the range.</p>}
          columns={[
            { header: "Message", cell: (m) => <Link className="text-brand-600 hover:underline" href={`${base}/messages/${m.nodeId}?${qs}`}>{m.label}</Link> },
            { header: "Sent", align: "end", cell: (m) => m.sent },
            { header: "Delivered", align: "end", cell: (m) => m.delivered },
            { header: "Opened", align: "end", cell: (m) => `${m.opened} (${formatPercent(rate(m.opened, m.delivered))})` },
            { header: "Clicked", align: "end", cell: (m) => `${m.clicked} (${formatPercent(rate(m.clicked, m.delivered))})` },
            { header: "Unsubscribed", align: "end", cell: (m) => m.unsubscribed },
          ]}
        />
      </Panel>

      {d.splits.map((s) => (
        <Panel key={s.id} testId={`split-${s.id}`} title={`A/B: ${s.label}`} note="Conversion of the contacts each branch received in the range (χ² test; significant at p < 0.05).">
          <BarsChart
            testId={`split-chart-${s.id}`}
            data={s.verdict.arms.map((a) => ({ branch: a.label, rate: a.rate === null ? 0 : Math.round(a.rate * 10_000) / 100 }))}
            category="branch"
            series={[{ key: "rate", label: "Conversion rate (%)", color: "#16a34a" }]}
          />
          <Table
            caption={`Branches of ${s.label}`}
            variant="plain"
            className="mt-2"
            rows={s.verdict.arms}
            rowKey={(a) => a.label}
            columns={[
              { header: "Branch", cell: (a) => a.label },
              { header: "Contacts", align: "end", cell: (a) => a.trials },
              { header: "Conversions", align: "end", cell: (a) => a.successes },
              { header: "Rate", align: "end", cell: (a) => formatPercent(a.rate) },
              { header: "Revenue", align: "end", cell: (a) => money(s.revenue[a.label] ?? 0) },
            ]}
          />
          <p className="mt-2 text-sm" data-testid={`split-verdict-${s.id}`}>
            {s.verdict.test === null
              ? "Not enough data for a test yet."
              : `χ² = ${s.verdict.test.chiSquare.toFixed(2)}, p = ${s.verdict.test.pValue < 0.0001 ? "< 0.0001" : s.verdict.test.pValue.toFixed(4)}: ${
                  s.verdict.significant ? `${s.verdict.leader} converts better (significant).` : "no significant difference yet."
                }`}
          </p>
        </Panel>
      ))}
    </>
  );
}
