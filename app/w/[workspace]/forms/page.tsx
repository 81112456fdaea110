import Link from "next/link";
import { getDb } from "@/db/client";
import { listForms } from "@/db/queries/forms";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";

export const metadata = { title: "Forms" };

const statusStyle = { live: "bg-emerald-100 text-emerald-800", draft: "bg-slate-100 text-slate-700", archived: "bg-amber-100 text-amber-800" } as const;

export default async function FormsPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const forms = await listForms(getDb(), { workspaceId: member.workspace.id });
  const editor = can(member.role, "forms.edit");
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Forms</h1>
        {editor && forms.length > 0 ? (
          <Link href={`/w/${workspace}/forms/new`} className={button}>New form</Link>
        ) : null}
      </div>
      {forms.length === 0 ? (
        <EmptyState title="No signup forms yet" action={editor ? { href: `/w/${workspace}/forms/new`, label: "Create a signup form" } : undefined}>
          <p>Hosted signup forms collect opt-ins you can prove: the wording shown, when, and from where, with double opt-in.</p>
          <p>Each form gets a hosted page and embed codes (iframe, script, or a plain HTML form for any landing page).</p>
        </EmptyState>
      ) : (
        <table className="mt-4 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="forms-table">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Form</th>
              <th className="px-4 py-2 font-medium">Address</th>
              <th className="px-4 py-2 font-medium">Status</th>
              <th className="px-4 py-2 font-medium">Double opt-in</th>
              <th className="px-4 py-2 text-right font-medium">Signups</th>
              <th className="px-4 py-2 text-right font-medium">Confirmed</th>
            </tr>
          </thead>
          <tbody>
            {forms.map((f) => (
              <tr key={f.id} className="border-t border-slate-100" data-testid={`form-${f.slug}`}>
                <td className="px-4 py-2">
                  <Link href={`/w/${workspace}/forms/${f.id}`} className="font-medium text-brand-600 hover:underline">{f.name}</Link>
                </td>
                <td className="px-4 py-2 font-mono text-xs">/f/{f.slug}</td>
                <td className="px-4 py-2">
                  <span className={`rounded px-2 py-0.5 text-xs ${statusStyle[f.status]}`}>{f.status}</span>
                </td>
                <td className="px-4 py-2">{f.doubleOptIn ? "on" : "off"}</td>
                <td className="px-4 py-2 text-right tabular-nums">{f.signups}</td>
                <td className="px-4 py-2 text-right tabular-nums">{f.confirmed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
