import { describe, expect, it } from "vitest";
import { daysOf, fillDays, rangeBounds, resolveRange } from "./date-range";

const today = new Date("2026-03-15T13:45:00Z");

describe("report date ranges", () => {
  it("presets end today and include it", () => {
    expect(resolveRange({ range: "7d" }, today)).toEqual({ from: "2026-03-09", to: "2026-03-15", preset: "7d" });
  });
  it("custom days, bounds as [from 00:00, to + 1 day)", () => {
    const r = resolveRange({ from: "2026-02-27", to: "2026-03-01" }, today);
    expect(r).toEqual({ from: "2026-02-27", to: "2026-03-01", preset: null });
    expect(daysOf(r)).toEqual(["2026-02-27", "2026-02-28", "2026-03-01"]);
    expect(rangeBounds(r).end.toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });
  it("falls back to 30 days on garbage, reversed or huge ranges", () => {
    const fallback = { from: "2026-02-14", to: "2026-03-15", preset: "30d" };
    expect(resolveRange({ from: "2026-02-30", to: "2026-03-01" }, today)).toEqual(fallback);
    expect(resolveRange({ from: "2026-03-02", to: "2026-03-01" }, today)).toEqual(fallback);
    expect(resolveRange({ from: "2020-01-01", to: "2026-03-01" }, today)).toEqual(fallback);
    expect(resolveRange({ range: "1y'; drop" }, today)).toEqual(fallback);
    // Year 0 is a day to JavaScript, not to Postgres.
    expect(resolveRange({ from: "0000-01-01", to: "0000-01-05" }, today)).toEqual(fallback);
    expect(resolveRange({ from: "9999-12-30", to: "9999-12-31" }, today)).toEqual(fallback);
  });
  it("fills missing days with empty rows", () => {
    const r = resolveRange({ from: "2026-03-01", to: "2026-03-03" }, today);
    expect(fillDays(r, [{ day: "2026-03-02", n: 4 }], (day) => ({ day, n: 0 }))).toEqual([
      { day: "2026-03-01", n: 0 },
      { day: "2026-03-02", n: 4 },
      { day: "2026-03-03", n: 0 },
    ]);
  });
});
