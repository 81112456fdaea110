import type { ISql } from "postgres";
import type { FunctionConfig } from "../config";
import type { RunEvent } from "../protocol";
import type { Job, RunSnapshot } from "./context";

/**
 * Every SQL statement of the local executor, named and parameterised, apart from the code that
 * decides when to run them (docs/runtime.md#the-local-executors-modules). Each takes the pool or a
 * transaction as `db` and returns the pending query; values are bound, never spliced, except the
 * table names of `vacuum`, which are the executor's own.
 */

/** The pool (`sql`) or a transaction (`tx`). */
export type Db = ISql;

/** A job row to store as a call: the run's first two concurrency keys become ck1/ck2 (with limits), so claims need no join; `r` is the run. */
const callKeys = (db: Db) =>
  db`r.concurrency->0->>'key', (r.concurrency->0->>'limit')::int, r.concurrency->1->>'key', (r.concurrency->1->>'limit')::int`;

/** Run `r`'s memo as a JSON array of [step id, value] in completion order (the SDK's stack). */
const memoStack = (db: Db) =>
  db`coalesce((select json_agg(json_build_array(m.step_id, m.value) order by m.seq)
    from inngest_local.memo m where m.run_id = r.id), '[]'::json)`;

/** A claimable job: due by the clock and free, or its lease lapsed in real time. */
const claimable = (db: Db, now: number, real: number) => db`due_at <= ${now} and (lease_token is null or lease_until < ${real})`;

// ---------------------------------------------------------------- loop and lease

/** The functions stored by earlier syncs. */
export const loadFunctions = (db: Db) =>
  db<{ id: string; app_url: string; config: FunctionConfig }[]>`select id, app_url, config from inngest_local.functions`;

/** When the next free job falls due after `after` (clock time), or null. */
export const nextDueAfter = (db: Db, after: number) =>
  db<{ due: string | null }[]>`select min(due_at) as due from inngest_local.jobs where lease_token is null and due_at > ${after}`;

/** Extends the leases of the jobs in flight to `until` (real time). */
export const renewLeases = (db: Db, tokens: string[], until: number) =>
  db`update inngest_local.jobs set lease_until = ${until} where lease_token = any(${tokens}::text[])`;

// ---------------------------------------------------------------- claiming

export type FreeClaim = Omit<Job, "run"> & { fn_id: string | null; event: RunEvent; status: string; die: boolean; memo: [string, unknown][] | null };

/**
 * Leases up to `max` due jobs without concurrency keys (SKIP LOCKED keeps executors apart) and,
 * for a call that was free and whose run plans one step at a time, reads its run and memo too.
 */
export const claimFree = (db: Db, p: { now: number; real: number; max: number; token: string; leaseUntil: number }) =>
  db<FreeClaim[]>`
    with c as (
      select id, lease_token is not null as retaken from inngest_local.jobs
      where ${claimable(db, p.now, p.real)} and ck1 is null and ck2 is null
      order by due_at, id limit ${p.max}
      for update skip locked
    ), u as (
      update inngest_local.jobs j set lease_token = ${p.token} || '/' || j.id::text, lease_until = ${p.leaseUntil},
        generation = j.generation + 1
      from c where j.id = c.id
      returning j.id, j.run_id, j.kind, j.step_id, j.attempt, j.lease_token, j.generation, c.retaken
    )
    select u.id::text as id, u.run_id, u.kind, u.step_id, u.attempt, u.lease_token, u.generation,
      r.fn_id, r.event, r.status, r.die,
      case when u.kind = 'call' and not u.retaken and not r.die then ${memoStack(db)} end as memo
    from u left join inngest_local.runs r on r.id = u.run_id`;

/** One row if any job under concurrency keys is claimable. */
export const anyKeyedClaimable = (db: Db, now: number, real: number) =>
  db`select 1 from inngest_local.jobs where ${claimable(db, now, real)} and (ck1 is not null or ck2 is not null) limit 1`;

/** Takes the claim lock (meta 'claim') that serialises keyed claims across executors. */
export const lockKeyedClaims = (db: Db) => db`select 1 from inngest_local.meta where key = 'claim' for update`;

