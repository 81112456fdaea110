import { describe, expect, it } from "vitest";
import { commitStats } from "./stats";

describe("commitStats", () => {
  it("summarises the last window's commits: count, events, mean group and percentiles by bucket bound", () => {
    let t = 1_000_000;
    const s = commitStats(60, () => t);
    expect(s.summary()).toMatchObject({ commits: 0, events: 0, meanGroup: 0, commitP50Ms: null, commitP99Ms: null });
    for (let i = 0; i < 98; i++) s.record(10, 1.5);
    s.record(40, 40);
    s.record(50, 400);
    s.record(5, 3, false);
    expect(s.summary()).toEqual({
      windowSeconds: 60,
      commits: 100,
      events: 98 * 10 + 40 + 50,
      failedCommits: 1,
      meanGroup: 10.7,
      commitP50Ms: 2,
      commitP99Ms: 50,
    });
    t += 59_000;
    s.record(10, 8);
    expect(s.summary().commits).toBe(101);
    // A minute after the first commits they leave the window; a slot reused a minute later starts empty.
    t += 1_000;
    expect(s.summary()).toMatchObject({ commits: 1, events: 10, failedCommits: 0, commitP50Ms: 10, commitP99Ms: 10 });
    s.record(1, 20_000);
    expect(s.summary()).toMatchObject({ commits: 2, commitP99Ms: 5000 });
  });
});
