import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, withRollback, type TestDatabase } from "@/e2e/fixtures/database";
import { clientOf, rows } from "./client";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.destroy();
});

describe("the database handle", () => {
  it("reads raw rows the same on the pool and inside a transaction", async () => {
    const q = sql`select n::int as n, 'x' || n as label from generate_series(1, 3) n order by n`;
    const expected = [
      { n: 1, label: "x1" },
      { n: 2, label: "x2" },
      { n: 3, label: "x3" },
    ];
    expect(await rows<{ n: number; label: string }>(t.db, q)).toEqual(expected);
    expect(await withRollback(t.db, (tx) => rows<{ n: number; label: string }>(tx, q))).toEqual(expected);
  });

  it("hands out the pool of a database, and refuses a transaction, which has none", async () => {
    expect(clientOf(t.db)).toBe(t.sql);
    await withRollback(t.db, async (tx) => {
      // @ts-expect-error a transaction is not a Db: only DbOrTx accepts one
      expect(() => clientOf(tx)).toThrow(/not a database opened by openDb/);
    });
  });
});
