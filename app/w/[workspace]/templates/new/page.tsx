import Link from "next/link";
import { getDb } from "@/db/client";
import { attributeKeys, previewContacts } from "@/db/queries/templates";
import { requireMember } from "@/lib/server/auth/member";
import { saveTemplateAction, testSendTemplateAction } from "../actions";
import { TemplateEditor } from "../editor";
import { mergeTagMenu } from "../merge-tags";

export const metadata = { title: "New template" };

const STARTER = `# Hello {{ contact.first_name | default: "there" }}

Thanks for joining us. Here is what happens next.

[button: Visit the shop](https://example.com)

Questions? Just reply to this email.`;

export default async function NewTemplatePage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "templates.edit");
  const db = getDb();
  const [contacts, attributes] = await Promise.all([previewContacts(db, { workspaceId: member.workspace.id }), attributeKeys(db, { workspaceId: member.workspace.id })]);
  return (
    <>
      <Link href={`/w/${workspace}/templates`} className="text-sm text-brand-600 hover:underline">← Templates</Link>
      <h1 className="mt-2 mb-6 text-2xl font-semibold">New template</h1>
      <TemplateEditor
        workspace={workspace}
        template={{ id: null, name: "", class: "marketing", topic: "", subject: 'Welcome, {{ contact.first_name | default: "friend" }}', preheader: "", markup: STARTER }}
        contacts={contacts.map((c) => ({ id: c.id, label: [c.firstName, c.lastName].filter(Boolean).join(" ") ? `${[c.firstName, c.lastName].filter(Boolean).join(" ")} <${c.email}>` : c.email }))}
        mergeTags={mergeTagMenu(attributes)}
        editable
        selfEmail={member.user.email}
        save={saveTemplateAction}
        testSend={testSendTemplateAction}
      />
    </>
  );
}
