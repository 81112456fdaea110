import Link from "next/link";
import type { ReactNode } from "react";
import { getDb } from "@/db/client";
import { unreadNoticeCount } from "@/db/queries/notifications";
import { requireMember } from "@/lib/server/auth/member";
import { can, roleLabels } from "@/lib/auth/permissions";
import { signOutAction } from "@/app/workspaces/actions";
import { Toaster } from "@/app/_components/ui/toast";
import { Tooltip } from "@/app/_components/ui/tooltip";
import { NavLinks } from "./nav-links";

export default async function WorkspaceLayout(props: { children: ReactNode; params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await props.params;
  const member = await requireMember(slug);
  const base = `/w/${member.workspace.slug}`;
  // Owners and admins see the workspace's notices (failed runs) and how many are unread.
  const unread = can(member.role, "notices.read") ? await unreadNoticeCount(getDb(), { workspaceId: member.workspace.id }) : null;
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center gap-4 px-6 py-3">
          <Link href={`${base}/flows`} className="text-lg font-bold tracking-tight text-brand-700">
            Tillit
          </Link>
          <Tooltip content="Switch workspace">
            <Link
              href="/workspaces"
              data-testid="workspace-name"
              className="rounded bg-slate-100 px-2 py-1 text-sm font-medium text-slate-700 hover:bg-slate-200"
            >
              {member.workspace.name}
            </Link>
          </Tooltip>
          <NavLinks base={base} />
          <div className="ml-auto flex items-center gap-3 text-sm text-slate-600">
            {unread !== null ? (
              <Link
                href={`${base}/notices`}
                data-testid="notices-link"
                className="inline-flex items-center gap-1 rounded px-2 py-1 font-medium text-slate-700 hover:bg-slate-100"
              >
                Notices
                {unread > 0 ? (
                  <>
                    <span data-testid="notices-unread" className="rounded-full bg-red-600 px-1.5 text-xs font-semibold text-white">
                      {unread}
                    </span>
                    <span className="sr-only"> unread</span>
                  </>
                ) : null}
              </Link>
            ) : null}
            <span data-testid="signed-in-as" title={roleLabels[member.role]}>
              {member.user.email} · {roleLabels[member.role]}
            </span>
            <form action={signOutAction}>
              <button type="submit" className="text-brand-600 hover:underline">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-8">{props.children}</main>
      <Toaster />
    </div>
  );
}
