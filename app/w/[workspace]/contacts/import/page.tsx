import Link from "next/link";
import { eq } from "drizzle-orm";
import { getDb } from "@/db/client";
import { listImports } from "@/db/queries/imports";
import { workspaces } from "@/db/schema/index";
import { requireMember } from "@/lib/server/auth/member";
import { Table } from "@/app/_components/ui/table";
import { ImportWizard } from "./import-wizard";

export const metadata = { title: "Import contacts" };

export default async function ImportPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "contacts.import");
  const db = getDb();
  const [past, [ws]] = await Promise.all([
    listImports(db, { workspaceId: member.workspace.id, limit: 10 }),
    db.select({ doubleOptIn: workspaces.doubleOptInDefault }).from(workspaces).where(eq(workspaces.id, member.workspace.id)),
  ]);
  return (
    <>
      <Link href={`/w/${workspace}/contacts`} className="text-sm text-brand-600 hover:underline">← Contacts</Link>
      <h1 className="mt-2 text-2xl font-semibold">Import contacts from CSV</h1>
      <p className="mt-1 max-w-3xl text-sm text-slate-600">
        Only import people who agreed to hear from you. Each imported contact gets an opt-in record with the statement you
        give below.{" "}
        {ws?.doubleOptIn !== false
          ? "This workspace uses double opt-in: new contacts start unconfirmed and receive no marketing until they confirm."
          : "Double opt-in is off for this workspace: new contacts are subscribed at once."}{" "}
        Erased and suppressed addresses are never re-added; every row that is not imported is listed in a downloadable report.
      </p>
      <ImportWizard workspace={workspace} doubleOptIn={ws?.doubleOptIn !== false} />
      {past.length > 0 ? (
        <>
          <h2 className="mt-10 text-lg font-semibold">Recent imports</h2>
          <Table
            caption="Recent imports"
            testId="imports-table"
            className="mt-2"
            rows={past}
            rowKey={(i) => i.id}
            columns={[
              { header: "File", cell: (i) => <><Link href={`/w/${workspace}/contacts/import/${i.id}`} className="text-brand-600 hover:underline">{i.fileName}</Link><div className="text-xs text-slate-500">{i.createdAt.toISOString().slice(0, 16).replace("T", " ")}</div></> },
              { header: "Status", cell: (i) => i.status },
              { header: "Rows", align: "end", cell: (i) => `${i.received.toLocaleString("en")} / ${i.totalRows.toLocaleString("en")}` },
              { header: "Created", align: "end", cell: (i) => i.created.toLocaleString("en") },
              { header: "Updated", align: "end", cell: (i) => i.updated.toLocaleString("en") },
              { header: "Skipped", align: "end", cell: (i) => i.skipped.toLocaleString("en") },
              { header: "Rejected", align: "end", cell: (i) => i.rejected.toLocaleString("en") },
              {
                header: "Report",
                cell: (i) =>
                  i.skipped + i.rejected > 0 ? <a className="text-brand-600 hover:underline" href={`/w/${workspace}/contacts/import/${i.id}/report`} download>Download</a> : "—",
              },
            ]}
          />
        </>
      ) : null}
    </>
  );
}
