import { describe, expect, it } from "vitest";
import { parseDuration, sleepDueAt } from "./duration";

describe("parseDuration", () => {
  it("reads the SDK's Go-style strings", () => {
    expect(parseDuration("4w2d")).toBe(30 * 86_400_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("1s")).toBe(1000);
  });
  it("reads ms-style strings passed through verbatim", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1 minute")).toBe(60_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1500")).toBe(1500);
  });
  it("rejects what is not a duration", () => {
    expect(parseDuration("2030-01-07T09:00:00.000Z")).toBeUndefined();
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });
});

describe("sleepDueAt", () => {
  it("tells a duration from an ISO date", () => {
    expect(sleepDueAt("3d", 1000)).toBe(1000 + 3 * 86_400_000);
    expect(sleepDueAt("2030-01-07T09:00:00.000Z", 0)).toBe(Date.parse("2030-01-07T09:00:00.000Z"));
    expect(sleepDueAt("nonsense", 0)).toBeUndefined();
  });
});
