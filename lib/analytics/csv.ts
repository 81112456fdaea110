/**
 * CSV for report exports: RFC 4180 quoting, CRLF line ends, and a guard against spreadsheet
 * formula injection (a text cell starting with = + - @ or a tab/CR is prefixed with '), since
 * exported cells include values from tracked events and link URLs. Numbers are written as is.
 */

export type CsvCell = string | number | boolean | null | undefined | Date;
export type CsvColumn<T> = { header: string; value: (row: T) => CsvCell };

function cell(v: CsvCell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return v ? "true" : "false";
  let s = v instanceof Date ? v.toISOString() : v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => cell(c.header)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Several tables in one file, each under a title line, separated by a blank line. */
export function csvSections(sections: readonly { title: string; csv: string }[]): string {
  return sections.map((s) => `${cell(`# ${s.title}`)}\r\n${s.csv}`).join("\r\n");
}
