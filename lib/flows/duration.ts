/**
 * Human durations for the editor ("3 days", "2h", "90 minutes", "1 day 6 hours").
 * Configs store milliseconds so the plan and the runner never parse text; these two
 * functions are the only bridge between what marketers type and what is stored.
 */

export const MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;

type Unit = keyof typeof MS;

const UNIT_ALIASES: Record<string, Unit> = {
  s: "second",
  sec: "second",
  secs: "second",
  second: "second",
  seconds: "second",
  m: "minute",
  min: "minute",
  mins: "minute",
  minute: "minute",
  minutes: "minute",
  h: "hour",
  hr: "hour",
  hrs: "hour",
  hour: "hour",
  hours: "hour",
  d: "day",
  day: "day",
  days: "day",
  w: "week",
  wk: "week",
  wks: "week",
  week: "week",
  weeks: "week",
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/**
 * Returns milliseconds, or null when the text is not a duration we understand.
 * Months and years are refused on purpose: their length depends on the calendar, and a
 * "delay" that silently means 30 days surprises people in February.
 */
export function parseDuration(text: string): number | null {
  const input = text.trim().toLowerCase().replace(/,/g, " ").replace(/\band\b/g, " ");
  if (input === "") return null;
  let total = 0;
  let index = 0;
  let parts = 0;
  while (index < input.length) {
    while (input[index] === " ") index++;
    if (index >= input.length) break;
    PART.lastIndex = index;
    const match = PART.exec(input);
    if (!match) return null;
    const unit = UNIT_ALIASES[match[2] ?? ""];
    if (!unit) return null;
    total += Number(match[1]) * MS[unit];
    index = PART.lastIndex;
    parts++;
  }
  if (parts === 0) return null;
  const ms = Math.round(total);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

const FORMAT_UNITS: Unit[] = ["week", "day", "hour", "minute", "second"];

/**
 * The shortest exact spelling in whole units, largest first: 5400000 → "1 hour 30 minutes".
 * Weeks are only used when the whole duration is a number of weeks, because "1 week 3 days"
 * reads worse than "10 days".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 minutes";
  if (ms % MS.week === 0) return plural(ms / MS.week, "week");
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const unit of FORMAT_UNITS) {
    if (unit === "week") continue;
    const count = Math.floor(rest / MS[unit]);
    if (count > 0) {
      parts.push(plural(count, unit));
      rest -= count * MS[unit];
    }
  }
  if (rest > 0) parts.push(`${rest} ms`);
  return parts.join(" ");
}

function plural(count: number, unit: Unit): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