export type KeyedCandidate = Pick<Job, "id" | "run_id" | "kind" | "step_id" | "attempt"> & {
  ck1: string | null;
  ck1_limit: number | null;
  ck2: string | null;
  ck2_limit: number | null;
};

/** Up to `limit` claimable jobs under concurrency keys, oldest due first. */
export const keyedCandidates = (db: Db, now: number, real: number, limit: number) =>
  db<KeyedCandidate[]>`
    select id::text as id, run_id, kind, step_id, attempt, ck1, ck1_limit, ck2, ck2_limit
    from inngest_local.jobs
    where ${claimable(db, now, real)} and (ck1 is not null or ck2 is not null)
    order by due_at, id
    limit ${limit}`;

/** How many live leases each of `keys` holds. */
export const keysInUse = (db: Db, keys: string[], real: number) =>
  db<{ k: string; n: number }[]>`
    select k, count(*)::int as n from (
      select ck1 as k from inngest_local.jobs where ck1 = any(${keys}::text[]) and lease_token is not null and lease_until >= ${real}
      union all
      select ck2 as k from inngest_local.jobs where ck2 = any(${keys}::text[]) and lease_token is not null and lease_until >= ${real}
    ) s group by k`;

/** Leases the jobs `ids` that are still free (token `token/id`); returns their new generations. */
export const leaseJobs = (db: Db, ids: string[], p: { real: number; token: string; leaseUntil: number }) =>
  db<{ id: string; generation: number }[]>`
    update inngest_local.jobs set lease_token = ${p.token} || '/' || id::text, lease_until = ${p.leaseUntil},
      generation = generation + 1
    where id = any(${ids}::bigint[]) and (lease_token is null or lease_until < ${p.real})
    returning id::text as id, generation`;

/**
 * Deletes the job if its lease is still the one we hold, returning its run; no row means the
 * result must be discarded. Also the first step of the hot statements below.
 */
export const takeJob = (db: Db, job: Pick<Job, "id" | "lease_token">) =>
  db<{ run_id: string }[]>`delete from inngest_local.jobs where id = ${job.id} and lease_token = ${job.lease_token} returning run_id`;

// ---------------------------------------------------------------- executing jobs

/** A run with its memo in completion order. */
export const readRun = (db: Db, runId: string) =>
  db<RunSnapshot[]>`select r.fn_id, r.event, r.status, r.die, ${memoStack(db)} as memo
    from inngest_local.runs r where r.id = ${runId}`;

/** A run's function and triggering event. */
export const readRunEvent = (db: Db, runId: string) =>
  db<{ fn_id: string; event: RunEvent }[]>`select fn_id, event from inngest_local.runs where id = ${runId}`;

/** Marks a run as planning in parallel (die: each call plans, never runs, a step). */
export const markParallel = (db: Db, runId: string) => db`update inngest_local.runs set die = true where id = ${runId} and not die`;

/** Whether the step already has a result. */
export const hasMemo = (db: Db, runId: string, stepId: string) =>
  db`select 1 from inngest_local.memo where run_id = ${runId} and step_id = ${stepId}`;

/** Stores a step's result unless it has one (a replay never overwrites history). */
export const memoize = (db: Db, runId: string, stepId: string, value: unknown, name: string | null) =>
  db`insert into inngest_local.memo (run_id, step_id, value, name)
    values (${runId}, ${stepId}, ${JSON.stringify(value)}::jsonb, ${name}) on conflict do nothing`;

/**
 * The hot path (a step finished, a sleep ended) as one statement: take the job by its lease,
 * memoize, queue the run's next discovery unless one is queued.
 */
