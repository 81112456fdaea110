"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { sections } from "./nav";

export function NavLinks({ base }: { base: string }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Workspace" className="flex gap-1 overflow-x-auto">
      {sections.map((s) => {
        const href = `${base}/${s.slug}`;
        const active = pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={s.slug}
            href={href}
            aria-current={active ? "page" : undefined}
            className={`whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium ${
              active ? "bg-brand-50 text-brand-700" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
            }`}
          >
            {s.label}
          </Link>
        );
      })}
    </nav>
  );
}
