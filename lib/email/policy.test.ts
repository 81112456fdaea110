import { describe, expect, it } from "vitest";
import { nextAllowedSlot, parseSendingPolicy } from "./policy";

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe("nextAllowedSlot", () => {
  it("lets mail through with no policy or under the cap", () => {
    expect(nextAllowedSlot({}, { now: at("2026-03-02T12:00:00Z"), timeZone: "UTC", recentSends: [] })).toBeNull();
    const p = { frequencyCap: { max: 2, windowHours: 24 } };
    expect(nextAllowedSlot(p, { now: at("2026-03-02T12:00:00Z"), timeZone: "UTC", recentSends: [at("2026-03-02T11:00:00Z")] })).toBeNull();
  });

  it("defers a capped message until the oldest counted send leaves the window", () => {
    const p = { frequencyCap: { max: 2, windowHours: 24 } };
    const sends = [at("2026-03-02T08:00:00Z"), at("2026-03-02T10:00:00Z"), at("2026-03-01T09:00:00Z")];
    const slot = nextAllowedSlot(p, { now: at("2026-03-02T12:00:00Z"), timeZone: "UTC", recentSends: sends });
    // Sends older than the window (2026-03-01T09:00) do not count; 08:00 + 24 h frees a place.
    expect(slot).toBe(at("2026-03-03T08:00:00Z") + 1);
  });

  it("moves a send out of quiet hours in the contact's zone, across midnight", () => {
    const p = { quietHours: { start: "21:00", end: "08:00" } };
    // 22:30 in Oslo (UTC+1 in March) → 08:00 Oslo the next morning = 07:00 UTC.
    expect(nextAllowedSlot(p, { now: at("2026-03-02T21:30:00Z"), timeZone: "Europe/Oslo", recentSends: [] })).toBe(at("2026-03-03T07:00:00Z"));
    // 03:00 in New York → 08:00 the same morning.
    expect(nextAllowedSlot(p, { now: at("2026-03-02T08:00:00Z"), timeZone: "America/New_York", recentSends: [] })).toBe(at("2026-03-02T13:00:00Z"));
    expect(nextAllowedSlot(p, { now: at("2026-03-02T12:00:00Z"), timeZone: "Europe/Oslo", recentSends: [] })).toBeNull();
  });

  it("applies both: a cap slot that lands in quiet hours waits for the morning", () => {
    const p = { frequencyCap: { max: 1, windowHours: 12 }, quietHours: { start: "22:00", end: "07:00" } };
    const slot = nextAllowedSlot(p, { now: at("2026-03-02T12:00:00Z"), timeZone: "UTC", recentSends: [at("2026-03-02T11:00:00Z")] });
    expect(slot).toBe(at("2026-03-03T07:00:00Z"));
    expect(slot! - at("2026-03-02T11:00:00Z")).toBeGreaterThan(12 * H);
  });
});

describe("parseSendingPolicy", () => {
  it("treats a malformed stored policy as none and fills tracking and pace defaults", () => {
    expect(parseSendingPolicy({ frequencyCap: { max: "lots" } })).toEqual({
      tracking: { opens: true, clicks: true, utm: true, utmSource: "tillit", utmMedium: "email" },
      pace: { requestsPerSecond: 2 },
    });
    expect(parseSendingPolicy({ pace: { requestsPerSecond: 10 } }).pace).toEqual({ requestsPerSecond: 10 });
    expect(parseSendingPolicy({ pace: { requestsPerSecond: 5000 } }).pace).toEqual({ requestsPerSecond: 2 });
    expect(parseSendingPolicy({ quietHours: { start: "21:00", end: "08:00" } }).quietHours).toEqual({ start: "21:00", end: "08:00" });
  });
});