export const memoizeAndDiscover = (db: Db, job: Pick<Job, "id" | "lease_token">, step: { id: string; value: unknown; name: string | null; now: number }) =>
  db`
    with j as (${takeJob(db, job)}), m as (
      insert into inngest_local.memo (run_id, step_id, value, name)
      select run_id, ${step.id}, ${JSON.stringify(step.value)}::jsonb, ${step.name} from j
      on conflict do nothing
    )
    insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
    select r.id, 'call', null, 0, ${step.now}, ${callKeys(db)}, ${step.now}
    from inngest_local.runs r join j on j.run_id = r.id
    where r.status = 'running' and not exists (
      select 1 from inngest_local.jobs x
      where x.run_id = r.id and x.kind = 'call' and x.step_id is null and x.lease_token is null)`;

/** Queues a call of the run targeting `stepId` (null: discovery) unless the same call is queued. */
export const insertCall = (db: Db, runId: string, call: { stepId: string | null; attempt: number; dueAt: number; now: number }) =>
  db`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
    select r.id, 'call', ${call.stepId}, ${call.attempt}, ${call.dueAt}, ${callKeys(db)}, ${call.now}
    from inngest_local.runs r where r.id = ${runId}
    on conflict do nothing`;

/** Queues a discovery call of the run, now, unless one is already waiting to be claimed. */
export const enqueueDiscovery = (db: Db, runId: string, now: number) =>
  db`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
    select r.id, 'call', null, 0, ${now}, ${callKeys(db)}, ${now}
    from inngest_local.runs r where r.id = ${runId}
      and not exists (select 1 from inngest_local.jobs j
                      where j.run_id = ${runId} and j.kind = 'call' and j.step_id is null and j.lease_token is null)`;

/** Queues the end of a sleep step. */
export const insertSleep = (db: Db, runId: string, stepId: string, dueAt: number, now: number) =>
  db`insert into inngest_local.jobs (run_id, kind, step_id, due_at, created_at)
    values (${runId}, 'sleep', ${stepId}, ${dueAt}, ${now})
    on conflict do nothing`;

/** Stores a wait for an event; a row back means it is new. */
export const insertWait = (db: Db, w: { runId: string; stepId: string; eventName: string; expr: string | null; expiresAt: number; now: number }) =>
  db`insert into inngest_local.waits (run_id, step_id, event_name, expr, expires_at, created_at)
    values (${w.runId}, ${w.stepId}, ${w.eventName}, ${w.expr}, ${w.expiresAt}, ${w.now})
    on conflict do nothing returning run_id`;

/** Queues the timeout of a wait. */
export const insertWaitTimeout = (db: Db, runId: string, stepId: string, expiresAt: number, now: number) =>
  db`insert into inngest_local.jobs (run_id, kind, step_id, due_at, created_at)
    values (${runId}, 'wait_timeout', ${stepId}, ${expiresAt}, ${now}) on conflict do nothing`;

/** Ends a wait (event or timeout, whichever comes first); a row back means this one won. */
export const deleteWait = (db: Db, runId: string, stepId: string) =>
  db`delete from inngest_local.waits where run_id = ${runId} and step_id = ${stepId} returning run_id`;

/** Drops the timeout job of a wait an event resumed. */
export const deleteWaitTimeout = (db: Db, runId: string, stepId: string) =>
  db`delete from inngest_local.jobs where run_id = ${runId} and step_id = ${stepId} and kind = 'wait_timeout'`;

/** Takes the job by its lease and completes its run with `output`, dropping the run's other jobs, waits and cancellations. */
export const completeRun = (db: Db, job: Pick<Job, "id" | "lease_token">, output: unknown, now: number) =>
  db`
    with j as (${takeJob(db, job)}), r as (
      update inngest_local.runs set status = 'completed', ended_at = ${now},
        output = ${JSON.stringify(output ?? null)}::jsonb, error = 'null'::jsonb
      where id in (select run_id from j) and status = 'running' returning id
    ), dj as (
      delete from inngest_local.jobs where run_id in (select id from r) and id <> ${job.id}
    ), dw as (
      delete from inngest_local.waits where run_id in (select id from r)
    ), dc as (
      delete from inngest_local.cancels where run_id in (select id from r)
    )
    select count(*)::int as n from r`;

