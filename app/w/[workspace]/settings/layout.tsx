import Link from "next/link";
import type { ReactNode } from "react";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";

export default async function SettingsLayout(props: { children: ReactNode; params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  const member = await requireMember(workspace);
  const base = `/w/${workspace}/settings`;
  const tabs = [
    { href: base, label: "General" },
    { href: `${base}/members`, label: "Members" },
    { href: `${base}/topics`, label: "Topics" },
    { href: `${base}/sending`, label: "Sending" },
    ...(can(member.role, "api_keys.manage") ? [{ href: `${base}/api-keys`, label: "API keys" }] : []),
    ...(can(member.role, "audit.read") ? [{ href: `${base}/audit`, label: "Audit log" }] : []),
  ];
  return (
    <>
      <h1 className="text-2xl font-semibold">Settings</h1>
      <nav aria-label="Settings" className="mt-4 flex gap-4 border-b border-slate-200">
        {tabs.map((t) => (
          <Link key={t.href} href={t.href} className="-mb-px border-b-2 border-transparent px-1 pb-2 text-sm font-medium text-slate-600 hover:text-slate-900">
            {t.label}
          </Link>
        ))}
      </nav>
      <div className="mt-6">{props.children}</div>
    </>
  );
}
