import Link from "next/link";
import { z } from "zod";
import { getDb } from "@/db/client";
import { listAudit } from "@/db/queries/audit";
import { requireMember } from "@/lib/server/auth/member";
import { storableTime } from "@/lib/storable";
import { input, secondaryButton } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";

export const metadata = { title: "Audit log" };

const groups = ["", "workspace", "settings", "member", "api_key", "flow", "contact", "export"] as const;
const search = z.object({
  action: z.enum(groups).catch(""),
  before: z.iso
    .datetime()
    .refine((t) => storableTime(new Date(t)))
    .optional()
    .catch(undefined),
});

export default async function AuditPage(props: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace, "audit.read");
  const q = search.parse(await props.searchParams);
  const rows = await listAudit(getDb(), {
    workspaceId: member.workspace.id,
    action: q.action || undefined,
    before: q.before ? new Date(q.before) : undefined,
    limit: 50,
  });
  const last = rows.at(-1);
  return (
    <div>
      <form method="get" className="flex items-center gap-2">
        <label htmlFor="action" className="text-sm text-slate-600">Show</label>
        <select id="action" name="action" defaultValue={q.action} className={`${input} mt-0 w-56`}>
          {groups.map((g) => (
            <option key={g} value={g}>{g === "" ? "Everything" : g.replace("_", " ")}</option>
          ))}
        </select>
        <button type="submit" className={secondaryButton}>Filter</button>
      </form>
      <Table
        caption="Audit log"
        testId="audit-table"
        className="mt-4"
        alignTop
        rows={rows}
        rowKey={(r) => String(r.id)}
        empty={<p className="mt-6 text-sm text-slate-500">Nothing recorded{q.action ? " for this filter" : ""} yet. Changes to members, keys, settings and publishes appear here.</p>}
        columns={[
          { header: "When (UTC)", className: "whitespace-nowrap text-slate-500", cell: (r) => r.createdAt.toISOString().replace("T", " ").slice(0, 19) },
          { header: "Who", cell: (r) => r.actorEmail ?? "API / system" },
          { header: "What", className: "font-mono text-xs", cell: (r) => r.action },
          { header: "Details", className: "font-mono text-xs text-slate-500", cell: (r) => JSON.stringify(r.data) },
        ]}
      />
      {rows.length === 50 && last ? (
        <Link href={`?${new URLSearchParams({ action: q.action, before: last.createdAt.toISOString() })}`} className="mt-4 inline-block text-sm text-brand-600 hover:underline">
          Older entries →
        </Link>
      ) : null}
    </div>
  );
}
