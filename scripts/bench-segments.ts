import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { openDb, type DbHandle } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { applyImportChunk, createImport } from "../db/queries/imports";
import { countSegment } from "../db/queries/segments";
import { definitionSchema } from "../lib/segments/definition";

/**
 * Segment counts over a large seeded workspace, and CSV import against COPY. The segment data
 * (1M contacts and 10M events at --scale=1) is seeded once into a database of its own and kept
 * for later runs: seeding takes minutes, a run takes seconds.
 */

type Target = { url: string; embedded: boolean };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn(); // warm the cache and the plan
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

const WORKSPACE = "00000000-0000-4000-8000-00000000be9c";
const NOW = new Date("2026-01-01T00:00:00Z");

async function seededDatabase(target: Target, contacts: number, eventsPer: number): Promise<DbHandle> {
  const name = `tillit_bench_segments_${contacts}`;
  const u = new URL(target.url);
  u.pathname = `/${name}`;
  const admin = openDb(target.url, { max: 1 });
  const [exists] = await admin.sql<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${name}`;
  if (exists!.n) {
    const probe = openDb(u.toString(), { max: 1 });
    const [seeded] = await probe.sql<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename = 'bench_meta'`;
    const done = seeded!.n ? await probe.sql`select 1 from bench_meta where k = 'seeded'` : [];
    await probe.close();
    if (done.length > 0) {
      await admin.close();
      const h = openDb(u.toString(), { max: 2 });
      await applyMigrations(h.db);
      return h;
    }
    // An interrupted seed: start over from an empty database rather than delete millions of rows.
    await admin.sql.unsafe(`drop database ${name} with (force)`);
  }
  await admin.sql.unsafe(`create database ${name}`);
  await admin.close();
  const h = openDb(u.toString(), { max: 2 });
  await applyMigrations(h.db);
  await h.sql`create table if not exists bench_meta (k text primary key, v text not null)`;
  console.log(`bench: seeding ${contacts.toLocaleString("en")} contacts and ${(contacts * eventsPer).toLocaleString("en")} events into ${name} (once; kept for later runs)…`);
  const t0 = performance.now();
  await h.sql`insert into workspaces (id, name, slug) values (${WORKSPACE}, 'Bench', 'bench-segments')`;
  await h.sql.unsafe(`
    insert into contacts (workspace_id, email, first_name, attributes, status, source, created_at)
    select '${WORKSPACE}', 'c' || g || '@bench.example', 'P' || g,
      jsonb_build_object('plan', (array['free','pro','team'])[1 + g % 3], 'seats', g % 100, 'country', (array['NO','SE','DK','DE','US'])[1 + g % 5]),
      (array['subscribed','subscribed','subscribed','unconfirmed','unsubscribed'])[1 + g % 5]::contact_status, 'import',
      timestamptz '2025-01-01' + (g % 8760) * interval '1 hour'
    from generate_series(1, ${contacts}) g`);
  await h.sql.unsafe(`create temp table bench_ids as select id, row_number() over (order by id) as rn from contacts where workspace_id = '${WORKSPACE}'`);
  await h.sql.unsafe(`create index on bench_ids (rn)`);
  // Events without their secondary indexes first, then the indexes (as the migrations define them):
  // far faster than row by row upkeep.
  const defs = await h.sql<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes where tablename = 'events' and indexname <> 'events_pkey'`;
  for (const d of defs) await h.sql.unsafe(`drop index ${d.indexname}`);
  const total = contacts * eventsPer;
  const step = 1_000_000;
  for (let from = 1; from <= total; from += step) {
    const to = Math.min(total, from + step - 1);
    // Skewed: a few contacts are very active, many barely; names and times spread over 180 days.
    await h.sql.unsafe(`
      insert into events (workspace_id, contact_id, name, properties, occurred_at, received_at, type, source)
      select '${WORKSPACE}', b.id,
        (array['Page Viewed','Page Viewed','Order Completed','Added to Cart','Searched'])[1 + (g * 7) % 5],
        jsonb_build_object('n', g % 10),
        timestamptz '${NOW.toISOString()}' - ((g::bigint * 7919) % (180 * 24 * 60)) * interval '1 minute',
        timestamptz '${NOW.toISOString()}', 'track', 'bench'
      from generate_series(${from}, ${to}) g
      join bench_ids b on b.rn = 1 + ((g::bigint * 2654435761) % ${contacts})`);
    process.stdout.write(`bench: events ${to.toLocaleString("en")} / ${total.toLocaleString("en")}\r`);
  }
  console.log("");
  await h.sql.unsafe(`set maintenance_work_mem = '512MB'`);
  for (const d of defs) await h.sql.unsafe(d.indexdef);
  await h.sql.unsafe(`vacuum analyze contacts`);
  await h.sql.unsafe(`vacuum analyze events`);
  await h.sql`insert into bench_meta (k, v) values ('seeded', ${new Date().toISOString()})`;
  console.log(`bench: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return h;
}

