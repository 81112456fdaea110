/**
 * Report date ranges: whole UTC days, `from` inclusive and `to` inclusive as the marketer picks
 * them, queried as [from 00:00, to + 1 day 00:00). Pure.
 */

import { storableTime } from "../storable";

export const presets = [
  { key: "7d", label: "Last 7 days", days: 7 },
  { key: "30d", label: "Last 30 days", days: 30 },
  { key: "90d", label: "Last 90 days", days: 90 },
  { key: "365d", label: "Last 12 months", days: 365 },
] as const;
export type PresetKey = (typeof presets)[number]["key"];

export const MAX_RANGE_DAYS = 731;
const DAY = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export type DateRange = {
  /** First day, YYYY-MM-DD. */
  from: string;
  /** Last day, YYYY-MM-DD (inclusive). */
  to: string;
  preset: PresetKey | null;
};

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function parseDay(s: string): Date | null {
  if (!ISO_DAY.test(s)) return null;
  const d = new Date(`${s}T00:00:00Z`);
  // The day and the midnight that ends it must both be times Postgres holds.
  return !storableTime(d) || !storableTime(new Date(d.getTime() + DAY)) || isoDay(d) !== s ? null : d;
}

export function addDays(day: string, n: number): string {
  return isoDay(new Date(parseDay(day)!.getTime() + n * DAY));
}

/**
 * The range named by a request's search params: a preset (`range=30d`), or `from`/`to` days.
 * Anything unreadable, reversed or longer than MAX_RANGE_DAYS falls back to the last 30 days,
 * so a hand-edited URL never breaks a report.
 */
export function resolveRange(params: { range?: string | null; from?: string | null; to?: string | null }, today: Date): DateRange {
  const end = isoDay(today);
  const preset = presets.find((p) => p.key === params.range);
  if (preset) return { from: addDays(end, -(preset.days - 1)), to: end, preset: preset.key };
  const from = params.from ? parseDay(params.from) : null;
  const to = params.to ? parseDay(params.to) : null;
  if (from && to && from <= to && (to.getTime() - from.getTime()) / DAY < MAX_RANGE_DAYS) {
    return { from: isoDay(from), to: isoDay(to), preset: null };
  }
  return { from: addDays(end, -29), to: end, preset: "30d" };
}

/** [start, end) instants of a range, for timestamp columns. */
export function rangeBounds(r: DateRange): { start: Date; end: Date } {
  return { start: parseDay(r.from)!, end: new Date(parseDay(r.to)!.getTime() + DAY) };
}

/** Every day of the range, in order. */
export function daysOf(r: DateRange): string[] {
  const out: string[] = [];
  for (let d = r.from; d <= r.to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The range as search params (for links and CSV exports). */
export function rangeParams(r: DateRange): Record<string, string> {
  return r.preset ? { range: r.preset } : { from: r.from, to: r.to };
}

/** Fills a sparse per-day series so charts show gaps as zeros instead of skipping days. */
export function fillDays<T extends { day: string }>(r: DateRange, rows: readonly T[], empty: (day: string) => T): T[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  return daysOf(r).map((day) => byDay.get(day) ?? empty(day));
}
