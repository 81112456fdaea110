import { signedBody } from "@/inngest/keys";
import { parseFunctionConfigs } from "../config";
import { nextCronTime, parseCron } from "../cron";
import { syncReply } from "../protocol";
import { ulid } from "../ulid";
import { toFn, type EngineContext } from "./context";
import { claimKey, createRun } from "./ingest";
import * as q from "./statements";

/** Syncing apps (the functions they serve) and firing the crons of those functions. */

/** In-band sync (docs/inngest-protocol.md#sync): PUT the app, store its function configs. */
export async function syncApp(ctx: EngineContext, serveUrl: string): Promise<{ appId: string; functions: string[] }> {
  let res: Response;
  const signed = signedBody(ctx.opts.signingKey, { url: serveUrl });
  try {
    res = await fetch(serveUrl, {
      method: "PUT",
      headers: {
        "content-type": "application/json",
        "x-inngest-sync-kind": "in_band",
        "x-inngest-server-kind": "cloud",
        "x-inngest-signature": signed.signature,
      },
      body: signed.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the app at ${serveUrl}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`sync of ${serveUrl} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  if (res.headers.get("x-inngest-sync-kind") !== "in_band")
    throw new Error(`the app at ${serveUrl} did not sync in-band (INNGEST_ALLOW_IN_BAND_SYNC=0?); it registers through /fn/register instead`);
  const reply = syncReply.parse(JSON.parse(text));
  return register(ctx, serveUrl, reply.app_id ?? reply.appName ?? "app", reply.functions);
}

/** Stores an app's functions (in-band reply or out-of-band /fn/register). Throws on anything unsupported. */
export async function register(
  ctx: EngineContext,
  appUrl: string,
  appId: string,
  rawFunctions: unknown,
): Promise<{ appId: string; functions: string[] }> {
  const configs = parseFunctionConfigs(rawFunctions);
  const now = ctx.now();
  await ctx.sql.begin(async (tx) => {
    const ids = configs.map((c) => c.id);
    await q.dropFunctionsExcept(tx, appUrl, ids);
    await q.dropCronsOfFunctionsExcept(tx, appUrl, ids);
    for (const c of configs) {
      await q.upsertFunction(tx, c, appUrl, now);
      const crons = c.triggers.flatMap((t) => ("cron" in t ? [t.cron] : []));
      await q.dropCronsExcept(tx, c.id, crons);
      for (const cron of crons) await q.insertCron(tx, c.id, cron, nextCronTime(parseCron(cron), now));
    }
  });
  for (const [id, f] of ctx.fns) if (f.appUrl === appUrl) ctx.fns.delete(id);
  for (const c of configs) ctx.fns.set(c.id, toFn(c, appUrl));
  ctx.cron.nextAt = 0;
  ctx.synced.set(appId, { functions: configs.length, syncedAt: new Date().toISOString() });
  ctx.wake();
  return { appId, functions: configs.map((c) => c.id) };
}

/**
 * Starts a run for each cron that is due (once per window, across executors, by a dedupe key);
 * returns how many were due. A missed window fires once, then the schedule resumes from now.
 */
export async function fireCrons(ctx: EngineContext): Promise<number> {
  const now = ctx.now();
  // Known next fire time, re-read every few seconds in case another executor synced.
  if (now < ctx.cron.nextAt && Date.now() - ctx.cron.checkedAt < 5000) return 0;
  ctx.cron.checkedAt = Date.now();
  return ctx.sql.begin(async (tx) => {
    const due = await q.dueCrons(tx, now);
    for (const d of due) {
      const fn = ctx.fns.get(d.fn_id);
      if (!fn) continue;
      const at = Number(d.next_at);
      await q.advanceCron(tx, d.fn_id, d.cron, nextCronTime(parseCron(d.cron), Math.max(at, now)));
      if (!(await claimKey(tx, `c:${d.fn_id}:${d.cron}:${at}`, now))) continue;
      await createRun(tx, fn, { id: ulid(at), name: "inngest/scheduled.timer", data: { cron: d.cron }, ts: at }, now);
    }
    const [next] = await q.nextCronAt(tx);
    ctx.cron.nextAt = next?.at == null ? Infinity : Number(next.at);
    return due.length;
  });
}
