import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { builderOptions, getSegment, segmentMembersPage } from "@/db/queries/segments";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { ActionForm } from "@/app/_components/action-form";
import { secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { Table } from "@/app/_components/ui/table";
import { deleteSegmentAction } from "../actions";
import { SegmentBuilder } from "../segment-builder";
import { loadRepermission, RepermissionPanel } from "../../contacts/repermission/panel";

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
  const [options, page, rp] = await Promise.all([
    builderOptions(db, { workspaceId: member.workspace.id }),
    segmentMembersPage(db, { workspaceId: member.workspace.id, definition: segment.definition, now: now(), afterId: q.after, limit: 50 }),
    loadRepermission(db, { workspaceId: member.workspace.id, segmentId: segment.id }),
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
              <ConfirmSubmit
                title={`Delete segment “${segment.name}”?`}
                description="The segment and its member list go; the contacts in it stay. Flows that start on it or test it in a condition no longer find it."
                confirm="Delete segment"
              >
                Delete
              </ConfirmSubmit>
            </ActionForm>
          ) : null}
        </div>
      </div>
      <SegmentBuilder workspace={workspace} segment={segment} options={options} canEdit={can(member.role, "segments.edit")} />
      <RepermissionPanel workspace={workspace} target={{ segmentId: segment.id }} canAsk={can(member.role, "contacts.edit")} {...rp} />
      <h2 className="mt-8 text-lg font-semibold">Members (saved definition, now)</h2>
      <Table
        caption={`Members of ${segment.name}`}
        testId="segment-members"
        className="mt-2"
        rows={page.rows}
        rowKey={(c) => c.id}
        empty={<p className="mt-2 text-sm text-slate-500">Nobody matches this segment right now. Loosen a condition, or wait for the activity it describes.</p>}
        columns={[
          { header: "Email", cell: (c) => <Link className="text-brand-600 hover:underline" href={`/w/${workspace}/contacts/${c.id}`}>{c.email}</Link> },
          { header: "Name", cell: (c) => [c.firstName, c.lastName].filter(Boolean).join(" ") },
          { header: "Status", cell: (c) => c.status },
        ]}
      />
      <div className="mt-4 flex gap-4 text-sm">
        {q.after ? <Link className="text-brand-600 hover:underline" href={base}>← First page</Link> : null}
        {page.next ? <Link className="text-brand-600 hover:underline" href={`${base}?after=${page.next}`}>Next page →</Link> : null}
      </div>
    </>
  );
}
