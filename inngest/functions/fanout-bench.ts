import { openDb } from "@/db/client";
import { publishCompiled } from "@/db/queries/flow-versions";
import { flows, workspaces } from "@/db/schema/index";
import { devMailboxTransport } from "@/lib/server/email/transport";
import { compile } from "@/lib/flows/compile";
import { canonicalJson } from "@/lib/flows/plan";
import { startLocalExecutor } from "../local/server";
import { startTestApp, waitFor } from "../local/test-app";
import type { BenchDatabase } from "../local/bench";
import { enrollRequested } from "../events";
import type { FlowDeps } from "./deps";
import { createFlowRouter, SEND_BATCH } from "./flow-router";

/**
 * Fan-out: N contacts entering one flow through the real router (serve handler + local executor),
 * timed until every enrollment row is committed and every `flow/enrollment.started` event has been
 * accepted by the executor — against COPYing the same number of enrollment rows into the same
 * table with the same indexes, in the same run. Then the same requests again, to show the fan-out
 * is idempotent (no new rows, no new start events). Target: ≤ 3× COPY.
 */

type Seeded = { workspaceId: string; flowIds: string[] };

async function seed(db: BenchDatabase, contacts: number, flowsNeeded: number): Promise<Seeded> {
  const h = openDb(db.url, { embedded: db.embedded, max: 1 });
  try {
    const [ws] = await h.db.insert(workspaces).values({ name: "Bench", slug: `bench-${Date.now().toString(36)}` }).returning({ id: workspaces.id });
    const workspaceId = ws!.id;
    await h.sql`
      insert into contacts (workspace_id, email, status, source)
      select ${workspaceId}::uuid, 'c' || g || '@bench.example', 'subscribed', 'import' from generate_series(1, ${contacts}) g`;
    const graph = {
      nodes: [
        { id: "t", kind: "manual-enrol", config: {}, position: { x: 0, y: 0 } },
        { id: "d", kind: "delay", config: { durationMs: 86_400_000 }, position: { x: 0, y: 100 } },
        { id: "x", kind: "exit", config: {}, position: { x: 0, y: 200 } },
      ],
      edges: [
        { id: "e1", source: "t", sourceHandle: "next", target: "d" },
        { id: "e2", source: "d", sourceHandle: "next", target: "x" },
      ],
    };
    const compiled = compile(graph);
    if (!compiled.ok) throw new Error(`bench flow does not compile: ${JSON.stringify(compiled.errors)}`);
    const flowIds: string[] = [];
    for (let i = 0; i < flowsNeeded; i++) {
      const [f] = await h.db.insert(flows).values({ workspaceId, name: `Fan-out ${i}`, draft: graph, reentry: "once" }).returning({ id: flows.id });
      await publishCompiled(h.db, { workspaceId, flowId: f!.id, plan: compiled.plan, canonicalPlan: canonicalJson(compiled.plan), graph });
      flowIds.push(f!.id);
    }
    await h.sql`analyze`;
    return { workspaceId, flowIds };
  } finally {
    await h.close();
  }
}

async function copyBaseline(db: BenchDatabase, s: Seeded, flowId: string): Promise<number> {
  const h = openDb(db.url, { embedded: db.embedded, max: 1 });
  try {
    const [v] = await h.sql<{ id: string }[]>`select current_version_id as id from flows where id = ${flowId}`;
    const ids = await h.sql<{ id: string }[]>`select id from contacts where workspace_id = ${s.workspaceId} order by id`;
    const now = new Date().toISOString();
    const lines = ids.map((c, i) => `${s.workspaceId}\t${flowId}\t${v!.id}\t${c.id}\t{}\tbench:${Math.floor(i / SEND_BATCH)}\t${now}\n`).join("");
    const t0 = performance.now();
    const stream = await h.sql
      .unsafe(`copy enrollments (workspace_id, flow_id, flow_version_id, contact_id, trigger, source_event_id, entered_at) from stdin`)
      .writable();
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.on("finish", () => resolve());
      stream.end(lines);
    });
    return performance.now() - t0;
  } finally {
    await h.close();
  }
}

