import { sql } from "drizzle-orm";
import { openDb, rows, type Db } from "../db/client";
import { subscriberGrowth } from "../db/queries/analytics";
import { flowFunnel, flowSeries, flowTotals, splitArms, topFlows } from "../db/queries/flow-reports";
import { formFunnel } from "../db/queries/forms";
import { flowMail, listHealth, messageReport } from "../db/queries/mail-stats";

/**
 * `npm run bench reports [--scale=N] [--reps=N]`: every report query over a workspace with N
 * email events (10M by default) and proportional contacts, messages, enrollments and trace rows,
 * against a raw baseline in the same run: a plain count(*) of the same events over the same range.
 * Target: each query < 500 ms. The data lives in its own database (tillit_bench_reports), seeded
 * once with INSERT … SELECT generate_series and reused while the scale is unchanged.
 */

const TARGET_MS = 500;
const FLOWS = 5;
const DAYS = 365;

type Scale = { events: number; contacts: number; messages: number; enrollments: number };
const scaleOf = (events: number): Scale => ({
  events,
  contacts: Math.max(10, Math.floor(events / 10)),
  messages: Math.max(10, Math.floor(events / 5)),
  enrollments: Math.max(10, Math.floor(events / 20)),
});

const WS = "00000000-0000-4000-8000-00000000b0b0";
const flowUuid = (i: number) => `00000000-0000-4000-8000-0000000f00${String(i).padStart(2, "0")}`;

