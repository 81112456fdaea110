import Link from "next/link";
import { getDb } from "@/db/client";
import { builderOptions } from "@/db/queries/segments";
import { requireMember } from "@/lib/server/auth/member";
import { SegmentBuilder } from "../segment-builder";

export const metadata = { title: "New segment" };

export default async function NewSegmentPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "segments.edit");
  const options = await builderOptions(getDb(), { workspaceId: member.workspace.id });
  return (
    <>
      <Link href={`/w/${workspace}/segments`} className="text-sm text-brand-600 hover:underline">← Segments</Link>
      <h1 className="mt-2 text-2xl font-semibold">New segment</h1>
      <p className="mt-1 max-w-2xl text-sm text-slate-600">Add conditions; the count on the right follows every change. An empty segment matches everyone who is not erased. Flows on “entered segment” start with people who begin to match after it is saved; those who match at once are its first members.</p>
      <SegmentBuilder workspace={workspace} options={options} canEdit />
    </>
  );
}
