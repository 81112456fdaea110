import { z } from "zod";
import { mayReceive, type ConsentFacts } from "../consent/rules";
import { marketingDeferral, parseSendingPolicy } from "../email/policy";
import { heldPastLimit, sendWithinDeadline } from "../email/send-within";
import type { Plan } from "../flows/plan";
import { sentTemplates } from "../flows/plan";
import type { SimContact, SimEvent, SimOptions, SimSendGate } from "../flows/simulate";

/**
 * What the editor's dry run knows about a real contact: the whole state the runner reads when it
 * decides (docs/flows.md#the-dry-run). The server assembles it (lib/server/flows/dry-run.ts, the
 * route `flows/<id>/dry-run`), the browser validates it with this schema and turns it into
 * simulate()'s inputs with the runner's own rules (mayReceive, marketingDeferral).
 */

/** The most past events and engagements sent, as the runner's condition step reads them. */
export const DRY_RUN_EVENT_LIMIT = 5000;
/** The longest frequency-cap window (31 days): sends older than this never count. */
export const FREQUENCY_WINDOW_MAX_MS = 744 * 3_600_000;

const id = z.string().min(1).max(100);

/** What a plan makes the dry run look up: its templates, the event names it reads, its segments. */
export const dryRunQuerySchema = z.object({
  contact: z.uuid(),
  templates: z.array(z.uuid()).max(100).default([]),
  events: z.array(z.string().min(1).max(200)).max(100).default([]),
  segments: z.array(z.uuid()).max(100).default([]),
});
export type DryRunQuery = z.infer<typeof dryRunQuerySchema>;

export function planNeeds(plan: Plan): Omit<DryRunQuery, "contact"> {
  const events = new Set<string>();
  const segments = new Set<string>();
  if (plan.trigger.kind === "event-tracked") events.add(plan.trigger.config.event);
  if (plan.trigger.kind === "segment-entered") segments.add(plan.trigger.config.segmentId);
  for (const node of Object.values(plan.nodes)) {
    if (node.kind === "wait-for-event") events.add(node.config.event);
    if (node.kind === "goal" && node.config.event) events.add(node.config.event.name);
    if (node.kind === "condition") {
      const rules = node.config.mode === "yes-no" ? node.config.rules : node.config.branches.flatMap((b) => b.rules);
      for (const r of rules) {
        if (r.type === "event") events.add(r.event);
        if (r.type === "segment") segments.add(r.segmentId);
      }
    }
  }
  const uuid = z.uuid();
  return {
    templates: sentTemplates(plan).map((t) => t.templateId).filter((t) => uuid.safeParse(t).success),
    events: [...events].sort(),
    segments: [...segments].filter((s) => uuid.safeParse(s).success).sort(),
  };
}

const ledgerKind = z.enum(["opt_in", "single_opt_in", "confirmed", "withdrawn", "complaint", "erased"]);

export const dryRunFactsSchema = z.object({
  /** When the server read these facts (epoch ms): the dry run starts here. */
  at: z.number(),
  workspaceTimeZone: z.string().max(100),
  contact: z.object({
    id: z.uuid(),
    email: z.string().max(320),
    firstName: z.string().max(500).nullable(),
    lastName: z.string().max(500).nullable(),
    timeZone: z.string().max(100).nullable(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string().max(200)).max(10_000),
    /** Of the segments asked for, those the contact matches now (evaluated live, as the runner does). */
    segments: z.array(z.uuid()).max(100),
  }),
  /** Past events of the names the plan reads, oldest first. */
  events: z
    .array(z.object({ name: z.string().max(200), at: z.number(), properties: z.record(z.string(), z.unknown()) }))
    .max(DRY_RUN_EVENT_LIMIT),
  /** Human opens and clicks of the contact's mail (machine opens left out, as the runner does). */
  emails: z.array(z.object({ templateId: id.nullable(), action: z.enum(["opened", "clicked"]), at: z.number() })).max(DRY_RUN_EVENT_LIMIT),
  consent: z.object({
    status: z.enum(["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained", "erased"]),
    ledger: z.array(z.object({ id, kind: ledgerKind })).max(10_000),
    suppression: z.enum(["unsubscribed", "bounced", "complained", "erased", "manual"]).nullable(),
    postalAddress: z.string().max(2000).nullable(),
  }),
  /** The contact's state in each topic the plan's templates belong to (null: never asked). */
  topics: z.record(z.string(), z.boolean().nullable()),
  /** The plan's templates as they would be pinned now; a missing one cannot be sent. */
  templates: z.record(z.string(), z.object({ class: z.enum(["marketing", "transactional"]), topic: z.string().max(200).nullable() })),
  /** The contact's marketing sends in the last 31 days (epoch ms), for the frequency cap. */
  recentSends: z.array(z.number()).max(200),
  /** The workspace's sending policy (frequency cap, quiet hours) as stored. */
  sendingPolicy: z.unknown(),
  /** The workspace's members now (user ids): a notify-team node tells only those still among them. */
  members: z.array(z.uuid()).max(10_000),
});
export type DryRunFacts = z.infer<typeof dryRunFactsSchema>;

/**
 * The send step's decisions, from the facts: the consent rules with the template's class and
 * topic (a refusal is "Not sent: <reason>", as the runner records it), then for marketing mail
 * the sending policy over the contact's recent sends and this dry run's own.
 */
export function sendGate(facts: DryRunFacts): SimSendGate {
  const policy = parseSendingPolicy(facts.sendingPolicy);
  const zone = facts.contact.timeZone ?? facts.workspaceTimeZone;
  return ({ templateId, at, sends, sendWithinHours, reachedAt }) => {
    const template = facts.templates[templateId];
    if (!template) return { kind: "skip", detail: `Not sent: template ${templateId} is not pinned by this flow version: publish the flow again` };
    const consent: ConsentFacts = {
      ...facts.consent,
      ...(template.topic ? { topic: { key: template.topic, subscribed: facts.topics[template.topic] ?? null } } : {}),
    };
    const decision = mayReceive(template.class, consent);
    if (!decision.allowed) return { kind: "skip", detail: `Not sent: ${decision.reason}` };
    if (template.class !== "marketing") return { kind: "send" };
    const own = sends.filter((s) => facts.templates[s.templateId]?.class === "marketing").map((s) => s.at);
    const deferral = marketingDeferral(policy, { now: at, timeZone: zone, recentSends: [...facts.recentSends, ...own] });
    if (!deferral) return { kind: "send" };
    // Held past the node's send-within limit: skipped, as the runner's send step decides.
    const deadline = sendWithinDeadline(reachedAt, sendWithinHours);
    const late = heldPastLimit({ hours: sendWithinHours, deadline, at, until: deferral.until, detail: deferral.detail });
    return late !== null ? { kind: "skip", detail: late } : { kind: "defer", ...deferral };
  };
}

/** simulate()'s contact, past events and options from the facts. */
export function simInputs(facts: DryRunFacts): { contact: SimContact; events: SimEvent[]; options: SimOptions } {
  const c = facts.contact;
  return {
    contact: {
      id: c.id,
      attributes: c.attributes,
      tags: c.tags,
      segments: c.segments,
      timeZone: c.timeZone,
      emails: facts.emails,
      fields: { email: c.email, firstName: c.firstName, lastName: c.lastName },
    },
    events: facts.events,
    options: { defaultTimeZone: facts.workspaceTimeZone, sendGate: sendGate(facts), members: facts.members },
  };
}