/** Ends a running run with `status`; a row back means it was running. */
export const endRun = (db: Db, runId: string, end: { status: string; output: unknown; error: unknown; now: number }) =>
  db`update inngest_local.runs set status = ${end.status}, ended_at = ${end.now},
      output = ${JSON.stringify(end.output ?? null)}::jsonb, error = ${JSON.stringify(end.error ?? null)}::jsonb
    where id = ${runId} and status = 'running' returning id`;

/** Drops an ended run's jobs. */
export const deleteRunJobs = (db: Db, runId: string) => db`delete from inngest_local.jobs where run_id = ${runId}`;

/** Drops an ended run's waits. */
export const deleteRunWaits = (db: Db, runId: string) => db`delete from inngest_local.waits where run_id = ${runId}`;

/** Drops an ended run's cancellations. */
export const deleteRunCancels = (db: Db, runId: string) => db`delete from inngest_local.cancels where run_id = ${runId}`;

// ---------------------------------------------------------------- checkpoints

/** Locks the call's job if it is still leased at `generation`. */
export const lockLeasedJob = (db: Db, qi: string, runId: string, generation: number) =>
  db`select 1 from inngest_local.jobs
    where id = ${qi}::bigint and run_id = ${runId} and generation = ${generation} and lease_token is not null
    for update`;

/**
 * Checkpoints of several calls in one statement: `input` is a JSON array of
 * {k, qi, run_id, gen, steps}; returns the positions k whose call still holds its lease at the
 * generation it was sent with, their steps memoized in order. FOR SHARE makes a concurrent
 * re-claim skip the job until this write has committed (or makes this one see the new generation
 * and refuse); NOWAIT fails at once on a locked job instead.
 */
export const writeCheckpoints = (db: Db, input: string, waitForLocks: boolean) =>
  db<{ k: number }[]>`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as x(k int, qi bigint, run_id text, gen int, steps jsonb)
    ), j as (
      select i.k, jb.run_id from input i
      join inngest_local.jobs jb on jb.id = i.qi and jb.run_id = i.run_id and jb.generation = i.gen and jb.lease_token is not null
      ${waitForLocks ? db`for share of jb` : db`for share of jb nowait`}
    ), m as (
      insert into inngest_local.memo (run_id, step_id, value, name)
      select j.run_id, s.v->>'step_id', s.v->'value', s.v->>'name'
      from j join input i on i.k = j.k, jsonb_array_elements(i.steps) with ordinality as s(v, ord)
      order by j.k, s.ord
      on conflict do nothing
    )
    select k from j`;

// ---------------------------------------------------------------- ingest

/** Stores events given as a JSON array of {internal_id, id, name, data, ts, received_at}. */
export const insertEvents = (db: Db, rows: string) =>
  db`insert into inngest_local.events (internal_id, id, name, data, ts, received_at)
    select internal_id, id, name, data, ts, received_at from jsonb_to_recordset(${rows}::jsonb)
      as x(internal_id text, id text, name text, data jsonb, ts bigint, received_at bigint)`;

/** The live waits for any of `names`, with the event of the run that waits. */
export const waitsFor = (db: Db, names: string[], now: number) =>
  db<{ run_id: string; step_id: string; event_name: string; expr: string | null; run_event: RunEvent }[]>`
    select w.run_id, w.step_id, w.event_name, w.expr, r.event as run_event
    from inngest_local.waits w join inngest_local.runs r on r.id = w.run_id
    where w.event_name = any(${names}::text[]) and w.expires_at > ${now} and w.created_at <= ${now}`;

/** The live cancellations of running runs by any of `names`, with the run's event. */
export const cancelsFor = (db: Db, names: string[], now: number) =>
  db<{ run_id: string; event_name: string; expr: string | null; run_event: RunEvent }[]>`
    select c.run_id, c.event_name, c.expr, r.event as run_event
    from inngest_local.cancels c join inngest_local.runs r on r.id = c.run_id
    where c.event_name = any(${names}::text[]) and c.expires_at > ${now} and r.status = 'running'`;

