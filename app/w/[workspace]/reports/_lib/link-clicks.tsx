import type { LinkClicks } from "@/db/queries/mail-stats";
import { Table } from "@/app/_components/ui/table";
import { Tooltip } from "@/app/_components/ui/tooltip";


/** Clicks per tracked destination (a message report, a broadcast's results): people's clicks, unique messages, machine clicks. */
export function LinkClicksTable(props: { links: LinkClicks[]; empty: string; rowTestId?: string }) {
  return (
    <Table
      caption="Clicks per link"
      variant="plain"
      rows={props.links}
      rowKey={(l) => l.url}
      rowTestId={props.rowTestId ? () => props.rowTestId! : undefined}
      empty={<p className="text-sm text-slate-500">{props.empty}</p>}
      columns={[
        {
          header: "Link",
          cell: (l) => (
            <Tooltip content={l.url}>
              <span className="block max-w-md truncate">{l.url}</span>
            </Tooltip>
          ),
        },
        { header: "Clicks", align: "end", cell: (l) => l.clicks },
        { header: "Unique", align: "end", cell: (l) => l.uniqueClicks },
        { header: "Machine", align: "end", cell: (l) => l.machineClicks },
      ]}
    />
  );
}
