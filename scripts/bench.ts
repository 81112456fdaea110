import { randomBytes } from "node:crypto";
import { openDb } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded";
import { freePort } from "../e2e/fixtures/ports";
import { benchIngest } from "../ingest/bench";
import { benchFanout } from "../inngest/functions/fanout-bench";
import { benchBroadcast } from "../inngest/functions/broadcast-bench";
import { migrateDatabase } from "./stack";
import { benchReports } from "./bench-reports";
import { benchRunner, benchSoak } from "../inngest/local/bench";
import { benchEmail } from "../lib/server/email/bench";
import { benchImport, benchSegments } from "./bench-segments";
import { envOrExit } from "../lib/env";
import { benchEditor } from "./bench-editor";
import { benchRepermission } from "./bench-repermission";

/**
 * `npm run bench [name…] [--runs=N] [--reps=N] [--minutes=N] [--app=inline|process] [--scale=P] [--rows=N] [--contacts=N] [--recipients=N] [--generator=node|wrk]`: the benchmarks (runner; soak, 10 min by default), each printing one
 * `BENCH <name> value=… unit=… baseline=… ratio=… target=…` line with a baseline measured in the
 * same run. On the Postgres at DATABASE_URL (a scratch database, dropped after) or embedded PGlite.
 */

const e = envOrExit();
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const v = args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`tillit: --${name} must be a positive whole number`);
    process.exit(1);
  }
  return n;
};
const choice = <T extends string>(name: string, options: readonly T[], fallback: T): T => {
  const v = args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
  if (!(options as readonly string[]).includes(v)) {
    console.error(`tillit: --${name} must be one of ${options.join(", ")}`);
    process.exit(1);
  }
  return v as T;
};
// runner, soak: the app serving the benchmark function inline (in the executor's process) or in a
// process of its own, as under npm run dev.
const app = () => choice("app", ["inline", "process"] as const, "inline");
const benches = {
  runner: (db: { url: string; embedded: boolean }) =>
    benchRunner(db, { runs: flag("runs", 10_000), reps: flag("reps", 3), workers: 8, app: app() }),
  soak: (db: { url: string; embedded: boolean }) => benchSoak(db, { minutes: flag("minutes", 10), workers: 8, app: app() }),
  ingest: (db: { url: string; embedded: boolean }) => benchIngest(db, { seconds: flag("seconds", 5), reps: flag("reps", 5), generator: choice("generator", ["node", "wrk"] as const, "node") }),
  fanout: async (db: { url: string; embedded: boolean }) => {
    await migrateDatabase(db.url, db.embedded);
    await benchFanout(db, { contacts: flag("contacts", 100_000), reps: flag("reps", 3), workers: 8 });
  },
  email: () => benchEmail({ messages: flag("messages", 20_000), reps: flag("reps", 3), inFlight: 4 }),
  // Its own persistent database (seeded once per --scale), not the scratch one.
  reports: () => benchReports({ adminUrl: e.embeddedDatabase ? null : e.databaseUrl, scale: flag("scale", 10_000_000), reps: flag("reps", 5) }),
  editor: (db: { url: string; embedded: boolean }) => benchEditor(db, { reps: flag("reps", 5), moves: flag("moves", 120) }),
  // --scale=P: P percent of 1M contacts / 10M events (100 = the full size), seeded once per size and kept.
  segments: (db: { url: string; embedded: boolean }) => benchSegments(db, { scale: flag("scale", 100) / 100, reps: flag("reps", 5) }),
  import: (db: { url: string; embedded: boolean }) => benchImport(db, { rows: flag("rows", 100_000), reps: flag("reps", 3) }),
  // 20k by default (a minute or two); the recorded figure is --contacts=100000.
  repermission: (db: { url: string; embedded: boolean }) => benchRepermission(db, { contacts: flag("contacts", 20_000), reps: flag("reps", 3) }),
  // 100k recipients by default, the recorded figure (a minute or so, seeding included).
  broadcast: async (db: { url: string; embedded: boolean }) => {
    await migrateDatabase(db.url, db.embedded);
    await benchBroadcast(db, { recipients: flag("recipients", 100_000) });
  },
} as const;
type Name = keyof typeof benches;

const named = args.filter((a) => !a.startsWith("--"));
const unknown = named.filter((n) => !(n in benches));
if (unknown.length) {
  console.error(`tillit: no benchmark named ${unknown.join(", ")} (have: ${Object.keys(benches).join(", ")})`);
  process.exit(1);
}
const selected = (named.length ? named : Object.keys(benches)) as Name[];

let cleanup: () => Promise<void>;
let db: { url: string; embedded: boolean };
if (e.embeddedDatabase) {
  const server = await startEmbeddedPostgres({ port: await freePort() });
  db = { url: server.url, embedded: true };
  cleanup = () => server.stop();
} else {
  const name = `tillit_bench_${randomBytes(4).toString("hex")}`;
  const admin = openDb(e.databaseUrl, { max: 1 });
  await admin.sql.unsafe(`create database ${name}`);
  const u = new URL(e.databaseUrl);
  u.pathname = `/${name}`;
  db = { url: u.toString(), embedded: false };
  cleanup = async () => {
    await admin.sql.unsafe(`drop database if exists ${name} with (force)`);
    await admin.close();
  };
}
console.log(`bench: on ${db.embedded ? "embedded PGlite" : `Postgres at ${new URL(e.databaseUrl).host}`}`);
try {
  for (const name of selected) await benches[name](db);
} finally {
  await cleanup();
}
