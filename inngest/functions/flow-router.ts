import { NonRetriableError, type Inngest } from "inngest";
import type { Db } from "@/db/client";
import { enrollContacts, type EnrollCandidate, type Enrolled } from "@/db/queries/enrollments";
import { getLiveFlow, listLiveFlows, type LiveFlow } from "@/db/queries/flows";
import { now } from "@/lib/clock";
import { planSchema } from "@/lib/flows/plan";
import { triggerMatches, type TriggerOccurrence } from "@/lib/flows/triggers";
import {
  anniversaryReached,
  contactCreated,
  contactsImported,
  enrollmentStarted,
  enrollRequested,
  eventTracked,
  formSubmitted,
  segmentEntered,
  tagAdded,
} from "../events";
import type { FlowDeps } from "./deps";
import { eventData } from "./event-data";

/** Inngest accepts at most 5000 events per send. */
export const SEND_BATCH = 5000;

type Occurrence = { contactId: string; occurrence: TriggerOccurrence; trigger: Record<string, unknown>; sourceEventId: string };

/**
 * Trigger event → live flows whose plan trigger matches → enrollment rows (re-entry enforced by
 * the enrollments table) → one `flow/enrollment.started` per new enrollment, sent in batches.
 */
export function createFlowRouter(inngest: Inngest, deps: FlowDeps) {
  return inngest.createFunction(
    {
      id: "flow-router",
      name: "Flow router",
      triggers: [contactCreated, contactsImported, tagAdded, formSubmitted, eventTracked, segmentEntered, anniversaryReached, enrollRequested],
      retries: 6,
    },
    async ({ event, step }) => {
      const db = deps.db();
      // The start events go out from inside the step, so its output is a count, not a list that
      // could outgrow Inngest's 4 MB step output (5,000 contacts × several flows). A retried step
      // sends them again; their ids (`<enrollment>:0`) make the executor and the runner drop repeats.
      const r: { enrolled: number } | Enrolled[] = await step.run("enrol", async () => {
        const enrolled = await routeEvent(db, { name: event.name, id: event.id ?? "", data: event.data });
        for (let i = 0; i < enrolled.length; i += SEND_BATCH) await inngest.send(enrolled.slice(i, i + SEND_BATCH).map(startEvent));
        return { enrolled: enrolled.length };
      });
      if (!Array.isArray(r)) return r;
      // A run that began before this change memoized the list: send it as it did then.
      const listed = r as (Enrolled & { workspaceId: string })[];
      for (let i = 0; i < listed.length; i += SEND_BATCH) await step.sendEvent(`start-${i / SEND_BATCH}`, listed.slice(i, i + SEND_BATCH).map(startEvent));
      return { enrolled: listed.length };
    },
  );
}

/** The event that starts an enrollment's first run; its id and the runner's idempotency key name that run. */
function startEvent(e: Enrolled & { workspaceId: string }) {
  return {
    name: enrollmentStarted.name,
    id: `${e.enrollmentId}:0`,
    data: {
      workspaceId: e.workspaceId,
      enrollmentId: e.enrollmentId,
      flowVersionId: e.flowVersionId,
      contactId: e.contactId,
      ...(e.startNodeId ? { startNodeId: e.startNodeId } : {}),
      segment: 0,
      runKey: `${e.enrollmentId}:0`,
    },
  };
}

