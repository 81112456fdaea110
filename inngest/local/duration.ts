/**
 * Durations as the SDK puts them on the wire: Go-style ("4w2d", "1h30m", "1s") from its timeStr,
 * and ms-style ("30s", "1 minute", "4h") where it passes user strings through verbatim
 * (throttle periods, timeouts). Returns milliseconds, or undefined when the text is not a duration.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
  y: 31_557_600_000,
  yr: 31_557_600_000,
  year: 31_557_600_000,
  years: 31_557_600_000,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s); // a bare number is ms, as the ms package reads it
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return undefined;
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
    while (s[pos] === " ") pos++;
  }
  return total;
}

/** A Sleep op's `name`: a duration, else an ISO date. Returns the due time in ms. */
export function sleepDueAt(name: string, nowMs: number): number | undefined {
  const d = parseDuration(name);
  if (d !== undefined) return nowMs + d;
  const t = Date.parse(name);
  return Number.isNaN(t) ? undefined : t;
}
