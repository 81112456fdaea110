import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileClock, VirtualClock, now, setClock } from "./clock";

afterEach(() => setClock(undefined));

describe("clock", () => {
  it("follows an installed virtual clock", () => {
    const c = new VirtualClock();
    setClock(c);
    const before = now().getTime();
    c.advance(3 * 86_400_000);
    expect(now().getTime() - before).toBeGreaterThanOrEqual(3 * 86_400_000);
    expect(() => c.advance(-1)).toThrow();
  });

  it("follows another process's clock through the file", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "clock-")), "clock.json");
    const writer = new VirtualClock({ file });
    const reader = new FileClock(file);
    expect(Math.abs(reader.nowMs() - Date.now())).toBeLessThan(1000);
    writer.advance(86_400_000);
    expect(reader.nowMs() - Date.now()).toBeGreaterThan(86_400_000 - 1000);
  });
});
