/**
 * The one CSV writer every download goes through (report exports, segment members, import
 * reports): RFC 4180 quoting, CRLF line ends, and a guard against spreadsheet formula injection,
 * since exported cells hold values from signups, tracked events, imported files and link URLs.
 * Numbers, booleans and dates are written as values; text that a spreadsheet would run as a
 * formula gets a leading ' and is otherwise kept as it was.
 */

export type CsvCell = string | number | boolean | null | undefined | Date;
export type CsvColumn<T> = { header: string; value: (row: T) => CsvCell };

// Spreadsheets skip leading whitespace (and invisible format characters such as a BOM or a
// zero-width space) before they decide a cell is a formula, and read the full-width and small
// forms of = + - @ as the ASCII signs; NFKC folds those forms onto the ASCII ones. A leading tab
// or carriage return is itself a trigger.
const LEADING = /^[\s\p{Cf}]*(.)/su;
const SIGNS = new Set(["=", "+", "-", "@"]);

function runsAsFormula(s: string): boolean {
  if (s.startsWith("\t") || s.startsWith("\r")) return true;
  const first = LEADING.exec(s)?.[1];
  return first !== undefined && SIGNS.has(first.normalize("NFKC"));
}

export function csvCell(v: CsvCell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return v ? "true" : "false";
  let s = v instanceof Date ? v.toISOString() : v;
  if (runsAsFormula(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly CsvCell[]) => `${cells.map(csvCell).join(",")}\r\n`;

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  let out = csvLine(columns.map((c) => c.header));
  for (const row of rows) out += csvLine(columns.map((c) => c.value(row)));
  return out;
}

/** Several tables in one file, each under a title line, separated by a blank line. */
export function csvSections(sections: readonly { title: string; csv: string }[]): string {
  return sections.map((s) => `${csvCell(`# ${s.title}`)}\r\n${s.csv}`).join("\r\n");
}