export async function benchSegments(target: Target, opts: { scale: number; reps: number }) {
  if (target.embedded) {
    console.log("bench segments: needs a Postgres server (DATABASE_URL); skipped on embedded PGlite");
    return;
  }
  const contacts = Math.max(1000, Math.round(1_000_000 * opts.scale));
  const h = await seededDatabase(target, contacts, 10);
  try {
    const db = h.db;
    const since30 = new Date(NOW.getTime() - 30 * 86_400_000).toISOString();
    const since90 = new Date(NOW.getTime() - 90 * 86_400_000).toISOString();

    // 1. Attributes + "did X in the last 30 days".
    const exists = definitionSchema.parse({
      type: "group",
      match: "all",
      children: [
        { type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } },
        { type: "attribute", field: "country", comparison: { op: "eq", value: "NO" } },
        { type: "event", name: "Order Completed", performed: true, filters: [], window: { kind: "last_days", days: 30 } },
      ],
    });
    let ours = 0;
    let raw = 0;
    const mine = await time(async () => (ours = await countSegment(db, { workspaceId: WORKSPACE, definition: exists, now: NOW })), opts.reps);
    const hand = await time(async () => {
      const [r] = await h.sql<{ n: number }[]>`
        select count(*)::int as n from contacts c
        where c.workspace_id = ${WORKSPACE} and c.status <> 'erased'
          and c.attributes->>'plan' = 'pro' and c.attributes->>'country' = 'NO'
          and exists (select 1 from events e where e.contact_id = c.id and e.name = 'Order Completed' and e.occurred_at >= ${since30}::timestamptz and e.occurred_at <= ${NOW.toISOString()}::timestamptz)`;
      raw = r!.n;
    }, opts.reps);
    if (ours !== raw) throw new Error(`segment count ${ours} differs from the hand-written query's ${raw}`);
    console.log(`BENCH segments-exists value=${fmt(mine)} unit=ms baseline=${fmt(hand)} ratio=${(mine / hand).toFixed(2)} target=<300ms (${contacts.toLocaleString("en")} contacts, ${(contacts * 10).toLocaleString("en")} events, ${ours} match)`);

    // 2. "Order Completed at least 3 times in the last 90 days".
    const atLeast = definitionSchema.parse({
      type: "group",
      match: "all",
      children: [{ type: "event", name: "Order Completed", performed: true, filters: [], count: { op: "gte", n: 3 }, window: { kind: "last_days", days: 90 } }],
    });
    const mine2 = await time(async () => (ours = await countSegment(db, { workspaceId: WORKSPACE, definition: atLeast, now: NOW })), opts.reps);
    const hand2 = await time(async () => {
      const [r] = await h.sql<{ n: number }[]>`
        select count(*)::int as n from contacts c
        where c.workspace_id = ${WORKSPACE} and c.status <> 'erased'
          and (select count(*) from (select 1 from events e where e.contact_id = c.id and e.name = 'Order Completed'
                 and e.occurred_at >= ${since90}::timestamptz and e.occurred_at <= ${NOW.toISOString()}::timestamptz limit 3) x) >= 3`;
      raw = r!.n;
    }, opts.reps);
    if (ours !== raw) throw new Error(`segment count ${ours} differs from the hand-written query's ${raw}`);
    console.log(`BENCH segments-count value=${fmt(mine2)} unit=ms baseline=${fmt(hand2)} ratio=${(mine2 / hand2).toFixed(2)} target=ratio<=1.5 (${ours} match)`);
  } finally {
    await h.close();
  }
}

