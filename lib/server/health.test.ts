import { describe, expect, it } from "vitest";
import { ingestReason } from "./health";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const base = { reachableDatabase: true, sameInstance: true as boolean | null, maxLagSeconds: 120 };
const forwarder = (f: Partial<{ on: boolean | null; lagSeconds: number | null; lastSuccessAt: string | null; lastErrorAt: string | null }>) => ({
  on: true,
  lagSeconds: null,
  lastSuccessAt: null,
  lastErrorAt: null,
  ...f,
});

describe("ingestReason", () => {
  it("is ok for a forwarder that keeps up, or that is off", () => {
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 3, lastSuccessAt: at(10) }) })).toBeUndefined();
    expect(ingestReason({ ...base, forwarder: forwarder({ on: false }) })).toBeUndefined();
    expect(ingestReason({ ...base, sameInstance: null, forwarder: forwarder({}) })).toBeUndefined();
  });

  it("says when the ingest's database is unreachable, or the ingest is another stack's", () => {
    expect(ingestReason({ ...base, reachableDatabase: false, forwarder: forwarder({}) })).toBe("its database is unreachable");
    expect(ingestReason({ ...base, sameInstance: false, forwarder: forwarder({}) })).toBe("another stack answered");
  });

  it("calls the forwarder failing only when its last error is newer than its last success and events wait", () => {
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 2, lastErrorAt: at(20), lastSuccessAt: at(10) }) })).toBe("forwarder failing");
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 2, lastErrorAt: at(20) }) })).toBe("forwarder failing");
    // Recovered since, or nothing waiting: not failing.
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 2, lastErrorAt: at(10), lastSuccessAt: at(20) }) })).toBeUndefined();
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: null, lastErrorAt: at(20), lastSuccessAt: at(10) }) })).toBeUndefined();
  });

  it("calls the forwarder lagging past the threshold, not at it", () => {
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 120, lastSuccessAt: at(10) }) })).toBeUndefined();
    expect(ingestReason({ ...base, forwarder: forwarder({ lagSeconds: 120.5, lastSuccessAt: at(10) }) })).toBe("forwarder lagging");
  });
});