async function seed(db: Db, s: Scale, log: (line: string) => void) {
  const t0 = performance.now();
  const step = async (what: string, ...qs: ReturnType<typeof sql>[]) => {
    const t = performance.now();
    for (const q of qs) await db.execute(q);
    log(`bench reports: seeded ${what} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  // Bulk load with triggers and FK checks off; the rollups are rebuilt once at the end.
  await db.execute(sql`set session_replication_role = replica`);
  await step(
    "workspace, flows, forms",
    sql`
    insert into workspaces (id, name, slug, from_name, from_email, postal_address, time_zone)
      values (${WS}::uuid, 'Bench', 'bench-reports', 'Bench', 'news@bench.example', '1 Bench Road', 'UTC')`,
    sql`insert into flows (id, workspace_id, name, status)
      select ('00000000-0000-4000-8000-0000000f00' || lpad(i::text, 2, '0'))::uuid, ${WS}::uuid, 'Flow ' || i, 'live' from generate_series(0, ${FLOWS - 1}) i`,
    sql`insert into flow_versions (id, workspace_id, flow_id, number, hash, plan, graph)
      select ('00000000-0000-4000-8000-0000000e00' || lpad(i::text, 2, '0'))::uuid, ${WS}::uuid,
             ('00000000-0000-4000-8000-0000000f00' || lpad(i::text, 2, '0'))::uuid, 1, 'h', '{}', '{}' from generate_series(0, ${FLOWS - 1}) i`,
    sql`insert into forms (id, workspace_id, name, slug, status)
      select md5('form' || i)::uuid, ${WS}::uuid, 'Form ' || i, 'bench-form-' || i, 'live' from generate_series(0, 4) i`,
  );
  await step(
    `${s.contacts} contacts`,
    sql`insert into contacts (id, workspace_id, email, status, created_at)
        select md5('c' || n)::uuid, ${WS}::uuid, 'c' || n || '@bench.example',
               (case when n % 10 < 7 then 'subscribed' when n % 10 < 9 then 'unconfirmed' else 'unsubscribed' end)::contact_status,
               now() - ((n % ${DAYS}) || ' days')::interval - ((n % 86400) || ' seconds')::interval
        from generate_series(0, ${s.contacts - 1}) n`,
  );
  await step(
    "consent events",
    sql`insert into consent_events (workspace_id, contact_id, kind, source, form_id, occurred_at)
        select ${WS}::uuid, md5('c' || n)::uuid, 'opt_in', 'hosted_form', md5('form' || (n % 5))::uuid,
               now() - ((n % ${DAYS}) || ' days')::interval - ((n % 86400) || ' seconds')::interval
        from generate_series(0, ${s.contacts - 1}) n`,
        sql`insert into consent_events (workspace_id, contact_id, kind, source, occurred_at)
        select ${WS}::uuid, md5('c' || n)::uuid, 'confirmed', 'hosted_form',
               now() - ((n % ${DAYS}) || ' days')::interval - ((n % 86400) || ' seconds')::interval + interval '5 minutes'
        from generate_series(0, ${s.contacts - 1}) n where n % 10 < 7`,
        sql`insert into form_views (workspace_id, form_id, day, views)
        select ${WS}::uuid, md5('form' || f)::uuid, (now() - (d || ' days')::interval)::date, 100 + (d * 7 + f) % 50
        from generate_series(0, 4) f, generate_series(0, ${DAYS - 1}) d`,
  );
  await step(
    `${s.enrollments} enrollments and ${s.enrollments * 3} trace rows`,
    sql`insert into enrollments (id, workspace_id, flow_id, flow_version_id, contact_id, status, entered_at)
        select md5('e' || n)::uuid, ${WS}::uuid, ('00000000-0000-4000-8000-0000000f00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid,
               ('00000000-0000-4000-8000-0000000e00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid, md5('c' || (n % ${s.contacts}))::uuid,
               'completed', now() - ((n % ${DAYS}) || ' days')::interval
        from generate_series(0, ${s.enrollments - 1}) n`,
        sql`insert into enrollment_steps (workspace_id, flow_id, flow_version_id, enrollment_id, contact_id, step_id, node_id, visit, kind, outcome, exit, at)
        select ${WS}::uuid, ('00000000-0000-4000-8000-0000000f00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid,
               ('00000000-0000-4000-8000-0000000e00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid, md5('e' || n)::uuid,
               md5('c' || (n % ${s.contacts}))::uuid, node || '#1:x', node, 1, 'x', 'done',
               case when node = 'sp' then (case when n % 2 = 0 then 'split:a' else 'split:b' end) else 'next' end,
               now() - ((n % ${DAYS}) || ' days')::interval
        from generate_series(0, ${s.enrollments - 1}) n, unnest(array['t', 'sp', 's' || (n % 2)]) node`,
  );
  await step(
    `${s.messages} messages`,
    sql`insert into messages (id, workspace_id, contact_id, flow_id, enrollment_id, node_id, class, to_email, subject, status, sent_at, created_at)
        select md5('m' || n)::uuid, ${WS}::uuid, md5('c' || ((n % ${s.enrollments}) % ${s.contacts}))::uuid,
               ('00000000-0000-4000-8000-0000000f00' || lpad(((n % ${s.enrollments}) % ${FLOWS})::text, 2, '0'))::uuid,
               md5('e' || (n % ${s.enrollments}))::uuid, 's' || ((n % ${s.enrollments}) % 2), 'marketing', 'x@bench.example', 'Hi', 'sent',
               now() - (((n % ${s.enrollments}) % ${DAYS}) || ' days')::interval, now()
        from generate_series(0, ${s.messages - 1}) n`,
  );
  // Secondary indexes are built once after the load (a sorted build) instead of row by row.
  const defs = await rows<{ indexname: string; indexdef: string }>(
    db,
    sql`select indexname, indexdef from pg_indexes where tablename = 'email_events' and indexname <> 'email_events_pkey'`,
  );
  for (const d of defs) await db.execute(sql.raw(`drop index ${d.indexname}`));
  await step(
    `${s.events} email events`,
    sql`insert into email_events (workspace_id, message_id, type, url, machine, dedupe_key, occurred_at)
        select ${WS}::uuid, md5('m' || (g % ${s.messages}))::uuid, t.type::email_event_type,
               case when t.type = 'clicked' then 'https://shop.example/p/' || (g % 40) end, g % 7 = 0, 'k' || g,
               now() - ((((g % ${s.messages}) % ${s.enrollments}) % ${DAYS}) || ' days')::interval + ((g % 3600) || ' seconds')::interval
        from generate_series(0, ${s.events - 1}) g,
             lateral (select (array['delivered','delivered','delivered','delivered','opened','opened','opened','opened','opened','clicked',
                                    'clicked','clicked','opened','delivered','bounced','unsubscribed','opened','clicked','delivery_delayed','complained'])[(g % 20) + 1] as type) t`,
  );
  await step("email event indexes", ...defs.map((d) => sql.raw(d.indexdef)));
  await step(
    `${Math.floor(s.enrollments / 20)} conversions`,
    sql`insert into conversions (workspace_id, flow_id, flow_version_id, enrollment_id, contact_id, node_id, goal_name, message_id, attributed_via, revenue, occurred_at,
                                 message_node_id, split_path)
        select ${WS}::uuid, ('00000000-0000-4000-8000-0000000f00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid,
               ('00000000-0000-4000-8000-0000000e00' || lpad((n % ${FLOWS})::text, 2, '0'))::uuid, md5('e' || n)::uuid,
               md5('c' || (n % ${s.contacts}))::uuid, 'g', 'Ordered', md5('m' || n)::uuid, 'click', 10 + n % 90,
               now() - ((n % ${DAYS}) || ' days')::interval + interval '2 hours',
               (select m.node_id from messages m where m.id = md5('m' || n)::uuid), conversion_split_path(md5('e' || n)::uuid, ${WS}::uuid)
        from generate_series(0, ${s.enrollments - 1}, 20) n`,
  );
  await db.execute(sql`set session_replication_role = origin`);
  await step("rollups (analytics_rebuild)", sql`select analytics_rebuild(${WS}::uuid)`);
  await step("vacuum analyze", sql`vacuum analyze`);
  await db.execute(sql`create table bench_meta (events bigint not null)`);
  await db.execute(sql`insert into bench_meta values (${s.events})`);
  log(`bench reports: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export async function benchReports(opts: { adminUrl: string | null; scale: number; reps: number; log?: (line: string) => void }) {
  const log = opts.log ?? console.log;
  if (!opts.adminUrl) {
    log("bench reports: needs DATABASE_URL (a Postgres server): 10M events do not belong in embedded PGlite");
    return;
  }
  const name = "tillit_bench_reports";
  const admin = openDb(opts.adminUrl, { max: 1 });
  const u = new URL(opts.adminUrl);
  u.pathname = `/${name}`;
  try {
    const exists = (await admin.sql`select 1 from pg_database where datname = ${name}`).length > 0;
    let seeded = false;
    if (exists) {
      const h = openDb(u.toString(), { max: 1 });
      const meta = await h.sql<{ events: string }[]>`select events from bench_meta`.catch(() => []);
      seeded = meta.length === 1 && Number(meta[0]!.events) === opts.scale;
      await h.close();
      if (!seeded) await admin.sql.unsafe(`drop database ${name} with (force)`);
    }
    if (!seeded) {
      await admin.sql.unsafe(`create database ${name}`);
      const { migrateDatabase } = await import("./stack");
      await migrateDatabase(u.toString(), false);
      const h = openDb(u.toString(), { max: 1 });
      try {
        await seed(h.db, scaleOf(opts.scale), log);
      } finally {
        await h.close();
      }
    } else {
      log(`bench reports: reusing ${name} (${opts.scale} events)`);
      const { migrateDatabase } = await import("./stack");
      await migrateDatabase(u.toString(), false);
    }
  } finally {
    await admin.close();
  }

  const h = openDb(u.toString(), { max: 1 });
  try {
    const db = h.db;
    const to = (await rows<{ to: string }>(db, sql`select current_date::text as to`))[0]!.to;
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const q = { workspaceId: WS, from, to };
    const f = { ...q, flowId: flowUuid(0) };
    const queries: [string, () => Promise<unknown>][] = [
      ["subscriberGrowth", () => subscriberGrowth(db, q)],
      ["listHealth", () => listHealth(db, q)],
      ["topFlows", () => topFlows(db, q)],
      ["formFunnel", () => formFunnel(db, q)],
      ["flowTotals", () => flowTotals(db, f)],
      ["flowSeries", () => flowSeries(db, f)],
      ["flowFunnel", () => flowFunnel(db, f)],
      ["flowMail", () => flowMail(db, f)],
      ["splitArms", () => splitArms(db, { ...f, splitNodeIds: ["sp"] })],
      ["messageReport", () => messageReport(db, { ...f, nodeId: "s0" })],
    ];
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const baselineQuery = () =>
      db.execute(sql`select count(*) from email_events where workspace_id = ${WS}::uuid and occurred_at >= ${from}::date::timestamptz`);
    const n = (await rows<{ n: string }>(db, sql`select count(*)::bigint as n from email_events`))[0]!.n;
    log(`bench reports: ${n} email events, range ${from} … ${to}, median of ${opts.reps} runs after one warm-up`);
    const results: [string, number][] = [];
    for (const [label, fn] of queries) {
      await fn();
      const runs: number[] = [];
      for (let i = 0; i < opts.reps; i++) runs.push(await time(fn));
      results.push([label, median(runs)]);
      log(`bench reports: ${label.padEnd(16)} ${median(runs).toFixed(1)} ms ${median(runs) < TARGET_MS ? "ok" : "OVER TARGET"}`);
    }
    await baselineQuery();
    const base: number[] = [];
    for (let i = 0; i < opts.reps; i++) base.push(await time(baselineQuery));
    const baseline = median(base);
    log(`bench reports: baseline count(*) of the range's email events ${baseline.toFixed(1)} ms`);
    const worst = Math.max(...results.map(([, ms]) => ms));
    log(
      `BENCH reports value=${worst.toFixed(1)} unit=ms baseline=${baseline.toFixed(1)} ratio=${(worst / baseline).toFixed(3)} target=<${TARGET_MS}ms (slowest report query)`,
    );
  } finally {
    await h.close();
  }
}
