/**
 * Wall-clock arithmetic in IANA zones with nothing but Intl, so it runs in the editor (browser)
 * and in the runner alike. Every function takes and returns epoch milliseconds.
 */

export const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof weekdays)[number];

export type WallTime = {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === "") return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function wallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  const weekday = (parts.weekday ?? "").toLowerCase().slice(0, 3) as Weekday;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    // Some engines print midnight as "24" even with h23.
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday,
  };
}

/** The zone's UTC offset at an instant, in ms (New York in winter: -5 h). */
export function offsetAt(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  const wholeSeconds = Math.floor(instant / 1000) * 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - wholeSeconds;
}

/**
 * The instant a wall-clock time happens in a zone. A time skipped by a DST jump (02:30 on a
 * spring-forward night) moves forward by the jump, as a person's alarm clock would; a time that
 * happens twice (fall back) resolves to the first occurrence.
 */
export function zonedInstant(
  date: { year: number; month: number; day: number },
  time: { hour: number; minute: number },
  timeZone: string,
): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
  // A zone changes offset at most once within a day, so the offsets 12 h either side cover both.
  const candidates = [...new Set([wall - offsetAt(wall - 43_200_000, timeZone), wall - offsetAt(wall + 43_200_000, timeZone)])];
  const exact = candidates.filter((c) => c - wall + offsetAt(c, timeZone) === 0);
  if (exact.length > 0) return Math.min(...exact);
  return Math.max(...candidates);
}

/** "09:30" → { hour: 9, minute: 30 }. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) return null;
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export type Window = { days: readonly Weekday[]; from: string; to: string };

/**
 * The first instant at or after `instant` that lies inside the weekly window, in the zone.
 * `to` at or before `from` means the window runs past midnight into the next day
 * (22:00–06:00 on Friday covers Friday night into Saturday morning).
 */
export function nextWindowStart(instant: number, window: Window, timeZone: string): number {
  const from = parseTimeOfDay(window.from);
  const to = parseTimeOfDay(window.to);
  if (!from || !to || window.days.length === 0) throw new Error("invalid window");
  const fromMin = from.hour * 60 + from.minute;
  const toMin = to.hour * 60 + to.minute;
  const now = wallTime(instant, timeZone);
  const nowMin = now.hour * 60 + now.minute + now.second / 60;
  const allowed = (d: Weekday) => window.days.includes(d);
  const dayIndex = weekdays.indexOf(now.weekday);

  if (fromMin < toMin) {
    if (allowed(now.weekday) && nowMin >= fromMin && nowMin < toMin) return instant;
  } else {
    const yesterday = weekdays[(dayIndex + 6) % 7] as Weekday;
    if (allowed(now.weekday) && nowMin >= fromMin) return instant;
    if (allowed(yesterday) && nowMin < toMin) return instant;
  }

  for (let i = 0; i <= 7; i++) {
    const d = new Date(Date.UTC(now.year, now.month - 1, now.day + i));
    const weekday = weekdays[d.getUTCDay()] as Weekday;
    if (!allowed(weekday)) continue;
    const start = zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, from, timeZone);
    if (start > instant) return start;
  }
  // Unreachable with at least one allowed day: a week always contains it.
  throw new Error("no window start within a week");
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Reads an attribute as an instant. Date-only values ("1990-05-12", birthdays, renewal dates)
 * mean that calendar day in the contact's zone, at `time`; full ISO timestamps are instants.
 */
export function attributeInstant(value: unknown, timeZone: string, time = "00:00"): number | null {
  if (typeof value !== "string") return null;
  const dateOnly = DATE_ONLY.exec(value.trim());
  if (dateOnly) {
    const tod = parseTimeOfDay(time) ?? { hour: 0, minute: 0 };
    const date = { year: Number(dateOnly[1]), month: Number(dateOnly[2]), day: Number(dateOnly[3]) };
    const check = new Date(Date.UTC(date.year, date.month - 1, date.day));
    if (check.getUTCMonth() !== date.month - 1 || check.getUTCDate() !== date.day) return null;
    return zonedInstant(date, tod, timeZone);
  }
  // Only timestamps with an explicit offset: "2026-03-01T10:00" alone would depend on the runner's zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

/**
 * The next yearly enrol instant for a date-anniversary trigger, strictly after `after`: the
 * attribute's month and day (Feb 29 falls on Feb 28 in common years), shifted by `offsetDays`,
 * at `time` in the contact's zone. For the cron that enrols birthdays; null when the attribute
 * holds no date.
 */
export function nextAnniversary(value: unknown, after: number, offsetDays: number, time: string, timeZone: string): number | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value.trim());
  const tod = parseTimeOfDay(time);
  if (!m || !tod) return null;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const check = new Date(Date.UTC(Number(m[1]), month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  const thisYear = wallTime(after, timeZone).year;
  // Start a year back: a negative offset can move next January's anniversary into this December.
  for (let year = thisYear - 1; year <= thisYear + 2; year++) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const d = new Date(Date.UTC(year, month - 1, month === 2 && day === 29 && !leap ? 28 : day));
    d.setUTCDate(d.getUTCDate() + offsetDays);
    const at = zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, tod, timeZone);
    if (at > after) return at;
  }
  return null;
}
