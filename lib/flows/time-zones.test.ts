import { describe, expect, it } from "vitest";
import { attributeInstant, isValidTimeZone, nextAnniversary, nextWindowStart, offsetAt, wallTime, zonedInstant } from "./time-zones";

const NY = "America/New_York";
const t = (iso: string) => Date.parse(iso);
const weekdaysWindow = { days: ["mon", "tue", "wed", "thu", "fri"] as const, from: "09:00", to: "17:00" };

describe("wall time and offsets", () => {
  it("reads the wall clock in a zone", () => {
    expect(wallTime(t("2026-03-06T14:30:00Z"), NY)).toMatchObject({ year: 2026, month: 3, day: 6, hour: 9, minute: 30, weekday: "fri" });
  });

  it("knows New York's offset on both sides of DST", () => {
    expect(offsetAt(t("2026-03-06T12:00:00Z"), NY)).toBe(-5 * 3_600_000);
    expect(offsetAt(t("2026-03-09T12:00:00Z"), NY)).toBe(-4 * 3_600_000);
  });

  it("moves a wall time skipped by spring-forward past the gap", () => {
    // 2026-03-08 02:30 does not exist in New York; 03:30 EDT is 07:30Z.
    expect(zonedInstant({ year: 2026, month: 3, day: 8 }, { hour: 2, minute: 30 }, NY)).toBe(t("2026-03-08T07:30:00Z"));
  });

  it("resolves a repeated wall time at fall-back to its first occurrence", () => {
    // 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    expect(zonedInstant({ year: 2026, month: 11, day: 1 }, { hour: 1, minute: 30 }, NY)).toBe(t("2026-11-01T05:30:00Z"));
  });

  it("validates zone names", () => {
    expect(isValidTimeZone("Europe/Oslo")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });
});

describe("nextWindowStart", () => {
  it("returns the instant itself inside the window", () => {
    const now = t("2026-03-04T15:00:00Z"); // Wed 10:00 EST
    expect(nextWindowStart(now, weekdaysWindow, NY)).toBe(now);
  });

  it("waits from Friday evening to Monday 09:00 across spring-forward", () => {
    // Fri 2026-03-06 18:00 EST; DST starts Sun 03-08; Monday 09:00 is EDT = 13:00Z, not 14:00Z.
    expect(nextWindowStart(t("2026-03-06T23:00:00Z"), weekdaysWindow, NY)).toBe(t("2026-03-09T13:00:00Z"));
  });

  it("waits across fall-back the other way", () => {
    // Fri 2026-10-30 18:00 EDT; DST ends Sun 11-01; Monday 09:00 EST = 14:00Z.
    expect(nextWindowStart(t("2026-10-30T22:00:00Z"), weekdaysWindow, NY)).toBe(t("2026-11-02T14:00:00Z"));
  });

  it("waits until later the same day before the window opens", () => {
    expect(nextWindowStart(t("2026-03-04T12:00:00Z"), weekdaysWindow, NY)).toBe(t("2026-03-04T14:00:00Z"));
  });

  it("treats the end of the window as outside", () => {
    // Wed 17:00 EST exactly → Thu 09:00.
    expect(nextWindowStart(t("2026-03-04T22:00:00Z"), weekdaysWindow, NY)).toBe(t("2026-03-05T14:00:00Z"));
  });

  it("handles windows that run past midnight", () => {
    const night = { days: ["fri"] as const, from: "22:00", to: "06:00" };
    // Saturday 03:00 UTC is inside Friday's night window.
    expect(nextWindowStart(t("2026-03-07T03:00:00Z"), night, "UTC")).toBe(t("2026-03-07T03:00:00Z"));
    // Saturday 07:00 is after it: next Friday 22:00.
    expect(nextWindowStart(t("2026-03-07T07:00:00Z"), night, "UTC")).toBe(t("2026-03-13T22:00:00Z"));
  });

  it("uses the zone's calendar day, not UTC's", () => {
    // Mon 2026-03-09 01:00Z is still Sunday evening in New York: next start is Monday 09:00 EDT.
    expect(nextWindowStart(t("2026-03-09T01:00:00Z"), weekdaysWindow, NY)).toBe(t("2026-03-09T13:00:00Z"));
    // The same instant in Tokyo is Monday 10:00: inside.
    expect(nextWindowStart(t("2026-03-09T01:00:00Z"), weekdaysWindow, "Asia/Tokyo")).toBe(t("2026-03-09T01:00:00Z"));
  });
});

describe("attributeInstant", () => {
  it("reads a date-only value as that day in the contact's zone", () => {
    expect(attributeInstant("2026-07-01", NY, "09:00")).toBe(t("2026-07-01T13:00:00Z"));
  });
  it("reads an ISO timestamp with offset as an instant", () => {
    expect(attributeInstant("2026-07-01T10:00:00+02:00", NY)).toBe(t("2026-07-01T08:00:00Z"));
  });
  it.each([null, 42, "soon", "2026-02-30", "2026-07-01T10:00:00"])("refuses %j", (value) => {
    expect(attributeInstant(value, NY)).toBeNull();
  });
});

describe("nextAnniversary", () => {
  it("finds this year's birthday at the local time, or next year's once it has passed", () => {
    expect(nextAnniversary("1990-05-12", t("2026-05-01T00:00:00Z"), 0, "09:00", NY)).toBe(t("2026-05-12T13:00:00Z"));
    expect(nextAnniversary("1990-05-12", t("2026-05-12T13:00:00Z"), 0, "09:00", NY)).toBe(t("2027-05-12T13:00:00Z"));
  });
  it("moves Feb 29 to Feb 28 in common years", () => {
    expect(nextAnniversary("2000-02-29", t("2026-01-01T00:00:00Z"), 0, "09:00", "UTC")).toBe(t("2026-02-28T09:00:00Z"));
    expect(nextAnniversary("2000-02-29", t("2027-03-01T00:00:00Z"), 0, "09:00", "UTC")).toBe(t("2028-02-29T09:00:00Z"));
  });
  it("applies a negative offset across the new year", () => {
    // A week before 2 January 2027 is 26 December 2026.
    expect(nextAnniversary("1985-01-02", t("2026-12-01T00:00:00Z"), -7, "10:00", "UTC")).toBe(t("2026-12-26T10:00:00Z"));
  });
  it("returns null without a date", () => {
    expect(nextAnniversary("someday", 0, 0, "09:00", "UTC")).toBeNull();
    expect(nextAnniversary(undefined, 0, 0, "09:00", "UTC")).toBeNull();
  });
});
