import Link from "next/link";
import { getDb } from "@/db/client";
import { listTemplates } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";

export const metadata = { title: "Templates" };

export default async function TemplatesPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const rows = await listTemplates(getDb(), { workspaceId: member.workspace.id });
  const editable = can(member.role, "templates.edit");
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Templates</h1>
        {editable && rows.length > 0 ? <Link href={`/w/${workspace}/templates/new`} className={button}>New template</Link> : null}
      </div>
      {rows.length === 0 ? (
        <EmptyState title="No templates yet" action={editable ? { href: `/w/${workspace}/templates/new`, label: "Create your first template" } : undefined}>
          <p>Templates are the messages your flows send: subject, preheader and body with merge fields such as the contact’s first name.</p>
          <p>Every marketing template carries an unsubscribe link and your postal address automatically.</p>
        </EmptyState>
      ) : (
        <table className="mt-6 w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-sm" data-testid="templates-table">
          <thead className="bg-slate-50 text-left text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Kind</th>
              <th className="px-4 py-2 font-medium">Subject</th>
              <th className="px-4 py-2 text-right font-medium">Sent</th>
              <th className="px-4 py-2 font-medium">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.id} className="border-t border-slate-100" data-testid={`template-${t.name}`}>
                <td className="px-4 py-2">
                  <Link href={`/w/${workspace}/templates/${t.id}`} className="font-medium text-brand-600 hover:underline">{t.name}</Link>
                </td>
                <td className="px-4 py-2 capitalize">{t.class}{t.topic ? <span className="ml-1 text-slate-500">· {t.topic}</span> : null}</td>
                <td className="px-4 py-2 text-slate-700">{t.subject}</td>
                <td className="px-4 py-2 text-right tabular-nums">{t.sent.toLocaleString("en")}</td>
                <td className="px-4 py-2 text-slate-500">{t.updatedAt.toISOString().slice(0, 16).replace("T", " ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
