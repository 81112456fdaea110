import Link from "next/link";
import type { ReactNode } from "react";
import { NavLinks } from "./nav-links";
import { loadWorkspace } from "./workspace";

export default async function WorkspaceLayout(props: { children: ReactNode; params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await props.params;
  const workspace = await loadWorkspace(slug);
  const base = `/w/${workspace.slug}`;
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center gap-6 px-6 py-3">
          <Link href={`${base}/flows`} className="text-lg font-bold tracking-tight text-brand-700">
            Tillit
          </Link>
          <span data-testid="workspace-name" className="rounded bg-slate-100 px-2 py-1 text-sm font-medium text-slate-700">
            {workspace.name}
          </span>
          <NavLinks base={base} />
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-8">{props.children}</main>
    </div>
  );
}
