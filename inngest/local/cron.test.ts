import { describe, expect, it } from "vitest";
import { nextCronTime, parseCron } from "./cron";

const at = (iso: string) => Date.parse(iso);

describe("cron", () => {
  it("finds the next daily run", () => {
    const c = parseCron("0 9 * * *");
    expect(new Date(nextCronTime(c, at("2030-01-01T08:59:00Z"))).toISOString()).toBe("2030-01-01T09:00:00.000Z");
    expect(new Date(nextCronTime(c, at("2030-01-01T09:00:00Z"))).toISOString()).toBe("2030-01-02T09:00:00.000Z");
  });
  it("handles steps, ranges, names and macros", () => {
    expect(new Date(nextCronTime(parseCron("*/15 * * * *"), at("2030-01-01T10:07:00Z"))).toISOString()).toBe("2030-01-01T10:15:00.000Z");
    expect(new Date(nextCronTime(parseCron("0 0 * * mon"), at("2030-01-01T00:00:00Z"))).toISOString()).toBe("2030-01-07T00:00:00.000Z");
    expect(new Date(nextCronTime(parseCron("@monthly"), at("2030-01-15T00:00:00Z"))).toISOString()).toBe("2030-02-01T00:00:00.000Z");
    expect(new Date(nextCronTime(parseCron("TZ=UTC 30 8 1-2 * *"), at("2030-01-02T09:00:00Z"))).toISOString()).toBe("2030-02-01T08:30:00.000Z");
  });
  it("refuses what it cannot honour", () => {
    expect(() => parseCron("TZ=Europe/Paris 0 9 * * *")).toThrow(/Europe\/Paris/);
    expect(() => parseCron("0 9 * *")).toThrow(/5 fields/);
    expect(() => parseCron("61 * * * *")).toThrow(/out of range/);
  });
});