/** 100k rows through the import path (chunks of 2000, consent events included) vs COPY of the same rows into the same tables. */
export async function benchImport(target: Target, opts: { rows: number; reps: number }) {
  const h = openDb(target.url, { embedded: target.embedded, max: 2 });
  try {
    await applyMigrations(h.db);
    const statement = "Signed up at the trade fair stand; paper forms on file";
    const settings = {
      header: ["email", "first_name", "plan", "seats"],
      mapping: [{ target: "email" as const }, { target: "first_name" as const }, { target: "attribute" as const, attribute: "plan", type: "string" as const }, { target: "attribute" as const, attribute: "seats", type: "number" as const }],
      tags: [],
    };
    const rowsFor = (tag: string) => Array.from({ length: opts.rows }, (_, i) => [`r${i}-${tag}@bench.example`, `Person ${i}`, i % 3 ? "free" : "pro", String(i % 50)]);
    const newWorkspace = async () => {
      const id = randomUUID();
      await h.db.execute(sql`insert into workspaces (id, name, slug, double_opt_in_default) values (${id}::uuid, 'Bench import', ${`bench-${id.slice(0, 8)}`}, true)`);
      return id;
    };
    const oursRates: number[] = [];
    const copyRates: number[] = [];
    for (let rep = 0; rep < opts.reps; rep++) {
      // Ours: the same function the import route calls, chunk by chunk.
      const w1 = await newWorkspace();
      const rows = rowsFor(`a${rep}`);
      const imp = await createImport(h.db, { workspaceId: w1, fileName: "bench.csv", mode: "update", statement, settings, totalRows: rows.length, createdBy: null });
      let t0 = performance.now();
      for (let i = 0; i < rows.length; i += 2000) {
        await applyImportChunk(h.db, { workspaceId: w1, importId: imp.id, firstRow: i + 1, rows: rows.slice(i, i + 2000), actorUserId: null, now: new Date() });
      }
      oursRates.push(rows.length / ((performance.now() - t0) / 1000));

      // Baseline: COPY the same rows into contacts and their opt-in events.
      const w2 = await newWorkspace();
      const rows2 = rowsFor(`b${rep}`);
      t0 = performance.now();
      const ids = rows2.map(() => randomUUID());
      const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
      const c = await h.sql.unsafe(`copy contacts (id, workspace_id, email, first_name, attributes, status, source) from stdin`).writable();
      for (let i = 0; i < rows2.length; i++) {
        const r = rows2[i]!;
        c.write(`${ids[i]}\t${w2}\t${esc(r[0]!)}\t${esc(r[1]!)}\t${esc(JSON.stringify({ plan: r[2], seats: Number(r[3]) }))}\tunconfirmed\timport\n`);
      }
      await new Promise<void>((res, rej) => c.end((e?: Error | null) => (e ? rej(e) : res())));
      const ce = await h.sql.unsafe(`copy consent_events (workspace_id, contact_id, kind, email, source, wording) from stdin`).writable();
      for (let i = 0; i < rows2.length; i++) ce.write(`${w2}\t${ids[i]}\topt_in\t${esc(rows2[i]![0]!)}\timport\t${esc(statement)}\n`);
      await new Promise<void>((res, rej) => ce.end((e?: Error | null) => (e ? rej(e) : res())));
      copyRates.push(rows2.length / ((performance.now() - t0) / 1000));
      const [n] = await h.sql<{ a: number; b: number }[]>`select
        (select count(*)::int from contacts where workspace_id = ${w1}) as a, (select count(*)::int from contacts where workspace_id = ${w2}) as b`;
      if (n!.a !== rows.length || n!.b !== rows2.length) throw new Error(`import bench stored ${n!.a} and ${n!.b} contacts, expected ${rows.length}`);
    }
    const ours = median(oursRates);
    const copy = median(copyRates);
    console.log(`BENCH import value=${ours.toFixed(0)} unit=rows/s baseline=${copy.toFixed(0)} ratio=${(ours / copy).toFixed(2)} target=ratio>=0.5 (${opts.rows.toLocaleString("en")} rows, COPY into the same tables and indexes)`);
  } finally {
    await h.close();
  }
}
