import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { attributeKeys, getTemplateById, previewContacts } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { templateBodySchema } from "@/lib/email/render";
import { ActionForm } from "@/app/_components/action-form";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { deleteTemplateAction, saveTemplateAction, testSendTemplateAction } from "../actions";
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
  const [contacts, attributes] = await Promise.all([previewContacts(db, { workspaceId: member.workspace.id }), attributeKeys(db, { workspaceId: member.workspace.id })]);
  const body = templateBodySchema.parse(t.body);
  const editable = can(member.role, "templates.edit");
  const { created } = await props.searchParams;
  return (
    <>
      <Link href={`/w/${workspace}/templates`} className="text-sm text-brand-600 hover:underline">← Templates</Link>
      <h1 className="mt-2 mb-2 text-2xl font-semibold">{t.name}</h1>
      {created ? <p role="status" className="mb-4 text-sm text-emerald-700">Template created</p> : <div className="mb-4" />}
      <TemplateEditor
        workspace={workspace}
        template={{ id: t.id, name: t.name, class: t.class, topic: t.topic ?? "", subject: t.subject, preheader: t.preheader, markup: body.markup ?? body.html ?? body.text ?? "" }}
        contacts={contacts.map((c) => ({ id: c.id, label: [c.firstName, c.lastName].filter(Boolean).join(" ") ? `${[c.firstName, c.lastName].filter(Boolean).join(" ")} <${c.email}>` : c.email }))}
        mergeTags={mergeTagMenu(attributes)}
        editable={editable}
        selfEmail={member.user.email}
        save={saveTemplateAction}
        testSend={testSendTemplateAction}
      />
      {editable ? (
        <ActionForm action={deleteTemplateAction} workspace={workspace} className="mt-10 max-w-xl" testId="delete-template-form">
          <input type="hidden" name="templateId" value={t.id} />
          <p className="mb-2 text-sm text-slate-600">Deleting a template stops flows that use it from sending it; sent messages stay in reports.</p>
          <ConfirmSubmit
            title={`Delete template “${t.name}”?`}
            description="Flows that use it stop sending it; messages already sent stay in reports. This cannot be undone."
            confirm="Delete template"
          >
            Delete template
          </ConfirmSubmit>
        </ActionForm>
      ) : null}
    </>
  );
}
