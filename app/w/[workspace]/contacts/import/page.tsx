import Link from "next/link";
import { eq } from "drizzle-orm";
import { getDb } from "@/db/client";
import { listImports } from "@/db/queries/imports";
import { workspaces } from "@/db/schema/index";
import { requireMember } from "@/lib/server/auth/member";
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
          <table className="mt-2 w-full rounded-lg border border-slate-200 bg-white text-left text-sm" data-testid="imports-table">
            <thead className="bg-slate-100 text-slate-600">
              <tr>
                <th className="px-4 py-2 font-medium">File</th>
                <th className="px-4 py-2 font-medium">Status</th>
                <th className="px-4 py-2 text-right font-medium">Rows</th>
                <th className="px-4 py-2 text-right font-medium">Created</th>
                <th className="px-4 py-2 text-right font-medium">Updated</th>
                <th className="px-4 py-2 text-right font-medium">Skipped</th>
                <th className="px-4 py-2 text-right font-medium">Rejected</th>
                <th className="px-4 py-2 font-medium">Report</th>
              </tr>
            </thead>
            <tbody>
              {past.map((i) => (
                <tr key={i.id} className="border-t border-slate-100">
                  <td className="px-4 py-2">{i.fileName}<div className="text-xs text-slate-500">{i.createdAt.toISOString().slice(0, 16).replace("T", " ")}</div></td>
                  <td className="px-4 py-2">{i.status}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{i.received.toLocaleString("en")} / {i.totalRows.toLocaleString("en")}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{i.created.toLocaleString("en")}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{i.updated.toLocaleString("en")}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{i.skipped.toLocaleString("en")}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{i.rejected.toLocaleString("en")}</td>
                  <td className="px-4 py-2">
                    {i.skipped + i.rejected > 0 ? <a className="text-brand-600 hover:underline" href={`/w/${workspace}/contacts/import/${i.id}/report`} download>Download</a> : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
