import Link from "next/link";
import { getDb } from "@/db/client";
import { listTemplates } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";

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
      <Table
        caption="Templates"
        testId="templates-table"
        className="mt-6"
        rows={rows}
        rowKey={(t) => t.id}
        rowTestId={(t) => `template-${t.name}`}
        empty={
          <EmptyState title="No templates yet" action={editable ? { href: `/w/${workspace}/templates/new`, label: "Create your first template" } : undefined}>
            <p>Templates are the messages your flows send: subject, preheader and body with merge fields such as the contact’s first name.</p>
            <p>Every marketing template carries an unsubscribe link and your postal address automatically.</p>
          </EmptyState>
        }
        columns={[
          { header: "Name", cell: (t) => <Link href={`/w/${workspace}/templates/${t.id}`} className="font-medium text-brand-600 hover:underline">{t.name}</Link> },
          { header: "Kind", className: "capitalize", cell: (t) => <>{t.class}{t.topic ? <span className="ml-1 text-slate-500">· {t.topic}</span> : null}</> },
          { header: "Subject", className: "text-slate-700", cell: (t) => t.subject },
          { header: "Sent", align: "end", cell: (t) => t.sent.toLocaleString("en") },
          { header: "Updated", className: "text-slate-500", cell: (t) => t.updatedAt.toISOString().slice(0, 16).replace("T", " ") },
        ]}
      />
    </>
  );
}
