import Link from "next/link";
import { z } from "zod";
import { getDb } from "@/db/client";
import { countContacts, listContacts } from "@/db/queries/contacts";
import { keysetCursor } from "@/lib/api/cursor";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/app/_components/empty-state";
import { button, input, secondaryButton } from "@/app/_components/styles";
import { Popover } from "@/app/_components/ui/popover";
import { Table } from "@/app/_components/ui/table";

export const metadata = { title: "Contacts" };

const statuses = ["subscribed", "unconfirmed", "unsubscribed", "bounced", "complained", "erased"] as const;
const statusMeaning: Record<(typeof statuses)[number], string> = {
  subscribed: "opted in (and confirmed, where double opt-in applies): receives marketing",
  unconfirmed: "signed up but has not confirmed by email yet: receives no marketing",
  unsubscribed: "left the list: receives no marketing",
  bounced: "the address bounced: receives no marketing",
  complained: "marked a message as spam: receives no marketing",
  erased: "personal data erased on request: only a hash of the address is kept",
};
const search = z.object({
  q: z.string().max(200).optional().catch(undefined),
  status: z.enum(statuses).optional().catch(undefined),
  // The keyset cursor of the last row shown.
  after: keysetCursor.optional().catch(undefined),
});

export default async function ContactsPage(props: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const q = search.parse(await props.searchParams);
  const db = getDb();
  const [page, counts] = await Promise.all([
    listContacts(db, { workspaceId: member.workspace.id, search: q.q, status: q.status, after: q.after ? { createdAt: q.after.at, id: q.after.id } : undefined }),
    countContacts(db, { workspaceId: member.workspace.id }),
  ]);
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const base = `/w/${workspace}/contacts`;
  const last = page.rows.at(-1);
  const next = page.hasMore && last ? `${base}?${new URLSearchParams({ ...(q.q ? { q: q.q } : {}), ...(q.status ? { status: q.status } : {}), after: `${last.cursorAt}_${last.id}` })}` : undefined;

  return (
    <>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Contacts</h1>
        <div className="flex gap-2">
          {can(member.role, "contacts.import") ? (
            <Link href={`${base}/import`} className={secondaryButton}>Import</Link>
          ) : null}
          {can(member.role, "contacts.edit") ? (
            <Link href={`${base}/new`} className={button}>Add contact</Link>
          ) : null}
        </div>
      </div>
      {total === 0 ? (
        <EmptyState title="No contacts yet" action={can(member.role, "contacts.edit") ? { href: `${base}/new`, label: "Add a contact" } : undefined}>
          <p>Contacts arrive through your signup forms, the tracking API (identify), a CSV import, or by hand — each with the consent record that lets you mail them.</p>
          <p>Next step: add your website&apos;s tracking snippet (Settings → API keys), or add a contact by hand.</p>
        </EmptyState>
      ) : (
        <>
          <p className="mt-1 text-sm text-slate-600" data-testid="contact-counts">
            {total} in all · {statuses.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(" · ")}
          </p>
          <form method="get" className="mt-4 flex items-center gap-2">
            <input name="q" defaultValue={q.q ?? ""} placeholder="Search by email or name" aria-label="Search contacts" className={`${input} mt-0 max-w-xs`} />
            <select name="status" defaultValue={q.status ?? ""} aria-label="Status" className={`${input} mt-0 w-44`}>
              <option value="">Any status</option>
              {statuses.map((s) => (
                <option key={s} value={s}>{s}</option>
              ))}
            </select>
            <button type="submit" className={secondaryButton}>Search</button>
            <Popover label="What do the statuses mean?" triggerClassName="shrink-0 whitespace-nowrap text-xs font-medium text-brand-600 hover:underline">
              <dl className="space-y-1">
                {statuses.map((s) => (
                  <div key={s}>
                    <dt className="inline font-medium">{s}:</dt> <dd className="inline">{statusMeaning[s]}</dd>
                  </div>
                ))}
              </dl>
            </Popover>
          </form>
          <Table
            caption="Contacts"
            testId="contacts-table"
            className="mt-4"
            rows={page.rows}
            rowKey={(c) => c.id}
            empty={<p className="mt-6 text-sm text-slate-500">No contact matches. Try the start of an address or a name.</p>}
            columns={[
              { header: "Email", cell: (c) => <Link className="text-brand-600 hover:underline" href={`${base}/${c.id}`}>{c.email}</Link> },
              { header: "Name", cell: (c) => [c.firstName, c.lastName].filter(Boolean).join(" ") },
              { header: "Status", cell: (c) => c.status },
              { header: "Added", className: "text-slate-500", cell: (c) => c.createdAt.toISOString().slice(0, 10) },
            ]}
          />
          <div className="mt-4 flex gap-4 text-sm">
            {q.after ? <Link className="text-brand-600 hover:underline" href={`${base}?${new URLSearchParams({ ...(q.q ? { q: q.q } : {}), ...(q.status ? { status: q.status } : {}) })}`}>← First page</Link> : null}
            {next ? <Link className="text-brand-600 hover:underline" href={next}>Next page →</Link> : null}
          </div>
        </>
      )}
    </>
  );
}
