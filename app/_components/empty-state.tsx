import Link from "next/link";
import type { ReactNode } from "react";

/** What a page shows when it has nothing yet: what belongs here, and what to do next. */
export function EmptyState(props: {
  title: string;
  children: ReactNode;
  action?: { href: string; label: string };
  icon?: ReactNode;
}) {
  return (
    <section
      data-testid="empty-state"
      className="mx-auto mt-12 max-w-xl rounded-xl border border-dashed border-slate-300 bg-white px-8 py-12 text-center"
    >
      {props.icon ? <div className="mx-auto mb-4 text-4xl text-slate-400">{props.icon}</div> : null}
      <h2 className="text-lg font-semibold text-slate-900">{props.title}</h2>
      <div className="mt-2 space-y-2 text-sm text-slate-600">{props.children}</div>
      {props.action ? (
        <Link
          href={props.action.href}
          className="mt-6 inline-block rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700"
        >
          {props.action.label}
        </Link>
      ) : null}
    </section>
  );
}
