import Link from "next/link";
import { getDb } from "@/db/client";
import { broadcastPickers } from "@/db/queries/broadcasts";
import { requireMember } from "@/lib/server/auth/member";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { createBroadcastAction } from "../actions";

export const metadata = { title: "New broadcast" };

/** A name and a template to start from; the rest is set in the draft's editor. */
export default async function NewBroadcastPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "broadcasts.edit");
  const { templates } = await broadcastPickers(getDb(), { workspaceId: member.workspace.id });
  return (
    <>
      <p className="text-sm">
        <Link href={`/w/${workspace}/broadcasts`} className="text-brand-700 hover:underline">
          ← Broadcasts
        </Link>
      </p>
      <h1 className="mt-2 text-2xl font-semibold">New broadcast</h1>
      <ActionForm action={createBroadcastAction} workspace={workspace} testId="new-broadcast-form" className="mt-4 max-w-xl space-y-4 rounded-lg border border-slate-200 bg-white p-4">
        <label className={label}>
          Name
          <input name="name" required maxLength={200} className={input} placeholder="May newsletter" />
        </label>
        <label className={label}>
          Template
          <select name="templateId" className={input} defaultValue="">
            <option value="">Choose later</option>
            {templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.class})
              </option>
            ))}
          </select>
        </label>
        {templates.length === 0 ? (
          <p className="text-sm text-slate-600">
            There are no templates yet: <Link href={`/w/${workspace}/templates/new`} className="text-brand-700 hover:underline">write one</Link> to send.
          </p>
        ) : null}
        <button type="submit" className={button}>
          Create draft
        </button>
      </ActionForm>
    </>
  );
}
