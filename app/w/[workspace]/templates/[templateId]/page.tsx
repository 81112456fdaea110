import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { flowsSendingTemplate } from "@/db/queries/template-versions";
import { attributeKeys, getTemplateById, previewContacts } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { templateBodySchema } from "@/lib/email/render";
import { ActionForm } from "@/app/_components/action-form";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { secondaryButton } from "@/app/_components/styles";
import { archiveTemplateAction, deleteTemplateAction, saveTemplateAction, testSendTemplateAction, unarchiveTemplateAction } from "../actions";
import { TemplateEditor } from "../editor";
import { mergeTagMenu } from "../merge-tags";

export const metadata = { title: "Edit template" };

export default async function EditTemplatePage(props: { params: Promise<{ workspace: string; templateId: string }>; searchParams: Promise<{ created?: string }> }) {
  const { workspace, templateId } = await props.params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(templateId).success) notFound();
  const db = getDb();
  const t = await getTemplateById(db, { workspaceId: member.workspace.id, templateId });
  if (!t) notFound();
  const [contacts, attributes, sending] = await Promise.all([
    previewContacts(db, { workspaceId: member.workspace.id }),
    attributeKeys(db, { workspaceId: member.workspace.id }),
    flowsSendingTemplate(db, { workspaceId: member.workspace.id, templateId }),
  ]);
  const body = templateBodySchema.parse(t.body);
  const editable = can(member.role, "templates.edit");
  const { created } = await props.searchParams;
  return (
    <>
      <Link href={`/w/${workspace}/templates`} className="text-sm text-brand-600 hover:underline">← Templates</Link>
      <h1 className="mt-2 mb-2 text-2xl font-semibold">{t.name}</h1>
      {created ? <p role="status" className="mb-4 text-sm text-emerald-700">Template created</p> : <div className="mb-4" />}
      {t.archivedAt ? (
        <div className="mb-4 flex flex-wrap items-center gap-3 rounded-md border border-slate-300 bg-slate-50 p-3 text-sm text-slate-700" data-testid="template-archived">
          <span>
            <b>Archived</b> on {t.archivedAt.toISOString().slice(0, 10)}: it is not offered for new sends, and a flow naming it cannot be published.
            Flows already sending it carry on.
          </span>
          {editable ? (
            <ActionForm action={unarchiveTemplateAction} workspace={workspace} testId="unarchive-template-form">
              <input type="hidden" name="templateId" value={t.id} />
              <button type="submit" className={secondaryButton}>Unarchive</button>
            </ActionForm>
          ) : null}
        </div>
      ) : null}
      <section className="mb-6 rounded-md border border-slate-200 bg-white p-3 text-sm" data-testid="template-flows" aria-label="Published flows that send this template">
        {sending.length === 0 ? (
          <p className="text-slate-600">No published flow sends this template. A flow that uses it sends it as it is when that flow is published.</p>
        ) : (
          <>
            <p className="text-slate-700">
              Sent by published {sending.length === 1 ? "flow" : "flows"}{" "}
              {sending.map((f, i) => (
                <span key={f.id}>
                  {i > 0 ? ", " : ""}
                  <Link href={`/w/${workspace}/flows/${f.id}`} className="font-medium text-brand-600 hover:underline">{f.name}</Link>
                  <span className="text-slate-500"> (v{f.version}{f.changed ? ", changed since publish" : ""})</span>
                </span>
              ))}
              .
            </p>
            <p className="mt-1 text-slate-600">
              Saving here makes a draft: each of these flows keeps sending the template as it was when the flow was published, and your
              changes reach a flow when it is published again.
            </p>
          </>
        )}
      </section>
      <TemplateEditor
        workspace={workspace}
        template={{ id: t.id, name: t.name, class: t.class, topic: t.topic ?? "", subject: t.subject, preheader: t.preheader, markup: body.markup ?? body.html ?? body.text ?? "" }}
        contacts={contacts.map((c) => ({ id: c.id, label: [c.firstName, c.lastName].filter(Boolean).join(" ") ? `${[c.firstName, c.lastName].filter(Boolean).join(" ")} <${c.email}>` : c.email }))}
        mergeTags={mergeTagMenu(attributes)}
        editable={editable}
        selfEmail={member.user.email}
        save={saveTemplateAction}
        testSend={testSendTemplateAction}
        archived={t.archivedAt !== null}
      />
      {editable ? (
        <div className="mt-10 flex max-w-3xl flex-wrap items-start gap-8">
          {t.archivedAt ? null : (
            <ActionForm action={archiveTemplateAction} workspace={workspace} className="max-w-sm" testId="archive-template-form">
              <input type="hidden" name="templateId" value={t.id} />
              <p className="mb-2 text-sm text-slate-600">Archiving takes it out of the pickers; flows already sending it carry on.</p>
              <button type="submit" className={secondaryButton}>Archive template</button>
            </ActionForm>
          )}
          <ActionForm action={deleteTemplateAction} workspace={workspace} className="max-w-sm" testId="delete-template-form">
            <input type="hidden" name="templateId" value={t.id} />
            <p className="mb-2 text-sm text-slate-600">A template a published flow sends cannot be deleted: archive it instead. Sent messages stay in reports.</p>
            <ConfirmSubmit
              title={`Delete template “${t.name}”?`}
              description="It goes for good; messages already sent stay in reports. A template a published flow sends is kept: archive that one instead. This cannot be undone."
              confirm="Delete template"
            >
              Delete template
            </ConfirmSubmit>
          </ActionForm>
        </div>
      ) : null}
    </>
  );
}
