import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { getImport } from "@/db/queries/imports";
import { can } from "@/lib/auth/permissions";
import { requireMember } from "@/lib/server/auth/member";
import { loadRepermission, RepermissionPanel } from "../../repermission/panel";

export const metadata = { title: "Import" };
export const dynamic = "force-dynamic";

/** One import: its totals, the report of rows not imported, and re-permission of its unconfirmed contacts. */
export default async function ImportReportPage(props: { params: Promise<{ workspace: string; importId: string }> }) {
  const { workspace, importId } = await props.params;
  const member = await requireMember(workspace, "contacts.import");
  if (!z.uuid().safeParse(importId).success) notFound();
  const db = getDb();
  const imp = await getImport(db, { workspaceId: member.workspace.id, importId });
  if (!imp) notFound();
  const rp = await loadRepermission(db, { workspaceId: member.workspace.id, importId });
  const n = (x: number) => x.toLocaleString("en");
  return (
    <>
      <Link href={`/w/${workspace}/contacts/import`} className="text-sm text-brand-600 hover:underline">← Import contacts</Link>
      <h1 className="mt-2 text-2xl font-semibold">Import of {imp.fileName}</h1>
      <p className="mt-1 text-sm text-slate-600">
        {imp.createdAt.toISOString().slice(0, 16).replace("T", " ")} · {imp.status} · {n(imp.received)} of {n(imp.totalRows)} rows
      </p>
      <p className="mt-3 text-sm" data-testid="import-page-totals">
        {n(imp.created)} created · {n(imp.updated)} updated · {n(imp.skipped)} skipped · {n(imp.rejected)} rejected
      </p>
      <p className="mt-1 text-sm text-slate-600">Consent statement: “{imp.statement}”</p>
      {imp.skipped + imp.rejected > 0 ? (
        <a className="mt-2 inline-block text-sm text-brand-600 hover:underline" href={`/w/${workspace}/contacts/import/${imp.id}/report`} download>
          Download the report of {n(imp.skipped + imp.rejected)} rows not imported
        </a>
      ) : (
        <p className="mt-2 text-sm">Every row became a contact.</p>
      )}
      <RepermissionPanel workspace={workspace} target={{ importId: imp.id }} canAsk={can(member.role, "contacts.edit")} {...rp} />
    </>
  );
}
