import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { rangeBounds, rangeParams } from "@/lib/analytics/date-range";
import { nodeMessages } from "@/db/queries/messages";
import { describeReceipt } from "@/lib/consent/receipt";
import { formatPercent, rate } from "@/lib/analytics/stats";
import { requireMember } from "@/lib/server/auth/member";
import { TimeSeriesChart } from "@/app/w/[workspace]/reports/_lib/charts";
import { Panel, RangePicker, Stat } from "@/app/w/[workspace]/reports/_lib/range-picker";
import { messageData, money, rangeFromSearch, type Search } from "@/lib/server/reports/reports";
import { NODE_ID, UUID } from "@/app/w/[workspace]/reports/_lib/export";
import { Table } from "@/app/_components/ui/table";
import { LinkClicksTable } from "@/app/w/[workspace]/reports/_lib/link-clicks";

export const metadata = { title: "Message report" };

/** How many of the node's messages the list shows (newest first). */
const LATEST = 50;
const fmt = (d: Date) => d.toISOString().replace("T", " ").slice(0, 16);

export default async function MessageReportPage(props: {
  params: Promise<{ workspace: string; flowId: string; nodeId: string }>;
  searchParams: Promise<Search>;
}) {
  const { workspace, flowId, nodeId } = await props.params;
  const member = await requireMember(workspace);
  if (!UUID.test(flowId) || !NODE_ID.test(nodeId)) notFound();
  const range = rangeFromSearch(await props.searchParams);
  const db = getDb();
  const d = await messageData(db, member.workspace.id, flowId, nodeId, range);
  if (!d) notFound();
  const { start, end } = rangeBounds(range);
  const latest = await nodeMessages(db, { workspaceId: member.workspace.id, flowId, nodeId, from: start, to: end, limit: LATEST });
  const base = `/w/${workspace}/reports/flows/${flowId}/messages/${nodeId}`;
  const t = d.totals;
  const rows: [string, number, number | null][] = [
    ["Sent", t.sent, null],
    ["Delivered", t.delivered, rate(t.delivered, t.sent)],
    ["Opened (people)", t.opened, rate(t.opened, t.delivered)],
    ["Opened (machines: scanners, privacy proxies)", t.openedMachine, rate(t.openedMachine, t.delivered)],
    ["Clicked (people)", t.clicked, rate(t.clicked, t.delivered)],
    ["Clicked (machines)", t.clickedMachine, rate(t.clickedMachine, t.delivered)],
    ["Bounced", t.bounced, rate(t.bounced, t.sent)],
    ["Complained", t.complained, rate(t.complained, t.delivered)],
    ["Unsubscribed", t.unsubscribed, rate(t.unsubscribed, t.delivered)],
  ];

  return (
    <>
      <p className="text-sm">
        <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/reports/flows/${flowId}?${new URLSearchParams(rangeParams(range))}`}>
          ← {d.flow.name}
        </Link>
      </p>
      <h1 className="mt-1 text-2xl font-semibold">{d.label}</h1>
      <RangePicker base={base} range={range} exportHref={`${base}/export`} />
      {t.sent === 0 && t.delivered === 0 ? (
        <p className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600" data-testid="message-report-empty">
          This message was not sent in the range. Pick a longer range, or check that the flow is live.
        </p>
      ) : null}
      <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat testId="stat-open-rate" label="Open rate" value={formatPercent(rate(t.opened, t.delivered))} hint="people, per delivered" />
        <Stat testId="stat-click-rate" label="Click rate" value={formatPercent(rate(t.clicked, t.delivered))} hint={`click-to-open ${formatPercent(rate(t.clicked, t.opened))}`} />
        <Stat testId="stat-message-conversions" label="Conversions credited" value={String(d.conversions.conversions)} hint={`${d.conversions.viaClick} by click, ${d.conversions.viaOpen} by open`} />
        <Stat testId="stat-message-revenue" label="Revenue credited" value={money(d.conversions.revenue)} />
      </div>

      <Panel testId="message-series" title="Per day" note="Unique messages; machine activity (link scanners, privacy proxies) is shown apart.">
        <TimeSeriesChart
          testId="message-chart"
          data={d.days}
          series={[
            { key: "delivered", label: "Delivered", color: "#94a3b8", kind: "bar" },
            { key: "opened", label: "Opened (people)", color: "#6366f1", kind: "line" },
            { key: "clicked", label: "Clicked (people)", color: "#16a34a", kind: "line" },
            { key: "openedMachine", label: "Opened (machines)", color: "#c4b5fd", kind: "line" },
            { key: "clickedMachine", label: "Clicked (machines)", color: "#86efac", kind: "line" },
          ]}
        />
      </Panel>

      <Panel testId="message-totals" title="Figures">
        <Table
          caption="Figures of this message"
          variant="plain"
          hideHeader
          rows={rows}
          rowKey={([label]) => label}
          rowTestId={([label]) => `figure-${label.split(" ")[0]!.toLowerCase()}${label.includes("machines") ? "-machine" : ""}`}
          columns={[
            { header: "Figure", cell: ([label]) => label },
            { header: "Count", align: "end", cell: ([, n]) => n },
            { header: "Rate", align: "end", className: "text-slate-500", cell: ([, , r]) => (r === null ? "" : formatPercent(r, 2)) },
          ]}
        />
      </Panel>

      <Panel testId="message-links" title="Clicks per link" note="People's clicks (total and unique messages) and machine clicks apart.">
        <LinkClicksTable links={d.links} empty="No link in this message was clicked in the range." />
      </Panel>

      <Panel
        testId="message-list"
        title="Latest messages"
        note={`The ${LATEST} newest in the range, each with the subject as sent and the consent it went out under; open one for its events.`}
      >
        <Table
          caption="Latest messages of this node"
          variant="plain"
          alignTop
          rows={latest}
          rowKey={(m) => m.id}
          rowTestId={() => "node-message"}
          empty={<p className="text-sm text-slate-500">No message of this node was created in the range. Pick a longer range, or enrol contacts in the flow.</p>}
          columns={[
            { header: "Created", cell: (m) => fmt(m.createdAt), className: "whitespace-nowrap text-slate-500" },
            { header: "To", cell: (m) => m.toEmail, className: "break-all" },
            {
              header: "Subject",
              cell: (m) => (
                <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/messages/${m.id}`}>
                  {m.subject}
                </Link>
              ),
            },
            { header: "Status", cell: (m) => m.status },
            { header: "Permission", cell: (m) => describeReceipt(m.receipt), className: "text-xs text-slate-500" },
          ]}
        />
      </Panel>
    </>
  );
}
