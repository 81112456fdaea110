import type { Inngest } from "inngest";
import type { Db } from "@/db/client";
import { contactsWithAttributePage } from "@/db/queries/contacts";
import { listLiveFlows, workspacesWithLiveTrigger } from "@/db/queries/flows";
import { now } from "@/lib/clock";
import { planSchema } from "@/lib/flows/plan";
import { isValidTimeZone, nextAnniversary } from "@/lib/flows/time-zones";
import { anniversaryReached } from "../events";
import type { FlowDeps } from "./deps";
import { SEND_BATCH } from "./flow-router";

/** The cron's period: each tick enrols anniversaries that fall in the period it closes. */
export const ANNIVERSARY_TICK_MS = 15 * 60_000;
const PAGE = 1000;

/**
 * Date-attribute triggers (birthdays, renewals): every 15 minutes, page through the contacts of
 * each live anniversary flow inside steps and hand the due ones to the router in events of at
 * most 5000. The router's enrollments are keyed by the anniversary's date, so a repeated tick or
 * a retried page never enrols twice in a year.
 */
export function createAnniversaryCron(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    { id: "flow-date-anniversary", name: "Date-anniversary triggers", triggers: [{ cron: "*/15 * * * *" }], retries: 3 },
    async ({ step }) => {
      const db = deps.db();
      const tick = await step.run("tick", () => Math.floor(now().getTime() / ANNIVERSARY_TICK_MS) * ANNIVERSARY_TICK_MS);
      const workspaces = await step.run("workspaces", () => workspacesWithLiveTrigger(db, { triggerKind: "date-anniversary" }));
      let sent = 0;
      for (const workspaceId of workspaces) {
        const flowIds = await step.run(`flows:${workspaceId}`, async () =>
          (await listLiveFlows(db, { workspaceId, triggerKind: "date-anniversary" })).map((f) => f.flowId),
        );
        for (const flowId of flowIds) {
          let afterId: string | null = null;
          for (let page = 0; ; page++) {
            const cursor: string | null = afterId;
            const r: { due: { contactId: string; date: string }[]; next: string | null; attribute: string } = await step.run(
              `page:${flowId}:${page}`,
              () => dueAnniversaries(db, { workspaceId, flowId, afterId: cursor, windowEnd: tick, limit: PAGE }),
            );
            for (let i = 0; i < r.due.length; i += SEND_BATCH) {
              await step.sendEvent(`enrol:${flowId}:${page}:${i / SEND_BATCH}`, {
                name: anniversaryReached.name,
                data: { workspaceId, flowId, attribute: r.attribute, contacts: r.due.slice(i, i + SEND_BATCH) },
              });
              sent += Math.min(SEND_BATCH, r.due.length - i);
            }
            if (r.next === null) break;
            afterId = r.next;
          }
        }
      }
      return { tick, sent };
    },
  );
}

/**
 * One page of a flow's contacts: those whose anniversary instant (offset and local time applied,
 * in their zone) falls in (windowEnd − tick, windowEnd].
 */
export async function dueAnniversaries(
  db: Db,
  q: { workspaceId: string; flowId: string; afterId: string | null; windowEnd: number; limit: number; windowMs?: number },
): Promise<{ due: { contactId: string; date: string }[]; next: string | null; attribute: string }> {
  const flows = await listLiveFlows(db, { workspaceId: q.workspaceId, triggerKind: "date-anniversary" });
  const flow = flows.find((f) => f.flowId === q.flowId);
  const plan = flow ? planSchema.safeParse(flow.plan) : undefined;
  if (!plan?.success || plan.data.trigger.kind !== "date-anniversary") return { due: [], next: null, attribute: "" };
  const { attribute, offsetDays, time } = plan.data.trigger.config;
  const windowStart = q.windowEnd - (q.windowMs ?? ANNIVERSARY_TICK_MS);
  const rows = await contactsWithAttributePage(db, { workspaceId: q.workspaceId, attribute, afterId: q.afterId, limit: q.limit });
  const zoneDefault = "UTC";
  const due: { contactId: string; date: string }[] = [];
  for (const c of rows) {
    const zone = c.timeZone && isValidTimeZone(c.timeZone) ? c.timeZone : zoneDefault;
    const at = nextAnniversary(c.value, windowStart, offsetDays, time, zone);
    if (at !== null && at <= q.windowEnd) due.push({ contactId: c.id, date: new Date(at).toISOString().slice(0, 10) });
  }
  return { due, next: rows.length === q.limit ? rows[rows.length - 1]!.id : null, attribute };
}