/** Pure of Inngest (callable from tests and the benchmark): the router's one step. */
export async function routeEvent(
  db: Db,
  event: { name: string; id: string; data: Record<string, unknown> },
): Promise<(Enrolled & { workspaceId: string })[]> {
  const at = now();
  const out: (Enrolled & { workspaceId: string })[] = [];
  const enrol = async (workspaceId: string, flow: LiveFlow, items: Occurrence[], opts: { startNodeId?: string; migration?: boolean } = {}) => {
    const candidates: EnrollCandidate[] = items.map((o) => ({ contactId: o.contactId, trigger: o.trigger, sourceEventId: o.sourceEventId }));
    const rows = await enrollContacts(db, {
      workspaceId,
      flowId: flow.flowId,
      flowVersionId: flow.flowVersionId,
      reentry: flow.reentry,
      reentryAfterDays: flow.reentryAfterDays,
      startNodeId: opts.startNodeId ?? null,
      ignoreHistory: opts.migration,
      now: at,
      candidates,
    });
    for (const r of rows) out.push({ ...r, workspaceId });
  };

  // Events aimed at one flow: manual/API enrolment, migration, and the anniversary cron.
  if (event.name === enrollRequested.name) {
    const d = eventData(event, enrollRequested);
    const flow = await getLiveFlow(db, { workspaceId: d.workspaceId, flowId: d.flowId });
    if (!flow) return [];
    const plan = planSchema.parse(flow.plan);
    if (d.startNodeId !== undefined && !plan.nodes[d.startNodeId]) throw new Error(`node ${d.startNodeId} is not in the current version`);
    const items = d.contactIds.map((contactId) => ({ contactId, occurrence: { kind: "manual-enrol" as const }, trigger: d.trigger ?? {}, sourceEventId: event.id }));
    await enrol(d.workspaceId, flow, items, { startNodeId: d.startNodeId, migration: d.migration });
    return out;
  }
  if (event.name === anniversaryReached.name) {
    const d = eventData(event, anniversaryReached);
    const flow = await getLiveFlow(db, { workspaceId: d.workspaceId, flowId: d.flowId });
    if (!flow) return [];
    const plan = planSchema.parse(flow.plan);
    const items = d.contacts
      .map((c) => ({ contactId: c.contactId, occurrence: { kind: "date-anniversary" as const, attribute: d.attribute }, trigger: { date: c.date }, sourceEventId: `anniversary:${c.date}` }))
      .filter((o) => triggerMatches(plan.trigger, o.occurrence));
    await enrol(d.workspaceId, flow, items);
    return out;
  }

  const { workspaceId, items } = occurrencesOf(event);
  if (items.length === 0) return out;
  const flows = await listLiveFlows(db, { workspaceId, triggerKind: items[0]!.occurrence.kind });
  for (const flow of flows) {
    const parsed = planSchema.safeParse(flow.plan);
    // A plan this code cannot read is a deploy-order problem, not the contact's: skip that flow.
    if (!parsed.success) continue;
    const matching = items.filter((o) => triggerMatches(parsed.data.trigger, o.occurrence));
    if (matching.length > 0) await enrol(workspaceId, flow, matching);
  }
  return out;
}

function occurrencesOf(event: { name: string; id: string; data: Record<string, unknown> }): { workspaceId: string; items: Occurrence[] } {
  const one = (contactId: string, occurrence: TriggerOccurrence, trigger: Record<string, unknown>) => [
    { contactId, occurrence, trigger, sourceEventId: event.id },
  ];
  switch (event.name) {
    case contactCreated.name: {
      const d = eventData(event, contactCreated);
      return { workspaceId: d.workspaceId, items: one(d.contactId, { kind: "contact-created", source: d.source }, {}) };
    }
    case contactsImported.name: {
      const d = eventData(event, contactsImported);
      return {
        workspaceId: d.workspaceId,
        // Each contact keeps the source id a `contact/created` of its own would have carried.
        items: d.contactIds.map((contactId) => ({ contactId, occurrence: { kind: "contact-created" as const, source: d.source }, trigger: {}, sourceEventId: `contact-created:${contactId}` })),
      };
    }
    case tagAdded.name: {
      const d = eventData(event, tagAdded);
      return { workspaceId: d.workspaceId, items: one(d.contactId, { kind: "tag-added", tag: d.tag }, { tag: d.tag }) };
    }
    case formSubmitted.name: {
      const d = eventData(event, formSubmitted);
      return { workspaceId: d.workspaceId, items: one(d.contactId, { kind: "form-submitted", formId: d.formId }, d.fields ?? {}) };
    }
    case eventTracked.name: {
      const d = eventData(event, eventTracked);
      // The trigger payload is the event's properties: correlation paths point into them.
      return {
        workspaceId: d.workspaceId,
        items: one(d.contactId, { kind: "event-tracked", event: d.name, properties: d.properties }, d.properties),
      };
    }
    case segmentEntered.name: {
      const d = eventData(event, segmentEntered);
      return {
        workspaceId: d.workspaceId,
        items: d.contactIds.map((contactId) => ({
          contactId,
          occurrence: { kind: "segment-entered" as const, segmentId: d.segmentId },
          trigger: { segmentId: d.segmentId },
          sourceEventId: event.id,
        })),
      };
    }
    default:
      throw new NonRetriableError(`the flow router does not handle ${event.name}`);
  }
}
