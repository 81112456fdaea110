import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { broadcastResults } from "@/db/queries/broadcast-results";
import { conversionRules } from "@/lib/broadcasts/conversion";
import { formatPercent } from "@/lib/analytics/stats";
import { requireMember } from "@/lib/server/auth/member";
import { money } from "@/lib/server/reports/reports";
import { BarsChart, TimeSeriesChart } from "@/app/w/[workspace]/reports/_lib/charts";
import { Panel, Stat } from "@/app/w/[workspace]/reports/_lib/range-picker";
import { UUID } from "@/app/w/[workspace]/reports/_lib/export";
import { Table } from "@/app/_components/ui/table";
import { LinkClicksTable } from "@/app/w/[workspace]/reports/_lib/link-clicks";

export const metadata = { title: "Broadcast results" };

/**
 * A broadcast's results, read-only for every member who may read the workspace (docs/broadcasts.md#results-and-view-in-browser):
 * figures as cards, the funnel and the first days as charts, clicks per link. Before anything is
 * handed off, an empty state instead of empty charts.
 */
export default async function BroadcastResultsPage(props: { params: Promise<{ workspace: string; broadcastId: string }> }) {
  const { workspace, broadcastId } = await props.params;
  // Reading results needs what reading the reports needs (the workspace's read permission).
  const member = await requireMember(workspace, "broadcasts.read");
  if (!UUID.test(broadcastId)) notFound();
  const conversion = conversionRules();
  const r = await broadcastResults(getDb(), { workspaceId: member.workspace.id, broadcastId, conversion });
  if (!r) notFound();
  const { broadcast: b, figures: f, rates, links } = r;
  const back = `/w/${workspace}/broadcasts/${broadcastId}`;
  const figures: [string, number, number | null, string][] = [
    ["Sent", f.sent, null, ""],
    ["Delivered", f.delivered, rates.deliveryRate, "per sent"],
    ["Opened (people)", f.opened, rates.openRate, "per delivered"],
    ["Opened (machines: scanners, privacy proxies)", f.openedMachine, null, ""],
    ["Clicked (people)", f.clicked, rates.clickRate, "per delivered"],
    ["Clicked (machines)", f.clickedMachine, null, ""],
    ["Bounced", f.bounced, rates.bounceRate, "per sent"],
    ["Complained", f.complained, rates.complaintRate, "per delivered"],
    ["Unsubscribed", f.unsubscribed, rates.unsubscribeRate, "per delivered"],
    ["Conversions", f.conversions, rates.conversionRate, "per delivered"],
  ];

  return (
    <>
      <p className="text-sm">
        <Link className="text-brand-600 hover:underline" href={back}>
          ← {b.name}
        </Link>
      </p>
      <h1 className="mt-1 text-2xl font-semibold">Results: {b.name}</h1>
      <p className="mt-1 text-sm text-slate-600" data-testid="results-status">
        {b.status === "sending" ? "Sending: figures grow as messages are handed off and people open them." : `Status: ${b.status}.`}
        {b.recipientCount !== null ? ` ${b.recipientCount} recipients in the audience snapshot.` : ""}
      </p>
      {f.sent === 0 ? (
        <p className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600" data-testid="results-empty">
          Nothing has been sent yet. Results appear here as soon as the first messages are handed off.
        </p>
      ) : (
        <>
          <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat testId="stat-delivered" label="Delivered" value={String(f.delivered)} hint={`of ${f.sent} sent (${formatPercent(rates.deliveryRate)})`} />
            <Stat testId="stat-open-rate" label="Open rate" value={formatPercent(rates.openRate)} hint={`${f.opened} people, per delivered`} />
            <Stat testId="stat-click-rate" label="Click rate" value={formatPercent(rates.clickRate)} hint={`click-to-open ${formatPercent(rates.clickToOpenRate)}`} />
            <Stat testId="stat-unsubscribe-rate" label="Unsubscribes" value={formatPercent(rates.unsubscribeRate, 2)} hint={`${f.unsubscribed}; ${f.complained} complaints, ${f.bounced} bounces`} />
            <Stat testId="stat-conversions" label="Conversions" value={String(f.conversions)} hint={`“${conversion.event}” within ${conversion.windowDays} days`} />
            <Stat testId="stat-revenue" label="Revenue" value={money(f.revenue)} hint={`from the event's ${conversion.revenueProperty}`} />
          </div>

          <Panel testId="results-funnel" title="From sent to converted" note="Unique messages; people only.">
            <BarsChart
              testId="results-funnel-chart"
              category="step"
              data={[
                { step: "Sent", messages: f.sent },
                { step: "Delivered", messages: f.delivered },
                { step: "Opened", messages: f.opened },
                { step: "Clicked", messages: f.clicked },
                { step: "Converted", messages: f.conversions },
              ]}
              series={[{ key: "messages", label: "Messages", color: "#6366f1" }]}
            />
          </Panel>

          <Panel testId="results-series" title="Per day" note="Hand-offs, and each message's first delivery, open and click by people (UTC days).">
            <TimeSeriesChart
              testId="results-chart"
              data={f.days}
              series={[
                { key: "sent", label: "Sent", color: "#cbd5e1", kind: "bar" },
                { key: "delivered", label: "Delivered", color: "#94a3b8", kind: "bar" },
                { key: "opened", label: "Opened (people)", color: "#6366f1", kind: "line" },
                { key: "clicked", label: "Clicked (people)", color: "#16a34a", kind: "line" },
              ]}
            />
          </Panel>
        </>
      )}

      <Panel testId="results-figures" title="Figures" note="Rates: bounces per sent message, the rest per delivered one. Machine activity is shown apart and counts nowhere else.">
        <Table
          caption="Figures of this broadcast"
          variant="plain"
          hideHeader
          rows={figures}
          rowKey={([label]) => label}
          rowTestId={([label]) => `figure-${label.split(" ")[0]!.toLowerCase()}${label.includes("machines") ? "-machine" : ""}`}
          columns={[
            { header: "Figure", cell: ([label]) => label },
            { header: "Count", align: "end", cell: ([, n]) => n },
            { header: "Rate", align: "end", className: "text-slate-500", cell: ([, , rate, per]) => (rate === null ? "" : `${formatPercent(rate, 2)} ${per}`) },
          ]}
        />
      </Panel>

      <Panel testId="results-links" title="Clicks per link" note="People's clicks (every click, and unique messages) and machine clicks apart.">
        <LinkClicksTable links={links} empty="No link in this broadcast has been clicked yet." rowTestId="results-link" />
      </Panel>
    </>
  );
}
