import Link from "next/link";
import { getDb } from "@/db/client";
import { listBroadcasts } from "@/db/queries/broadcasts";
import { can } from "@/lib/auth/permissions";
import { requireMember } from "@/lib/server/auth/member";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";
import { dateFormat, StatusChip } from "./status";

export const metadata = { title: "Broadcasts" };

export default async function BroadcastsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "broadcasts.read");
  const rows = await listBroadcasts(getDb(), { workspaceId: member.workspace.id });
  const edit = can(member.role, "broadcasts.edit");
  const fmt = dateFormat(member.workspace.timeZone);
  const when = (d: Date | null) => (d ? fmt.format(d) : "—");
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Broadcasts</h1>
        {edit && rows.length > 0 ? (
          <Link href={`/w/${workspace}/broadcasts/new`} className={button}>
            New broadcast
          </Link>
        ) : null}
      </div>
      <Table
        caption="Broadcasts"
        testId="broadcasts-table"
        className="mt-4"
        rows={rows}
        rowKey={(b) => b.id}
        rowTestId={(b) => `broadcast-${b.name}`}
        empty={
          <EmptyState title="No broadcasts yet" action={edit ? { href: `/w/${workspace}/broadcasts/new`, label: "New broadcast" } : undefined}>
            <p>A broadcast sends one message to an audience, now or at a time you choose: a newsletter, an announcement, an offer.</p>
            <p>
              {edit
                ? "Start with a template and a segment or topic to send it to; you see how many people it reaches before you schedule it."
                : "An editor of this workspace can create the first one."}
            </p>
          </EmptyState>
        }
        columns={[
          {
            header: "Broadcast",
            className: "font-medium",
            cell: (b) => (
              <Link href={`/w/${workspace}/broadcasts/${b.id}`} className="text-brand-700 hover:underline">
                {b.name}
              </Link>
            ),
          },
          { header: "Status", cell: (b) => <StatusChip status={b.status} /> },
          { header: "Template", cell: (b) => b.templateName ?? <span className="text-slate-500">none yet</span> },
          { header: "Scheduled for", cell: (b) => when(b.scheduledAt) },
          { header: "Finished", cell: (b) => when(b.finishedAt ?? b.cancelledAt) },
          {
            header: "Recipients",
            align: "end",
            cell: (b) => (b.recipientCount === null ? "—" : `${b.handedOff.toLocaleString("en")} / ${b.recipientCount.toLocaleString("en")}`),
          },
        ]}
      />
    </>
  );
}