/** Holds each of `keys` that is free or expired until `until`; returns the keys it now holds. */
export const claimKeys = (db: Db, keys: string[], now: number, until: number) =>
  db<{ key: string }[]>`insert into inngest_local.dedupe (key, expires_at)
    select k, ${until} from unnest(${keys}::text[]) as k
    on conflict (key) do update set expires_at = excluded.expires_at where inngest_local.dedupe.expires_at <= ${now}
    returning key`;

/** A throttle key's theoretical arrival time, locked for the update that follows. */
export const lockThrottle = (db: Db, key: string) => db<{ tat: string }[]>`select tat from inngest_local.throttle where key = ${key} for update`;

/** Stores a throttle key's next theoretical arrival time. */
export const setThrottle = (db: Db, key: string, tat: number) =>
  db`insert into inngest_local.throttle (key, tat) values (${key}, ${tat})
    on conflict (key) do update set tat = excluded.tat`;

/** Stores new running runs given as a JSON array of {id, fn_id, event, concurrency, due_at}. */
export const insertRuns = (db: Db, runs: string, now: number) =>
  db`insert into inngest_local.runs (id, fn_id, event, status, concurrency, created_at)
    select id, fn_id, event, 'running', concurrency, ${now}
    from jsonb_to_recordset(${runs}::jsonb) as x(id text, fn_id text, event jsonb, concurrency jsonb, due_at bigint)`;

/** Stores cancellations given as a JSON array of {run_id, idx, event_name, expr, expires_at}. */
export const insertCancels = (db: Db, rows: string) =>
  db`insert into inngest_local.cancels (run_id, idx, event_name, expr, expires_at)
    select run_id, idx, event_name, expr, expires_at
    from jsonb_to_recordset(${rows}::jsonb) as x(run_id text, idx int, event_name text, expr text, expires_at bigint)`;

/** Queues the first call of each new run (the same JSON as insertRuns), at its due time. */
export const insertFirstCalls = (db: Db, runs: string, now: number) =>
  db`insert into inngest_local.jobs (run_id, kind, step_id, attempt, due_at, ck1, ck1_limit, ck2, ck2_limit, created_at)
    select r.id, 'call', null, 0, r.due_at, ${callKeys(db)}, ${now}
    from jsonb_to_recordset(${runs}::jsonb) as r(id text, concurrency jsonb, due_at bigint)`;

// ---------------------------------------------------------------- cron

/** The crons due by `now`, locked (SKIP LOCKED: another executor fires those it holds). */
export const dueCrons = (db: Db, now: number) =>
  db<{ fn_id: string; cron: string; next_at: string }[]>`
    select fn_id, cron, next_at from inngest_local.crons where next_at <= ${now} for update skip locked`;

/** Moves a cron's next fire time. */
export const advanceCron = (db: Db, fnId: string, cron: string, nextAt: number) =>
  db`update inngest_local.crons set next_at = ${nextAt} where fn_id = ${fnId} and cron = ${cron}`;

/** The earliest next fire time of all crons, or null. */
export const nextCronAt = (db: Db) => db<{ at: string | null }[]>`select min(next_at) as at from inngest_local.crons`;

// ---------------------------------------------------------------- sync

/** Drops the app's functions that are not in `ids`. */
export const dropFunctionsExcept = (db: Db, appUrl: string, ids: string[]) =>
  db`delete from inngest_local.functions where app_url = ${appUrl} and not (id = any(${ids}::text[]))`;

/** Drops the crons of the app's functions that are not in `ids`. */
export const dropCronsOfFunctionsExcept = (db: Db, appUrl: string, ids: string[]) =>
  db`delete from inngest_local.crons where fn_id in (select id from inngest_local.functions where app_url = ${appUrl})
    and not (fn_id = any(${ids}::text[]))`;

/** Stores a function's config, served by `appUrl`. */
export const upsertFunction = (db: Db, config: FunctionConfig, appUrl: string, now: number) =>
  db`insert into inngest_local.functions (id, app_url, config, updated_at)
    values (${config.id}, ${appUrl}, ${JSON.stringify(config)}::jsonb, ${now})
    on conflict (id) do update set app_url = excluded.app_url, config = excluded.config, updated_at = excluded.updated_at`;

