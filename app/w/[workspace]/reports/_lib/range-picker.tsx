import Link from "next/link";
import { presets, rangeParams, type DateRange } from "@/lib/analytics/date-range";
import { input, secondaryButton } from "@/app/_components/styles";

/** Presets as links, a custom range as a plain GET form (works without JavaScript), and the CSV export of what is shown. */
export function RangePicker(props: { base: string; range: DateRange; exportHref: string }) {
  const { range } = props;
  return (
    <div className="mt-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3" data-testid="range-picker">
      <nav className="flex gap-1" aria-label="Date range">
        {presets.map((p) => (
          <Link
            key={p.key}
            href={`${props.base}?range=${p.key}`}
            aria-current={range.preset === p.key ? "true" : undefined}
            className={`rounded-md px-2.5 py-1.5 text-sm ${range.preset === p.key ? "bg-brand-600 text-white" : "text-slate-700 hover:bg-slate-100"}`}
          >
            {p.label}
          </Link>
        ))}
      </nav>
      <form method="get" action={props.base} className="flex items-end gap-2">
        <label className="text-xs text-slate-600">
          From
          <input type="date" name="from" defaultValue={range.from} className={`${input} mt-0.5 py-1`} required />
        </label>
        <label className="text-xs text-slate-600">
          To
          <input type="date" name="to" defaultValue={range.to} className={`${input} mt-0.5 py-1`} required />
        </label>
        <button type="submit" className={secondaryButton}>Apply</button>
      </form>
      <span className="text-xs text-slate-500">{range.from} – {range.to} (UTC days)</span>
      <a href={`${props.exportHref}?${new URLSearchParams(rangeParams(range))}`} className={`${secondaryButton} ml-auto`} download>
        Export CSV
      </a>
    </div>
  );
}

export function Stat(props: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4" data-testid={props.testId}>
      <div className="text-xs uppercase tracking-wide text-slate-500">{props.label}</div>
      <div className="mt-1 text-2xl font-semibold text-slate-900">{props.value}</div>
      {props.hint ? <div className="mt-1 text-xs text-slate-500">{props.hint}</div> : null}
    </div>
  );
}

export function Panel(props: { title: string; children: React.ReactNode; note?: string; testId?: string }) {
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-4" data-testid={props.testId}>
      <h2 className="text-base font-semibold text-slate-900">{props.title}</h2>
      {props.note ? <p className="mt-0.5 text-xs text-slate-500">{props.note}</p> : null}
      <div className="mt-3">{props.children}</div>
    </section>
  );
}
