import type { ReactNode } from "react";

/** One column of a {@link Table}: its heading and how a row fills its cell. */
export type Column<T> = {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** "end" for figures, so digits line up. */
  align?: "start" | "end";
  /** Extra classes on this column's cells (e.g. `font-mono`, `text-slate-500`, `truncate`). */
  className?: string;
  /** The heading is read by screen readers but not shown (an actions column). */
  hideHeader?: boolean;
};

/**
 * The app's one data table (docs/ui.md): a caption for screen readers, a header row, one row per
 * item, and `empty` in place of the whole table when there are no rows. `boxed` (the default) is a
 * list page's bordered table; `plain` sits inside a card that already has a border.
 */
export function Table<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  rowTestId?: (row: T) => string | undefined;
  empty?: ReactNode;
  testId?: string;
  variant?: "boxed" | "plain";
  /** Header row for screen readers only (a table of labelled figures). */
  hideHeader?: boolean;
  /** Top-align cells when rows may wrap over several lines. */
  alignTop?: boolean;
  className?: string;
}) {
  if (props.rows.length === 0 && props.empty !== undefined) return <>{props.empty}</>;
  const boxed = (props.variant ?? "boxed") === "boxed";
  const pad = boxed ? "px-4 py-2" : "py-1.5 pr-3 last:pr-0";
  const alignClass = (c: Column<T>) => (c.align === "end" ? "text-right" : "text-left");
  return (
    <div className={`${boxed ? "overflow-x-auto rounded-lg border border-slate-200 bg-white" : "overflow-x-auto"} ${props.className ?? ""}`}>
      <table className="w-full text-left text-sm" data-testid={props.testId}>
        <caption className="sr-only">{props.caption}</caption>
        <thead className={props.hideHeader ? "sr-only" : boxed ? "bg-slate-100 text-slate-600" : "text-slate-500"}>
          <tr>
            {props.columns.map((c, i) => (
              <th key={i} scope="col" className={`${pad} font-medium ${alignClass(c)}`}>
                {c.hideHeader ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr
              key={props.rowKey(row)}
              data-testid={props.rowTestId?.(row)}
              className={`border-t border-slate-100 ${boxed ? "hover:bg-slate-50" : ""} ${props.alignTop ? "align-top" : ""}`}
            >
              {props.columns.map((c, i) => (
                <td key={i} className={`${pad} ${alignClass(c)} ${c.align === "end" ? "tabular-nums" : ""} ${c.className ?? ""}`}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
