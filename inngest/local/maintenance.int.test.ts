import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, type TestApp } from "./test-app";

/**
 * Housekeeping: pruning deletes finished work and vacuums what it emptied, so the queue tables
 * are reclaimed even where autovacuum is off (as on CI's Postgres).
 */

let db: TestDatabase;
let ex: LocalExecutor;
let app: TestApp;

beforeAll(async () => {
  db = await freshDatabase();
  ex = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, workers: 4, log: () => {} });
  app = await startTestApp("maint", ex, (inngest) => [
    inngest.createFunction({ id: "two", triggers: [{ event: "maint/go" }] }, async ({ step }) => {
      const a = await step.run("a", () => 1);
      return step.run("b", () => a + 1);
    }),
  ]);
  await ex.sync(app.serveUrl);
});

afterAll(async () => {
  await app?.close();
  await ex?.stop();
  await db?.destroy();
});

it("prune drops finished runs, their memo and events, and vacuums the tables it emptied", async () => {
  await app.inngest.send(Array.from({ length: 5 }, (_, i) => ({ name: "maint/go", data: { i } })));
  await ex.idle();
  const count = async (table: string) => (await db.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from inngest_local.${table}`))[0]!.n;
  expect(await count("runs")).toBe(5);
  expect(await count("memo")).toBe(10);

  const [stamp] = await db.sql<{ before: string }[]>`select clock_timestamp()::text as before`;
  const before = stamp!.before;
  await ex.engine.prune(0);
  for (const table of ["runs", "memo", "events", "jobs"]) expect(await count(table)).toBe(0);
  const vacuumed = await db.sql<{ relname: string; fresh: boolean }[]>`
    select relname, coalesce(last_vacuum >= ${before}::timestamptz, false) as fresh from pg_stat_user_tables
    where schemaname = 'inngest_local' and relname in ('runs', 'memo', 'events', 'jobs', 'dedupe') order by relname`;
  expect(vacuumed).toEqual(["dedupe", "events", "jobs", "memo", "runs"].map((relname) => ({ relname, fresh: true })));
});
