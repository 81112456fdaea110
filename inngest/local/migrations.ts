import type { Sql } from "@/db/client";

/**
 * The executor's own schema, apart from the app's drizzle migrations. Versioned and append-only:
 * never edit a landed entry, add the next one. SQL stays within what PG 15 and PGlite (PG 18) share.
 * All times are bigint milliseconds supplied by the executor, so a virtual clock governs them.
 */
const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
create table inngest_local.meta (key text primary key, value jsonb not null);
insert into inngest_local.meta (key, value) values ('claim', 'null'::jsonb), ('clock_offset', '0'::jsonb);

create table inngest_local.functions (
  id text primary key,
  app_url text not null,
  config jsonb not null,
  updated_at bigint not null
);

create table inngest_local.events (
  internal_id text primary key,
  id text,
  name text not null,
  data jsonb not null,
  ts bigint not null,
  received_at bigint not null
);
create index events_received_at on inngest_local.events (received_at);

-- Event ids ("e:<id>") and function idempotency keys ("f:<fn>:<key>") seen in the last 24 h.
create table inngest_local.dedupe (key text primary key, expires_at bigint not null);

create table inngest_local.runs (
  id text primary key,
  fn_id text not null,
  event jsonb not null,
  status text not null check (status in ('running', 'completed', 'failed', 'cancelled')),
  -- Once a reply carried several ops, the SDK must only plan from then on (docs/inngest-protocol.md#parallel-steps).
  die boolean not null default false,
  output jsonb,
  error jsonb,
  concurrency jsonb not null default '[]'::jsonb,
  created_at bigint not null,
  ended_at bigint
);
create index runs_created_at on inngest_local.runs (created_at);
create index runs_status on inngest_local.runs (status);

create table inngest_local.memo (
  run_id text not null,
  step_id text not null,
  seq bigserial,
  value jsonb,
  name text,
  primary key (run_id, step_id)
);

-- Work that is due: "call" (a request to the SDK; step_id null = the function itself),
-- "sleep" and "wait_timeout" (timers that memoize null and call again).
create table inngest_local.jobs (
  id bigserial primary key,
  run_id text not null,
  kind text not null check (kind in ('call', 'sleep', 'wait_timeout')),
  step_id text,
  attempt int not null default 0,
  due_at bigint not null,
  lease_token text,
  lease_until bigint,
  ck1 text,
  ck1_limit int,
  ck2 text,
  ck2_limit int,
  created_at bigint not null
);
create unique index jobs_run_step on inngest_local.jobs (run_id, step_id) where step_id is not null;
create index jobs_due on inngest_local.jobs (due_at, id);
create index jobs_run on inngest_local.jobs (run_id);
create index jobs_ck1 on inngest_local.jobs (ck1) where lease_token is not null;
create index jobs_ck2 on inngest_local.jobs (ck2) where lease_token is not null;

create table inngest_local.waits (
  run_id text not null,
  step_id text not null,
  event_name text not null,
  expr text,
  expires_at bigint not null,
  created_at bigint not null,
  primary key (run_id, step_id)
);
create index waits_event on inngest_local.waits (event_name);

create table inngest_local.cancels (
  run_id text not null,
  idx int not null,
  event_name text not null,
  expr text,
  expires_at bigint not null,
  primary key (run_id, idx)
);
create index cancels_event on inngest_local.cancels (event_name);

create table inngest_local.crons (
  fn_id text not null,
  cron text not null,
  next_at bigint not null,
  primary key (fn_id, cron)
);

-- Throttle as GCRA: the theoretical arrival time per key.
create table inngest_local.throttle (key text primary key, tat bigint not null);
`,
  },
  {
    version: 2,
    sql: `
-- Bumped at every claim: a call carries it (x-inngest-generation-id, ctx.qi_id = the job id) and
-- a checkpoint is accepted only while the job is still leased at that generation (docs/inngest-protocol.md#stale-calls).
alter table inngest_local.jobs add column generation int not null default 0;

-- Queue tables churn: every job row is inserted and deleted within seconds, memo and runs are
-- pruned in bulk. Default autovacuum (20 % dead tuples) lets them bloat and slow claims; vacuum
-- them after a fixed number of dead rows instead.
alter table inngest_local.jobs set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000, autovacuum_vacuum_cost_delay = 0);
alter table inngest_local.memo set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);
alter table inngest_local.runs set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 2000);
alter table inngest_local.events set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 2000);
`,
  },
  {
    version: 3,
    sql: `
-- A claim sets lease_token: with lease_token in an index predicate every claim was a non-HOT
-- update, adding an entry to each of the job's indexes. Keyed indexes now cover keyed jobs
-- whatever their lease, so claims and lease renewals touch no indexed column, and the page keeps
-- room for the new row version. (run_id, step_id) unique over every row (discovery jobs, step_id
-- null, stay distinct) also serves the lookups by run, one index fewer to write per job.
drop index inngest_local.jobs_ck1;
drop index inngest_local.jobs_ck2;
create index jobs_ck1 on inngest_local.jobs (ck1) where ck1 is not null;
create index jobs_ck2 on inngest_local.jobs (ck2) where ck2 is not null;
drop index inngest_local.jobs_run_step;
drop index inngest_local.jobs_run;
create unique index jobs_run_step on inngest_local.jobs (run_id, step_id);
alter table inngest_local.jobs set (fillfactor = 50);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Idempotent: safe to run at every start, by several executors at once. */
export async function applyExecutorMigrations(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`create schema if not exists inngest_local`);
    await tx.unsafe(
      `create table if not exists inngest_local.schema_version (version int primary key, applied_at timestamptz not null default now())`,
    );
    // Serialises concurrent starts on real Postgres (PGlite runs one transaction at a time anyway).
    await tx.unsafe(`lock table inngest_local.schema_version in exclusive mode`);
    const rows = await tx.unsafe<{ v: number | null }[]>(`select max(version) as v from inngest_local.schema_version`);
    const current = rows[0]?.v ?? 0;
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await tx.unsafe(`insert into inngest_local.schema_version (version) values (${m.version})`);
    }
  });
}
