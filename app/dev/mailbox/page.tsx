import Link from "next/link";
import { getDb } from "@/db/client";
import { listDevMail } from "@/db/queries/dev-mailbox";
import { EmptyState } from "@/app/_components/empty-state";
import { Table } from "@/app/_components/ui/table";
import { requireDevMailbox } from "./gate";

export const metadata = { title: "Dev mailbox", robots: { index: false } };

export default async function DevMailboxPage() {
  await requireDevMailbox();
  const mail = await listDevMail(getDb(), { limit: 200 });
  return (
    <main className="mx-auto max-w-5xl px-6 py-10">
      <h1 className="text-2xl font-semibold">Dev mailbox</h1>
      <p className="mt-1 text-sm text-slate-600">
        Mail the app sends while no Resend key is set lands here instead of leaving this machine.
      </p>
      <Table
        caption="Mail sent"
        className="mt-6"
        rows={mail}
        rowKey={(m) => String(m.id)}
        empty={
          <EmptyState title="No mail yet">
            <p>Sign-in links, double opt-in confirmations and flow messages will appear here as soon as they are sent.</p>
          </EmptyState>
        }
        columns={[
          { header: "To", cell: (m) => m.to.join(", ") },
          {
            header: "Subject",
            cell: (m) => (
              <Link className="text-brand-600 hover:underline" href={`/dev/mailbox/${m.id}`}>
                {m.subject}
              </Link>
            ),
          },
          { header: "From", className: "text-slate-600", cell: (m) => m.from },
          {
            header: "Sent",
            className: "text-slate-600",
            cell: (m) => <time dateTime={m.createdAt.toISOString()}>{m.createdAt.toISOString().replace("T", " ").slice(0, 19)}</time>,
          },
        ]}
      />
    </main>
  );
}
