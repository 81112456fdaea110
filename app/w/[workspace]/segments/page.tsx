import Link from "next/link";
import { getDb } from "@/db/client";
import { listSegments } from "@/db/queries/segments";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { describe } from "@/lib/segments/definition";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";
import { Tooltip } from "@/app/_components/ui/tooltip";

export const metadata = { title: "Segments" };

export default async function SegmentsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const rows = await listSegments(getDb(), { workspaceId: member.workspace.id });
  const base = `/w/${workspace}/segments`;
  const canEdit = can(member.role, "segments.edit");
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Segments</h1>
        {canEdit && rows.length > 0 ? <Link href={`${base}/new`} className={button}>New segment</Link> : null}
      </div>
      <Table
        caption="Segments"
        testId="segments-table"
        className="mt-4"
        rows={rows}
        rowKey={(s) => s.id}
        empty={
          <EmptyState title="No segments yet" action={canEdit ? { href: `${base}/new`, label: "Build a segment" } : undefined}>
            <p>Segments slice your audience by who people are and what they did: attributes, tags, topics, consent, events, opens and clicks.</p>
            <p>Use one as a flow trigger (“entered segment”), in a condition node, or export its members as CSV.</p>
          </EmptyState>
        }
        columns={[
          { header: "Name", cell: (s) => <Link className="text-brand-600 hover:underline" href={`${base}/${s.id}`}>{s.name}</Link> },
          {
            header: "Definition",
            className: "max-w-md text-slate-600",
            cell: (s) => (
              <Tooltip content={describe(s.definition)}>
                <span className="block max-w-md truncate">{describe(s.definition)}</span>
              </Tooltip>
            ),
          },
          { header: "Members", align: "end", cell: (s) => (s.refreshedAt ? s.members.toLocaleString("en") : "…") },
          { header: "Refreshed", className: "text-slate-500", cell: (s) => (s.refreshedAt ? s.refreshedAt.toISOString().slice(0, 16).replace("T", " ") : "pending") },
        ]}
      />
    </>
  );
}
