import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { builderOptions, getSegment, segmentMembersPage } from "@/db/queries/segments";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { ActionForm } from "@/app/_components/action-form";
import { dangerButton, secondaryButton } from "@/app/_components/styles";
import { deleteSegmentAction } from "../actions";
import { SegmentBuilder } from "../segment-builder";

export const metadata = { title: "Segment" };

const search = z.object({ after: z.uuid().optional().catch(undefined) });

export default async function SegmentPage(props: { params: Promise<{ workspace: string; segmentId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { workspace, segmentId } = await props.params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(segmentId).success) notFound();
  const db = getDb();
  const segment = await getSegment(db, { workspaceId: member.workspace.id, segmentId });
  if (!segment) notFound();
  const q = search.parse(await props.searchParams);
  const [options, page] = await Promise.all([
    builderOptions(db, { workspaceId: member.workspace.id }),
    segmentMembersPage(db, { workspaceId: member.workspace.id, definition: segment.definition, now: now(), afterId: q.after, limit: 50 }),
  ]);
  const base = `/w/${workspace}/segments/${segment.id}`;
  return (
    <>
      <Link href={`/w/${workspace}/segments`} className="text-sm text-brand-600 hover:underline">← Segments</Link>
      <div className="mt-2 flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{segment.name}</h1>
        <div className="flex gap-2">
          {can(member.role, "contacts.export") ? (
            <a href={`${base}/export`} className={secondaryButton} download>Export CSV</a>
          ) : null}
          {can(member.role, "segments.edit") ? (
            <ActionForm action={deleteSegmentAction} workspace={workspace} testId="delete-segment-form">
              <input type="hidden" name="segmentId" value={segment.id} />
              <button type="submit" className={dangerButton}>Delete</button>
            </ActionForm>
          ) : null}
        </div>
      </div>
      <SegmentBuilder workspace={workspace} segment={segment} options={options} canEdit={can(member.role, "segments.edit")} />
      <h2 className="mt-8 text-lg font-semibold">Members (saved definition, now)</h2>
      {page.rows.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">Nobody matches this segment right now. Loosen a condition, or wait for the activity it describes.</p>
      ) : (
        <table className="mt-2 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="segment-members">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Email</th>
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Status</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((c) => (
              <tr key={c.id} className="border-t border-slate-100">
                <td className="px-4 py-2"><Link className="text-brand-600 hover:underline" href={`/w/${workspace}/contacts/${c.id}`}>{c.email}</Link></td>
                <td className="px-4 py-2">{[c.firstName, c.lastName].filter(Boolean).join(" ")}</td>
                <td className="px-4 py-2">{c.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="mt-4 flex gap-4 text-sm">
        {q.after ? <Link className="text-brand-600 hover:underline" href={base}>← First page</Link> : null}
        {page.next ? <Link className="text-brand-600 hover:underline" href={`${base}?after=${page.next}`}>Next page →</Link> : null}
      </div>
    </>
  );
}