/** Drops a function's crons that are not in `crons`. */
export const dropCronsExcept = (db: Db, fnId: string, crons: string[]) =>
  db`delete from inngest_local.crons where fn_id = ${fnId} and not (cron = any(${crons}::text[]))`;

/** Adds a cron of a function unless it is there (its schedule then stands). */
export const insertCron = (db: Db, fnId: string, cron: string, nextAt: number) =>
  db`insert into inngest_local.crons (fn_id, cron, next_at) values (${fnId}, ${cron}, ${nextAt}) on conflict do nothing`;

// ---------------------------------------------------------------- clock

/** Stores the virtual clock's offset. */
export const saveClockOffset = (db: Db, offsetMs: number) =>
  db`update inngest_local.meta set value = ${JSON.stringify(offsetMs)}::jsonb where key = 'clock_offset'`;

/** The stored virtual clock offset. */
export const loadClockOffset = (db: Db) => db<{ value: unknown }[]>`select value from inngest_local.meta where key = 'clock_offset'`;

// ---------------------------------------------------------------- housekeeping

/** Drops de-duplication keys that have expired. */
export const pruneDedupe = (db: Db, now: number) => db`delete from inngest_local.dedupe where expires_at <= ${now}`;

/** Drops events received before `cutoff`. */
export const pruneEvents = (db: Db, cutoff: number) => db`delete from inngest_local.events where received_at < ${cutoff}`;

/** Drops the memo of runs that ended before `cutoff`. */
export const pruneMemo = (db: Db, cutoff: number) =>
  db`delete from inngest_local.memo where run_id in
    (select id from inngest_local.runs where status <> 'running' and ended_at < ${cutoff})`;

/** Drops runs that ended before `cutoff`. */
export const pruneRuns = (db: Db, cutoff: number) => db`delete from inngest_local.runs where status <> 'running' and ended_at < ${cutoff}`;

export type ExecutorTable = "dedupe" | "events" | "memo" | "runs" | "jobs";

/** VACUUM (ANALYZE, SKIP_LOCKED) of executor tables; plain VACUUM blocks no reads or writes. */
export const vacuum = (db: Db, tables: ExecutorTable[]) =>
  db.unsafe(`vacuum (analyze, skip_locked) ${tables.map((t) => `inngest_local.${t}`).join(", ")}`);

// ---------------------------------------------------------------- inspection (server.ts)

/** The newest `limit` runs, optionally of one status, with their step counts. */
export const listRuns = (db: Db, status: string | null, limit: number) =>
  db`
    select r.id, r.fn_id, r.status, r.event->>'name' as event, r.created_at::float8 as created_at, r.ended_at::float8 as ended_at,
           r.output, r.error,
           (select count(*)::int from inngest_local.memo m where m.run_id = r.id) as steps
    from inngest_local.runs r
    where (${status}::text is null or r.status = ${status})
    order by r.created_at desc, r.id desc limit ${limit}`;

/** One run as stored. */
export const runById = (db: Db, id: string) =>
  db`select id, fn_id, status, event, die, output, error, concurrency,
      created_at::float8 as created_at, ended_at::float8 as ended_at from inngest_local.runs where id = ${id}`;

/** A run's memo in order. */
export const runSteps = (db: Db, id: string) => db`select step_id, name, value from inngest_local.memo where run_id = ${id} order by seq`;

/** A run's queued jobs. */
export const runJobs = (db: Db, id: string) =>
  db`select kind, step_id, attempt, due_at::float8 as due_at, lease_until::float8 as lease_until
    from inngest_local.jobs where run_id = ${id} order by due_at`;

/** A run's waits. */
export const runWaits = (db: Db, id: string) =>
  db`select step_id, event_name, expr, expires_at::float8 as expires_at from inngest_local.waits where run_id = ${id}`;

/** The newest 200 runs for the HTML page. */
export const recentRuns = (db: Db) =>
  db<{ id: string; fn_id: string; status: string; event: string; created_at: number }[]>`
    select id, fn_id, status, event->>'name' as event, created_at::float8 as created_at
    from inngest_local.runs order by created_at desc, id desc limit 200`;
