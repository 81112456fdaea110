import { describe, expect, it } from "vitest";
import { formatDuration, MS, parseDuration } from "./duration";

describe("parseDuration", () => {
  it.each([
    ["3 days", 3 * MS.day],
    ["2h", 2 * MS.hour],
    ["90 minutes", 90 * MS.minute],
    ["1 day 6 hours", MS.day + 6 * MS.hour],
    ["1d, 2h and 30m", MS.day + 2 * MS.hour + 30 * MS.minute],
    ["1.5 hours", 90 * MS.minute],
    ["2 Weeks", 2 * MS.week],
    ["45s", 45 * MS.second],
    ["  10 min  ", 10 * MS.minute],
  ])("parses %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "3", "soon", "3 months", "1 year", "0 days", "-2 hours", "2 hours later", "h"])(
    "rejects %j",
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [3 * MS.day, "3 days"],
    [2 * MS.hour, "2 hours"],
    [90 * MS.minute, "1 hour 30 minutes"],
    [MS.minute, "1 minute"],
    [2 * MS.week, "2 weeks"],
    [10 * MS.day, "10 days"],
    [MS.day + 1500, "1 day 1 second 500 ms"],
    [0, "0 minutes"],
  ])("formats %d as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips what it formats", () => {
    for (const ms of [MS.minute, 90 * MS.minute, 3 * MS.day + 4 * MS.hour, 3 * MS.week, 45 * MS.second]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