async function fanOut(db: BenchDatabase, s: Seeded, flowId: string, contacts: number, workers: number): Promise<{ ms: number; again: { rows: number; events: number } }> {
  const executor = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, workers, log: () => {} });
  const h = openDb(db.url, { embedded: db.embedded, max: 4 });
  // Only the router is served: the start events are accepted and stored, and no runner starts.
  // One app id for every rep, so each rep's sync replaces the last rep's app (whose server is gone)
  // instead of leaving its router subscribed to the requests.
  const deps: FlowDeps = { db: () => h.db, transport: () => devMailboxTransport(h.db) };
  const app = await startTestApp("fanout-bench", executor, (inngest) => [createFlowRouter(inngest, deps)]);
  const count = async () => {
    const [e] = await h.sql<{ n: number }[]>`select count(*)::int as n from enrollments where flow_id = ${flowId}`;
    const [x] = await h.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.events where name = 'flow/enrollment.started' and data->>'flowVersionId' in (select id::text from flow_versions where flow_id = ${flowId})`;
    return { rows: e!.n, events: x!.n };
  };
  try {
    await executor.sync(app.serveUrl);
    const ids = (await h.sql<{ id: string }[]>`select id from contacts where workspace_id = ${s.workspaceId} order by id`).map((r) => r.id);
    const send = async (tag: string) => {
      const batch = [];
      for (let i = 0; i < ids.length; i += SEND_BATCH) {
        // Ids unique across reps: the executor triggers an event id once in 24 h.
        batch.push({ id: `${flowId}:${tag}:${i}`, name: enrollRequested.name, data: { workspaceId: s.workspaceId, flowId, contactIds: ids.slice(i, i + SEND_BATCH) } });
      }
      await app.inngest.send(batch);
    };
    const t0 = performance.now();
    await send("first");
    let rowsAt = 0;
    await waitFor("every enrollment recorded and its start event accepted", async () => {
      const c = await count();
      if (!rowsAt && c.rows >= contacts) rowsAt = performance.now() - t0;
      return c.rows >= contacts && c.events >= contacts;
    }, 30 * 60_000);
    const ms = performance.now() - t0;
    console.log(`  (enrollment rows complete after ${(rowsAt / 1000).toFixed(2)} s, start events after ${(ms / 1000).toFixed(2)} s)`);
    // The same people requested again (new request ids): re-entry "once" makes it a no-op.
    await send("again");
    await waitFor("the repeated requests to finish", async () => {
      await executor.idle();
      const [r] = await h.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.runs where status not in ('completed', 'failed', 'cancelled')`;
      return r!.n === 0;
    }, 10 * 60_000);
    return { ms, again: await count() };
  } finally {
    await app.close();
    await executor.stop();
    await h.close();
  }
}

export async function benchFanout(db: BenchDatabase, opts: { contacts: number; reps: number; workers: number }): Promise<void> {
  const s = await seed(db, opts.contacts, opts.reps * 2);
  const ratios: number[] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    const copyMs = await copyBaseline(db, s, s.flowIds[rep * 2]!);
    const r = await fanOut(db, s, s.flowIds[rep * 2 + 1]!, opts.contacts, opts.workers);
    const ratio = r.ms / copyMs;
    ratios.push(ratio);
    const idempotent = r.again.rows === opts.contacts && r.again.events === opts.contacts;
    console.log(
      `  rep ${rep + 1}: fan-out ${(r.ms / 1000).toFixed(2)} s (${Math.round(opts.contacts / (r.ms / 1000))} enrollments/s), COPY ${(copyMs / 1000).toFixed(2)} s — ${ratio.toFixed(2)}× COPY; repeated: ${r.again.rows} rows, ${r.again.events} start events (${idempotent ? "idempotent" : "NOT idempotent"})`,
    );
    if (!idempotent) throw new Error("the repeated fan-out changed enrollments or start events");
  }
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  console.log(`BENCH fanout value=${median.toFixed(2)} unit=x_copy_time baseline=COPY of ${opts.contacts} enrollment rows ratio=${median.toFixed(2)} target<=3 contacts=${opts.contacts}`);
}
