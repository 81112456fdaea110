import { describe, expect, it } from "vitest";
import { chiSquarePValue, chiSquareTest, formatPercent, normalCdf, rate, splitVerdict, twoProportionZTest } from "./stats";

describe("rates", () => {
  it("is null for an empty denominator, not zero", () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(3, 1000)).toBe(0.003);
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(0.00125, 2)).toBe("0.13 %");
  });
});

describe("distributions against table values", () => {
  it("normal CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalCdf(3)).toBeCloseTo(0.9986501, 6);
  });
  it("χ² survival function", () => {
    expect(chiSquarePValue(3.841459, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquarePValue(5.991465, 2)).toBeCloseTo(0.05, 6);
    expect(chiSquarePValue(11.345, 3)).toBeCloseTo(0.01, 4);
    expect(chiSquarePValue(0, 4)).toBe(1);
    // Large statistic: the continued fraction branch.
    expect(chiSquarePValue(40, 2)).toBeCloseTo(Math.exp(-20), 12);
  });
});

describe("A/B significance", () => {
  it("two-proportion z-test: 200/1000 vs 250/1000 (hand-computed z = 2.6774, p = 0.00742)", () => {
    const r = twoProportionZTest({ label: "A", trials: 1000, successes: 200 }, { label: "B", trials: 1000, successes: 250 })!;
    expect(r.z).toBeCloseTo(2.677398, 5);
    expect(r.pValue).toBeCloseTo(0.0074196, 6);
    expect(r.lift).toBeCloseTo(0.25, 10);
  });
  it("χ² with two arms equals z² and gives the same p-value", () => {
    const arms = [
      { label: "A", trials: 1000, successes: 200 },
      { label: "B", trials: 1000, successes: 250 },
    ];
    const c = chiSquareTest(arms)!;
    expect(c.df).toBe(1);
    expect(c.chiSquare).toBeCloseTo(2.677397763 ** 2, 6);
    expect(c.pValue).toBeCloseTo(0.0074196, 6);
  });
  it("χ² with three arms (100, 120, 150 of 1000 each: χ² = 11.7151, p = 0.002858)", () => {
    const c = chiSquareTest([
      { label: "A", trials: 1000, successes: 100 },
      { label: "B", trials: 1000, successes: 120 },
      { label: "C", trials: 1000, successes: 150 },
    ])!;
    expect(c.df).toBe(2);
    expect(c.chiSquare).toBeCloseTo(11.715137, 5);
    expect(c.pValue).toBeCloseTo(0.0028582, 6);
  });
  it("no verdict without variance or without two arms", () => {
    expect(chiSquareTest([{ label: "A", trials: 10, successes: 0 }, { label: "B", trials: 10, successes: 0 }])).toBeNull();
    expect(chiSquareTest([{ label: "A", trials: 10, successes: 3 }, { label: "B", trials: 0, successes: 0 }])).toBeNull();
    expect(twoProportionZTest({ label: "A", trials: 0, successes: 0 }, { label: "B", trials: 5, successes: 1 })).toBeNull();
  });
  it("names a leader only when significant", () => {
    const sig = splitVerdict([{ label: "A", trials: 1000, successes: 200 }, { label: "B", trials: 1000, successes: 250 }]);
    expect(sig.significant).toBe(true);
    expect(sig.leader).toBe("B");
    const not = splitVerdict([{ label: "A", trials: 100, successes: 20 }, { label: "B", trials: 100, successes: 22 }]);
    expect(not.significant).toBe(false);
    expect(not.leader).toBeNull();
    expect(not.arms.map((a) => a.rate)).toEqual([0.2, 0.22]);
  });
});
