import Link from "next/link";
import { getDb } from "@/db/client";
import { listUserWorkspaces } from "@/db/queries/workspaces";
import { requireUser } from "@/lib/server/auth/member";
import { roleLabels } from "@/lib/auth/permissions";
import { EmptyState } from "../_components/empty-state";

export const metadata = { title: "Your workspaces" };

export default async function WorkspacesPage() {
  const user = await requireUser();
  const list = await listUserWorkspaces(getDb(), { userId: user.id });
  return (
    <main className="mx-auto max-w-xl px-6 py-16">
      <h1 className="text-2xl font-semibold">Your workspaces</h1>
      {list.length === 0 ? (
        <EmptyState title="You are not in a workspace yet" action={{ href: "/workspaces/new", label: "Create a workspace" }}>
          <p>Create one, or ask a colleague to invite you to theirs.</p>
        </EmptyState>
      ) : (
        <ul className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {list.map((w) => (
            <li key={w.id} className="flex items-center justify-between px-4 py-3">
              <Link href={`/w/${w.slug}/flows`} className="font-medium text-brand-700 hover:underline">
                {w.name}
              </Link>
              <span className="text-sm text-slate-500">{roleLabels[w.role]}</span>
            </li>
          ))}
        </ul>
      )}
      <Link href="/workspaces/new" className="mt-6 inline-block text-sm text-brand-600 hover:underline">
        + New workspace
      </Link>
    </main>
  );
}
