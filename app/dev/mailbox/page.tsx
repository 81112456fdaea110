import Link from "next/link";
import { getDb } from "@/db/client";
import { listDevMail } from "@/db/queries/dev-mailbox";
import { EmptyState } from "@/app/_components/empty-state";
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
      {mail.length === 0 ? (
        <EmptyState title="No mail yet">
          <p>Sign-in links, double opt-in confirmations and flow messages will appear here as soon as they are sent.</p>
        </EmptyState>
      ) : (
        <table className="mt-6 w-full overflow-hidden rounded-lg border border-slate-200 bg-white text-left text-sm">
          <thead className="bg-slate-100 text-slate-600">
            <tr>
              <th className="px-4 py-2 font-medium">To</th>
              <th className="px-4 py-2 font-medium">Subject</th>
              <th className="px-4 py-2 font-medium">From</th>
              <th className="px-4 py-2 font-medium">Sent</th>
            </tr>
          </thead>
          <tbody>
            {mail.map((m) => (
              <tr key={m.id} className="border-t border-slate-100 hover:bg-slate-50">
                <td className="px-4 py-2">{m.to.join(", ")}</td>
                <td className="px-4 py-2">
                  <Link className="text-brand-600 hover:underline" href={`/dev/mailbox/${m.id}`}>
                    {m.subject}
                  </Link>
                </td>
                <td className="px-4 py-2 text-slate-600">{m.from}</td>
                <td className="px-4 py-2 text-slate-600">
                  <time dateTime={m.createdAt.toISOString()}>{m.createdAt.toISOString().replace("T", " ").slice(0, 19)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
