import Link from "next/link";
import { getDb } from "@/db/client";
import { listTemplates, templateCounts } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { ActionForm } from "@/app/_components/action-form";
import { EmptyState } from "@/app/_components/empty-state";
import { button, dangerButton, secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { Table } from "@/app/_components/ui/table";
import { archiveTemplateAction, deleteTemplateAction, unarchiveTemplateAction } from "./actions";

export const metadata = { title: "Templates" };

const small = (cls: string) => cls.replace("px-3 py-1.5", "px-2 py-1").replace("text-sm", "text-xs");

export default async function TemplatesPage(props: { params: Promise<{ workspace: string }>; searchParams: Promise<{ show?: string | string[] }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const archived = (await props.searchParams).show === "archived";
  const db = getDb();
  const [rows, counts] = await Promise.all([listTemplates(db, { workspaceId: member.workspace.id, archived }), templateCounts(db, { workspaceId: member.workspace.id })]);
  const editable = can(member.role, "templates.edit");
  const filter = (to: "active" | "archived", text: string, n: number) => {
    const on = (to === "archived") === archived;
    return (
      <Link
        href={to === "archived" ? `/w/${workspace}/templates?show=archived` : `/w/${workspace}/templates`}
        aria-current={on ? "page" : undefined}
        className={`rounded-md px-3 py-1 ${on ? "bg-slate-200 font-medium text-slate-900" : "text-slate-600 hover:bg-slate-100"}`}
      >
        {text} ({n})
      </Link>
    );
  };
  const nothingAtAll = counts.active + counts.archived === 0;
  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Templates</h1>
        {editable && !nothingAtAll ? <Link href={`/w/${workspace}/templates/new`} className={button}>New template</Link> : null}
      </div>
      {nothingAtAll ? null : (
        <nav aria-label="Which templates" className="mt-4 flex gap-1 text-sm" data-testid="templates-filter">
          {filter("active", "Active", counts.active)}
          {filter("archived", "Archived", counts.archived)}
        </nav>
      )}
      <Table
        caption={archived ? "Archived templates" : "Templates"}
        testId="templates-table"
        className="mt-4"
        rows={rows}
        rowKey={(t) => t.id}
        rowTestId={(t) => `template-${t.name}`}
        empty={
          nothingAtAll ? (
            <EmptyState title="No templates yet" action={editable ? { href: `/w/${workspace}/templates/new`, label: "Create your first template" } : undefined}>
              <p>Templates are the messages your flows send: subject, preheader and body with merge fields such as the contact’s first name.</p>
              <p>Every marketing template carries an unsubscribe link and your postal address automatically.</p>
            </EmptyState>
          ) : archived ? (
            <EmptyState title="No archived templates">
              <p>Archive a template to take it out of the pickers without stopping the flows that already send it. Archived templates wait here until you bring them back.</p>
            </EmptyState>
          ) : (
            <EmptyState title="Every template is archived" action={editable ? { href: `/w/${workspace}/templates/new`, label: "Create a template" } : undefined}>
              <p>Create a template, or open the archived ones and unarchive one to send it again.</p>
            </EmptyState>
          )
        }
        columns={[
          { header: "Name", cell: (t) => <Link href={`/w/${workspace}/templates/${t.id}`} className="font-medium text-brand-600 hover:underline">{t.name}</Link> },
          { header: "Kind", className: "capitalize", cell: (t) => <>{t.class}{t.topic ? <span className="ml-1 text-slate-500">· {t.topic}</span> : null}</> },
          { header: "Subject", className: "text-slate-700", cell: (t) => t.subject },
          { header: "Sent", align: "end", cell: (t) => t.sent.toLocaleString("en") },
          archived
            ? { header: "Archived", className: "text-slate-500", cell: (t) => t.archivedAt?.toISOString().slice(0, 16).replace("T", " ") }
            : { header: "Updated", className: "text-slate-500", cell: (t) => t.updatedAt.toISOString().slice(0, 16).replace("T", " ") },
          ...(editable
            ? [
                {
                  header: "Actions",
                  hideHeader: true,
                  align: "end" as const,
                  cell: (t: (typeof rows)[number]) => (
                    <div className="flex items-start justify-end gap-2">
                      <ActionForm action={archived ? unarchiveTemplateAction : archiveTemplateAction} workspace={workspace} testId={`${archived ? "unarchive" : "archive"}-${t.name}`}>
                        <input type="hidden" name="templateId" value={t.id} />
                        <button type="submit" className={small(secondaryButton)}>{archived ? "Unarchive" : "Archive"}</button>
                      </ActionForm>
                      <ActionForm action={deleteTemplateAction} workspace={workspace} testId={`delete-${t.name}`} className="max-w-xs text-left">
                        <input type="hidden" name="templateId" value={t.id} />
                        <ConfirmSubmit
                          className={small(dangerButton)}
                          title={`Delete template “${t.name}”?`}
                          description="It goes for good; messages already sent stay in reports. A template a published flow sends is kept: archive that one instead."
                          confirm="Delete template"
                        >
                          Delete
                        </ConfirmSubmit>
                      </ActionForm>
                    </div>
                  ),
                },
              ]
            : []),
        ]}
      />
    </>
  );
}
