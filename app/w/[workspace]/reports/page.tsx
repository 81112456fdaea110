import Link from "next/link";
import { getDb } from "@/db/client";
import { formatPercent, rate } from "@/lib/analytics/stats";
import { requireMember } from "@/lib/server/auth/member";
import { EmptyState } from "@/app/_components/empty-state";
import { Table } from "@/app/_components/ui/table";
import { BarsChart, TimeSeriesChart } from "./_lib/charts";
import { Panel, RangePicker, Stat } from "./_lib/range-picker";
import { COMPLAINT_LIMIT, COMPLAINT_TARGET, dashboardData, money, rangeFromSearch, type Search } from "@/lib/server/reports/reports";

export const metadata = { title: "Reports" };


export default async function ReportsPage(props: { params: Promise<{ workspace: string }>; searchParams: Promise<Search> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const range = rangeFromSearch(await props.searchParams);
  const base = `/w/${workspace}/reports`;
  const d = await dashboardData(getDb(), member.workspace.id, range);

  return (
    <>
      <h1 className="text-2xl font-semibold">Reports</h1>
      <RangePicker base={base} range={range} exportHref={`${base}/export`} />
      {d.empty ? (
        <EmptyState title="Nothing to report in this range" action={{ href: `/w/${workspace}/flows`, label: "Go to flows" }}>
          <p>Reports show what each flow and message earned — sends, opens, clicks, conversions and revenue — and your list’s health.</p>
          <p>Figures appear once contacts sign up and your first flow sends mail. Try a longer range, or publish a flow.</p>
        </EmptyState>
      ) : (
        <>
          <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat testId="stat-new-confirmed" label="New confirmed" value={String(d.totals.newConfirmed)} hint={`${d.totals.newUnconfirmed} still unconfirmed`} />
            <Stat testId="stat-delivered" label="Delivered" value={String(d.totals.delivered)} hint={`${d.totals.sent} sent`} />
            <Stat
              testId="stat-unsubscribe-rate"
              label="Unsubscribe rate"
              value={formatPercent(d.totals.unsubscribeRate, 2)}
              hint="of delivered messages"
            />
            <Stat
              testId="stat-complaint-rate"
              label="Complaint rate"
              value={formatPercent(d.totals.complaintRate, 2)}
              hint={
                d.totals.complaintRate !== null && d.totals.complaintRate >= COMPLAINT_LIMIT
                  ? "Above 0.3 %: mailbox providers will filter your mail"
                  : d.totals.complaintRate !== null && d.totals.complaintRate >= COMPLAINT_TARGET
                    ? "Above the 0.1 % target"
                    : "Keep below 0.1 % (never above 0.3 %)"
              }
            />
          </div>

          <Panel testId="chart-growth" title="Subscriber growth" note="New contacts per day by where they stand now; lines are running totals.">
            <TimeSeriesChart
              testId="growth-chart"
              data={d.growthDays}
              series={[
                { key: "confirmed", label: "New confirmed", color: "#16a34a", kind: "bar", stack: "new" },
                { key: "unconfirmed", label: "New unconfirmed", color: "#f59e0b", kind: "bar", stack: "new" },
                { key: "left", label: "Joined, since left", color: "#94a3b8", kind: "bar", stack: "new" },
                { key: "totalConfirmed", label: "Confirmed (total)", color: "#15803d", kind: "line", axis: "right" },
                { key: "totalUnconfirmed", label: "Unconfirmed (total)", color: "#b45309", kind: "line", axis: "right" },
              ]}
            />
          </Panel>

          <Panel
            testId="chart-health"
            title="Unsubscribe and complaint rates"
            note="Per delivered message, per day. Mailbox providers ask for complaints below 0.1 % and filter above 0.3 %."
          >
            <TimeSeriesChart
              testId="health-chart"
              unit=" %"
              data={d.healthDays}
              series={[
                { key: "unsubscribeRate", label: "Unsubscribe rate", color: "#6366f1", kind: "line" },
                { key: "complaintRate", label: "Complaint rate", color: "#dc2626", kind: "line" },
              ]}
              references={[
                { y: COMPLAINT_TARGET * 100, label: "0.1 % target", color: "#f59e0b" },
                { y: COMPLAINT_LIMIT * 100, label: "0.3 % limit", color: "#dc2626" },
              ]}
            />
          </Panel>

          <Panel testId="top-flows" title="Top flows" note="By revenue, then conversions, in the range.">
            {d.flows.length === 0 ? (
              <p className="text-sm text-slate-500">No flow enrolled anyone in this range.</p>
            ) : (
              <>
                <BarsChart
                  testId="flows-chart"
                  data={d.flows.map((f) => ({ name: f.name, enrolled: f.enrolled, conversions: f.conversions }))}
                  category="name"
                  series={[
                    { key: "enrolled", label: "Enrolled", color: "#94a3b8" },
                    { key: "conversions", label: "Conversions", color: "#16a34a" },
                  ]}
                />
                <Table
                  caption="Top flows"
                  variant="plain"
                  className="mt-3"
                  rows={d.flows}
                  rowKey={(f) => f.flowId}
                  rowTestId={(f) => `top-flow-${f.name}`}
                  columns={[
                    {
                      header: "Flow",
                      cell: (f) => (
                        <Link className="text-brand-600 hover:underline" href={`${base}/flows/${f.flowId}?${new URLSearchParams(range.preset ? { range: range.preset } : { from: range.from, to: range.to })}`}>
                          {f.name}
                        </Link>
                      ),
                    },
                    { header: "Enrolled", align: "end", cell: (f) => f.enrolled },
                    { header: "Sent", align: "end", cell: (f) => f.sent },
                    { header: "Conversions", align: "end", cell: (f) => f.conversions },
                    { header: "Rate", align: "end", cell: (f) => formatPercent(rate(f.conversions, f.enrolled)) },
                    { header: "Revenue", align: "end", cell: (f) => money(f.revenue) },
                  ]}
                />
              </>
            )}
          </Panel>

          <Panel testId="form-funnel" title="Forms: views → submissions → confirmations">
            {d.forms.length === 0 ? (
              <p className="text-sm text-slate-500">No form was viewed or submitted in this range.</p>
            ) : (
              <>
                <BarsChart
                  testId="forms-chart"
                  data={d.forms.map((f) => ({ name: f.name, views: f.views, submissions: f.submissions, confirmations: f.confirmations }))}
                  category="name"
                  series={[
                    { key: "views", label: "Views", color: "#cbd5e1" },
                    { key: "submissions", label: "Submissions", color: "#6366f1" },
                    { key: "confirmations", label: "Confirmations", color: "#16a34a" },
                  ]}
                />
                <ul className="mt-2 space-y-1 text-sm text-slate-600">
                  {d.forms.map((f) => (
                    <li key={f.formId} data-testid={`form-${f.name}`}>
                      {f.name}: {f.views} views → {f.submissions} submissions ({formatPercent(rate(f.submissions, f.views))}) → {f.confirmations} confirmed (
                      {formatPercent(rate(f.confirmations, f.submissions))})
                    </li>
                  ))}
                </ul>
              </>
            )}
          </Panel>
        </>
      )}
    </>
  );
}
