import { describe, expect, it } from "vitest";
import { pickSplitBranch, splitFraction, stableHash } from "./split";

const branches = [
  { id: "a", weight: 1 },
  { id: "b", weight: 3 },
];

describe("deterministic split", () => {
  it("pins the hash so other implementations can check themselves against it", () => {
    expect(stableHash("")).toBe(2_872_998_923);
    expect(stableHash("contact-1\u0000split-1")).toBe(842_995_113);
    expect(splitFraction("contact-1", "split-1")).toBeCloseTo(0.196275, 6);
    expect(stableHash("a")).not.toBe(stableHash("b"));
  });

  it("sends the same contact the same way every time", () => {
    const first = pickSplitBranch("contact-42", "split-1", branches).id;
    for (let i = 0; i < 5; i++) expect(pickSplitBranch("contact-42", "split-1", branches).id).toBe(first);
  });

  it("follows the weights across many contacts", () => {
    let b = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (pickSplitBranch(`c-${i}`, "split-1", branches).id === "b") b++;
    expect(b / n).toBeGreaterThan(0.73);
    expect(b / n).toBeLessThan(0.77);
  });

  it("rolls independently at different nodes", () => {
    let same = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      if ((splitFraction(`c-${i}`, "n1") < 0.5) === (splitFraction(`c-${i}`, "n2") < 0.5)) same++;
    }
    expect(same / n).toBeGreaterThan(0.47);
    expect(same / n).toBeLessThan(0.53);
  });

  it("stays in [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const f = splitFraction(`c${i}`, "n");
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });

  it("refuses a split with no weight", () => {
    expect(() => pickSplitBranch("c", "n", [])).toThrow();
    expect(() => pickSplitBranch("c", "n", [{ id: "a", weight: 0 }])).toThrow();
  });
});
