import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../e2e/fixtures/ports";
import { openDb, type DbHandle } from "./client";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded";

let server: EmbeddedServer;
let pools: DbHandle[];
beforeAll(async () => {
  server = await startEmbeddedPostgres({ port: await freePort() });
  pools = [openDb(server.url, { embedded: true, max: 4 }), openDb(server.url, { embedded: true, max: 4 })];
});
afterAll(async () => {
  for (const p of pools) await p.close();
  await server.stop();
});

it("answers concurrent parameterised queries from many connections correctly", async () => {
  // Statements with different parameter counts, interleaved across 8 connections in two pools.
  const jobs = Array.from({ length: 200 }, (_, i) => {
    const sql = pools[i % 2]!.sql;
    return i % 3 === 0
      ? sql<{ v: number }[]>`select ${i}::int as v`.then((r) => r[0]!.v)
      : i % 3 === 1
        ? sql<{ v: number }[]>`select ${i}::int + ${0}::int as v`.then((r) => r[0]!.v)
        : sql<{ v: number }[]>`select ${i}::int + ${0}::int + ${0}::int as v`.then((r) => r[0]!.v);
  });
  const values = await Promise.all(jobs);
  expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i));
});

it("keeps a transaction's statements together while other connections query", async () => {
  const [a, b] = pools as [DbHandle, DbHandle];
  await a.sql`create table if not exists t_embedded (n int)`;
  const tx = a.sql.begin(async (t) => {
    await t`insert into t_embedded values (${1})`;
    await t`insert into t_embedded values (${2})`;
    return t<{ n: number }[]>`select count(*)::int as n from t_embedded`;
  });
  const others = Promise.all(Array.from({ length: 20 }, (_, i) => b.sql`select ${i}::int as v`));
  const [[inside]] = await Promise.all([tx, others]);
  expect(inside!.n).toBe(2);
});
