import { describe, expect, it } from "vitest";
import { linkCount, linkStepId, sleepLinks } from "./sleep-chain";

const DAY = 86_400_000;

describe("sleep chains", () => {
  it("a 366-day wait in 7-day links is 53 sleeps, each at most 7 days, the last ending at the wait's end", () => {
    const from = Date.UTC(2026, 0, 1, 9, 30, 0, 123);
    const until = from + 366 * DAY;
    const ends = sleepLinks(from, until, 7 * DAY);
    expect(ends).toHaveLength(53);
    expect(linkCount(366 * DAY, 7 * DAY)).toBe(53);
    expect(ends.at(-1)).toBe(until);
    let prev = from;
    for (const e of ends) {
      expect(e - prev).toBeGreaterThan(0);
      expect(e - prev).toBeLessThanOrEqual(7 * DAY);
      prev = e;
    }
  });

  it("a wait of at most one link is one sleep; a wait already over is one sleep to its end", () => {
    expect(sleepLinks(0, 7 * DAY, 7 * DAY)).toEqual([7 * DAY]);
    expect(sleepLinks(0, 3 * DAY, 7 * DAY)).toEqual([3 * DAY]);
    expect(sleepLinks(10 * DAY, 2 * DAY, 7 * DAY)).toEqual([2 * DAY]);
    expect(sleepLinks(0, 7 * DAY + 1, 7 * DAY)).toEqual([7 * DAY, 7 * DAY + 1]);
    expect(linkCount(0, 7 * DAY)).toBe(1);
  });

  it("the last link keeps the wait's own step id; the others are numbered", () => {
    expect([1, 2, 3].map((k) => linkStepId("n#1:delay", k, 3))).toEqual(["n#1:delay@1", "n#1:delay@2", "n#1:delay"]);
  });
});
