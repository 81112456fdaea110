import Link from "next/link";
import { getDb } from "@/db/client";
import { listForms } from "@/db/queries/forms";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/app/_components/empty-state";
import { button } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";

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
      <Table
        caption="Signup forms"
        testId="forms-table"
        className="mt-4"
        rows={forms}
        rowKey={(f) => f.id}
        rowTestId={(f) => `form-${f.slug}`}
        empty={
          <EmptyState title="No signup forms yet" action={editor ? { href: `/w/${workspace}/forms/new`, label: "Create a signup form" } : undefined}>
            <p>Hosted signup forms collect opt-ins you can prove: the wording shown, when, and from where, with double opt-in.</p>
            <p>Each form gets a hosted page and embed codes (iframe, script, or a plain HTML form for any landing page).</p>
          </EmptyState>
        }
        columns={[
          { header: "Form", cell: (f) => <Link href={`/w/${workspace}/forms/${f.id}`} className="font-medium text-brand-600 hover:underline">{f.name}</Link> },
          { header: "Address", className: "font-mono text-xs", cell: (f) => `/f/${f.slug}` },
          { header: "Status", cell: (f) => <span className={`rounded px-2 py-0.5 text-xs ${statusStyle[f.status]}`}>{f.status}</span> },
          { header: "Double opt-in", cell: (f) => (f.doubleOptIn ? "on" : "off") },
          { header: "Signups", align: "end", cell: (f) => f.signups },
          { header: "Confirmed", align: "end", cell: (f) => f.confirmed },
        ]}
      />
    </>
  );
}
