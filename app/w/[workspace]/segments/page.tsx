import Link from "next/link";
import { getDb } from "@/db/client";
import { listSegments } from "@/db/queries/segments";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { describe } from "@/lib/segments/definition";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";

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
      {rows.length === 0 ? (
        <EmptyState title="No segments yet" action={canEdit ? { href: `${base}/new`, label: "Build a segment" } : undefined}>
          <p>Segments slice your audience by who people are and what they did: attributes, tags, topics, consent, events, opens and clicks.</p>
          <p>Use one as a flow trigger (“entered segment”), in a condition node, or export its members as CSV.</p>
        </EmptyState>
      ) : (
        <table className="mt-4 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="segments-table">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Definition</th>
              <th className="px-4 py-2 text-right font-medium">Members</th>
              <th className="px-4 py-2 font-medium">Refreshed</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} className="border-t border-slate-100 hover:bg-slate-50">
                <td className="px-4 py-2">
                  <Link className="text-brand-600 hover:underline" href={`${base}/${s.id}`}>{s.name}</Link>
                </td>
                <td className="max-w-md truncate px-4 py-2 text-slate-600">{describe(s.definition)}</td>
                <td className="px-4 py-2 text-right tabular-nums">{s.refreshedAt ? s.members.toLocaleString("en") : "…"}</td>
                <td className="px-4 py-2 text-slate-500">{s.refreshedAt ? s.refreshedAt.toISOString().slice(0, 16).replace("T", " ") : "pending"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
