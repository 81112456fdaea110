import Link from "next/link";
import { requireMember } from "@/lib/server/auth/member";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { createFormAction } from "../actions";

export const metadata = { title: "New form" };

export default async function NewFormPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  await requireMember(workspace, "forms.edit");
  return (
    <>
      <Link href={`/w/${workspace}/forms`} className="text-sm text-brand-600 hover:underline">← Forms</Link>
      <h1 className="mt-2 text-2xl font-semibold">New signup form</h1>
      <p className="mt-1 text-sm text-slate-600">It starts as a draft with double opt-in on; you choose fields, topics and wording next.</p>
      <ActionForm action={createFormAction} workspace={workspace} className="mt-6 max-w-md space-y-4" testId="new-form">
        <div>
          <label htmlFor="name" className={label}>Name</label>
          <input id="name" name="name" required maxLength={100} placeholder="Newsletter" className={input} />
        </div>
        <div>
          <label htmlFor="slug" className={label}>Address</label>
          <div className="mt-1 flex items-center gap-1 text-sm text-slate-500">
            /f/
            <input id="slug" name="slug" required pattern="[a-z0-9][a-z0-9\-]{1,62}" placeholder="newsletter" className={`${input} mt-0`} />
          </div>
        </div>
        <button type="submit" className={button}>Create form</button>
      </ActionForm>
    </>
  );
}
