import { describe, expect, it } from "vitest";
import { z } from "zod";
import { uuidv7 } from "./ids";

/** The Unix milliseconds in a version-7 id: its first 48 bits. */
const uuidv7Time = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe("uuidv7", () => {
  it("is a valid version-7, variant-1 UUID carrying its millisecond", () => {
    const at = Date.UTC(2026, 10, 23, 23, 40, 1, 234);
    const id = uuidv7(at);
    expect(z.uuid({ version: "v7" }).safeParse(id).success).toBe(true);
    expect(id[14]).toBe("7");
    expect("89ab").toContain(id[19]);
    expect(uuidv7Time(id)).toBe(at);
  });

  it("sorts by time across milliseconds, as text and as Postgres orders uuids (bytewise)", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + i * 7));
    expect([...ids].sort()).toEqual(ids);
  });

  it("does not repeat, across many refills of its random pool", () => {
    const ids = new Set(Array.from({ length: 50_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(50_000);
  });

  it("holds the largest 48-bit time and the epoch", () => {
    expect(uuidv7Time(uuidv7(0))).toBe(0);
    expect(uuidv7Time(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });
});
