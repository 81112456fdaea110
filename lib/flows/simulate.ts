import { assertNever, nodeCatalog } from "./catalog";
import {
  evaluateCondition,
  eventMatches,
  waitForEventMatches,
  type ConditionContext,
  type EmailEngagement,
  type TrackedEvent,
} from "./conditions";
import { formatDuration } from "./duration";
import { getPath } from "./filters";
import { isTriggerNode, type Plan, type PlanNode, type PlanNodeOf } from "./plan";
import { pickSplitBranch } from "./split";
import { attributeInstant, isValidTimeZone, nextWindowStart, wallTime } from "./time-zones";

/**
 * The editor's dry run: the path one contact would take through a plan, fast-forwarding time.
 * Pure and deterministic; every rule it applies (condition evaluation, split hashing, window
 * arithmetic, wait-for-event matching and look-back) is the same exported function the runner
 * uses, so a dry run and a real run of the same inputs agree.
 */

type Instant = Date | string | number;

export type SimContact = {
  id: string;
  attributes?: Record<string, unknown>;
  tags?: string[];
  segments?: string[];
  /** IANA zone; missing or invalid falls back to the node's zone, then the workspace default, then UTC. */
  timeZone?: string | null;
  /** Opens and clicks, by template; a send node's email counts once it was sent in this run. */
  emails?: { templateId: string | null; action: "opened" | "clicked"; at: Instant }[];
  /**
   * The contact's own fields, which conditions read as attributes (the attributes win on a
   * clash), as the runner's condition step does; waits read only the attributes.
   */
  fields?: { email?: string | null; firstName?: string | null; lastName?: string | null };
};

/**
 * What a send-email node does at `at`: send, skip ("Not sent: …") or defer until the sending
 * policy allows. `sends` are the sends this dry run made so far (for the frequency cap).
 * Without a gate every send goes out. lib/dry-run builds one from the contact's consent and the
 * workspace's sending policy with the runner's own rules.
 */
export type SimSendDecision = { kind: "send" } | { kind: "skip"; detail: string } | { kind: "defer"; until: number; detail: string };
export type SimSendGate = (q: {
  templateId: string;
  at: number;
  sends: readonly { templateId: string; at: number }[];
  /** The node's send-within limit and when the contact reached it: a deferral past it is a skip. */
  sendWithinHours: number | null;
  reachedAt: number;
}) => SimSendDecision;

export type SimEvent = { name: string; at: Instant; properties?: Record<string, unknown> };

export type SimClock = {
  /** When the contact enters. */
  start: Instant;
  /** Stop looking after this instant: a wait that ends later leaves the contact "waiting". */
  until?: Instant;
};

export type SimOptions = {
  /** The trigger payload (for correlation); defaults to the latest matching event at or before start. */
  trigger?: Record<string, unknown>;
  /** Enter at this node instead of the trigger (continue-as-new, version migration). */
  startNodeId?: string;
  /** The workspace's default zone for contacts without one. */
  defaultTimeZone?: string;
  /** Consent and sending policy at each send (see SimSendGate). */
  sendGate?: SimSendGate;
  /** The workspace's members now (user ids): a notify-team node skips chosen ones not among them. Absent: all still are. */
  members?: readonly string[];
};

export type SimStep = {
  nodeId: string;
  kind: PlanNode["kind"];
  /** When the contact reached the node (ISO). */
  at: string;
  /** When it left, for nodes that waited. */
  until?: string;
  /** The exit taken; null when the path stops here. */
  exit: string | null;
  outcome: string;
  detail: string;
};

export type SimEndedBy = "exit" | "goal" | "end" | "visit-cap";
export type SimResult = { steps: SimStep[]; endedBy: SimEndedBy; endedAt: string };

const toMs = (t: Instant): number => {
  const ms = t instanceof Date ? t.getTime() : typeof t === "number" ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new RangeError(`simulate: invalid time ${String(t)}`);
  return ms;
};
const iso = (ms: number) => new Date(ms).toISOString();
/** A send deferred this many slots in a row is left waiting (the runner would go on trying). */
const MAX_DEFERRALS = 1000;

/**
 * The earliest event a wait-for-event may take. Matches the runner: an event counts if it
 * happened after the enrollment began (the runner looks back in the events table before
 * waiting, because step.waitForEvent cannot), and, when the node is visited again on a loop,
 * after the previous visit resumed — so one event cannot satisfy the same wait twice.
 */
export function waitLookbackStart(enrolledAt: number, previousResumeAt: number | null): number {
  return Math.max(enrolledAt, previousResumeAt ?? -Infinity);
}

export function simulate(plan: Plan, contact: SimContact, events: readonly SimEvent[], clock: SimClock, options: SimOptions = {}): SimResult {
  const start = toMs(clock.start);
  const until = clock.until === undefined ? Infinity : toMs(clock.until);
  const timeline: TrackedEvent[] = events
    .map((e) => ({ name: e.name, at: toMs(e.at), properties: e.properties ?? {} }))
    .sort((a, b) => a.at - b.at);

  const state = {
    attributes: { ...(contact.attributes ?? {}) },
    tags: [...(contact.tags ?? [])],
    segments: [...(contact.segments ?? [])],
  };
  const sends = new Map<string, { templateId: string; at: number }>();
  const sent: { templateId: string; at: number }[] = [];
  const triggerPayload = options.trigger ?? defaultTriggerPayload(plan, timeline, start);
  const steps: SimStep[] = [];
  const visits = new Map<string, number>();
  const lastResume = new Map<string, number>();
  const goals = Object.values(plan.nodes).filter((n): n is PlanNodeOf<"goal"> => n.kind === "goal" && n.config.event !== null);

  let now = start;
  let nodeId: string | undefined = options.startNodeId ?? plan.trigger.nodeId;

  const zoneFor = (fallback: string | null = null): string => {
    for (const z of [contact.timeZone, fallback, options.defaultTimeZone]) if (z && isValidTimeZone(z)) return z;
    return "UTC";
  };

  const context = (): ConditionContext => {
    const emails: EmailEngagement[] = [];
    for (const e of contact.emails ?? []) {
      const at = toMs(e.at);
      emails.push({ action: e.action, at, templateId: e.templateId, sendNodeId: null });
      // The runner knows which send produced an open from its correlation tags; here a send
      // node owns an engagement with its template that came after it sent.
      for (const [sendNodeId, s] of sends) {
        if (s.templateId === e.templateId && at >= s.at) emails.push({ action: e.action, at, templateId: e.templateId, sendNodeId });
      }
    }
    return {
      contact: {
        id: contact.id,
        attributes: { email: contact.fields?.email, firstName: contact.fields?.firstName, lastName: contact.fields?.lastName, ...state.attributes },
        tags: state.tags,
        segments: state.segments,
        timeZone: contact.timeZone ?? null,
      },
      events: timeline,
      emails,
      now,
    };
  };

  /** The first goal event in (from, to], which ends the run wherever the contact is waiting. */
  const goalDuring = (from: number, to: number) => {
    let best: { node: PlanNodeOf<"goal">; event: TrackedEvent } | null = null;
    for (const node of goals) {
      const goal = node.config.event!;
      const hit = timeline.find((e) => e.at > from && e.at <= to && e.at > start && eventMatches(e, goal.name, goal.filters));
      if (hit && (!best || hit.at < best.event.at)) best = { node, event: hit };
    }
    return best;
  };

  const finish = (endedBy: SimEndedBy): SimResult => ({ steps, endedBy, endedAt: iso(now) });

  const record = (node: PlanNode, fields: Omit<SimStep, "nodeId" | "kind" | "at">, at = now) =>
    steps.push({ nodeId: node.id, kind: node.kind, at: iso(at), ...fields });

  /**
   * Advance to `resumeAt` for a waiting node. Returns how the run ended if it ended during the
   * wait (a goal event, or the horizon), having recorded why; null when the contact moves on.
   */
  const wait = (node: PlanNode, resumeAt: number, exit: string, outcome: string, detail: string): SimEndedBy | null => {
    const goal = goalDuring(now, Math.min(resumeAt, until));
    if (goal) {
      const name = goal.node.config.name;
      record(node, { until: iso(goal.event.at), exit: null, outcome: "interrupted", detail: `${detail}; left for goal "${name}"` });
      now = goal.event.at;
      record(goal.node, { exit: null, outcome: "goal", detail: `Goal "${name}" reached: ${goal.event.name} at ${iso(now)}` });
      return "goal";
    }
    if (resumeAt > until) {
      record(node, { until: iso(resumeAt), exit: null, outcome: "waiting", detail: `${detail}; still waiting when the simulation ends` });
      now = until;
      return "end";
    }
    record(node, { ...(resumeAt > now ? { until: iso(resumeAt) } : {}), exit, outcome, detail });
    now = Math.max(now, resumeAt);
    lastResume.set(node.id, now);
    return null;
  };

  while (nodeId !== undefined) {
    const node: PlanNode | undefined = plan.nodes[nodeId];
    if (!node) return finish("end");
    const visit = (visits.get(node.id) ?? 0) + 1;
    if (visit > node.maxVisits) {
      record(node, { exit: null, outcome: "visit-cap", detail: `Visited ${node.maxVisits} times already; the run stops here` });
      return finish("visit-cap");
    }
    visits.set(node.id, visit);
    const step = (exit: string | null, outcome: string, detail: string) => {
      record(node, { exit, outcome, detail });
      return exit;
    };
    if (isTriggerNode(node)) {
      // Every trigger enrols alike (the catalog's group says which kinds are triggers).
      step("next", "enrolled", `Entered: ${nodeCatalog[node.kind].label}`);
      nodeId = node.next.next;
      continue;
    }
    let exit: string | null = null;
    let ended: SimEndedBy | null = null;

    switch (node.kind) {
      case "delay": {
        ended = wait(node, now + node.config.durationMs, "next", "waited", `Waited ${formatDuration(node.config.durationMs)}`);
        exit = "next";
        break;
      }
      case "wait-until": {
        const zone = zoneFor();
        let target: number | null;
        let what: string;
        if (node.config.mode === "date") {
          target = toMs(node.config.at);
          what = node.config.at;
        } else {
          const base = attributeInstant(state.attributes[node.config.attribute], zone, node.config.time);
          target = base === null ? null : base + node.config.offsetMs;
          const { attribute, offsetMs } = node.config;
          what = offsetMs === 0 ? attribute : `${attribute} ${offsetMs > 0 ? "+" : "-"} ${formatDuration(Math.abs(offsetMs))}`;
        }
        if (target === null) {
          exit = step("next", "continued", `${what} has no usable date; continued at once`);
        } else if (target <= now) {
          exit = step("next", "continued", `${what} (${iso(target)}) has passed; continued at once`);
        } else {
          ended = wait(node, target, "next", "waited", `Waited until ${what} (${iso(target)})`);
          exit = "next";
        }
        break;
      }
      case "wait-window": {
        const zone = zoneFor(node.config.timeZone);
        const opens = nextWindowStart(now, node.config, zone);
        const window = `${node.config.days.join(", ")} ${node.config.from}–${node.config.to} ${zone}`;
        if (opens === now) {
          exit = step("next", "continued", `Inside ${window}; continued at once`);
        } else {
          const local = wallTime(opens, zone);
          const detail = `Waited for ${window} (opens ${local.weekday} ${pad(local.hour)}:${pad(local.minute)} local)`;
          ended = wait(node, opens, "next", "waited", detail);
          exit = "next";
        }
        break;
      }
      case "wait-for-event": {
        const from = waitLookbackStart(start, lastResume.get(node.id) ?? null);
        const deadline = now + node.config.timeoutMs;
        const hit = timeline.find((e) => e.at > from && e.at <= deadline && waitForEventMatches(node.config, e, triggerPayload));
        const { correlate } = node.config;
        const expected = correlate ? JSON.stringify(getPath(triggerPayload, correlate.triggerProperty) ?? null) : "";
        const correlation = correlate ? ` with ${correlate.eventProperty} = ${expected}` : "";
        if (hit) {
          const detail = `${node.config.event}${correlation} happened at ${iso(hit.at)}`;
          ended = wait(node, Math.max(now, hit.at), "matched", "matched", detail);
          exit = "matched";
        } else {
          const detail = `No ${node.config.event}${correlation} within ${formatDuration(node.config.timeoutMs)}`;
          ended = wait(node, deadline, "timeout", "timeout", detail);
          exit = "timeout";
        }
        break;
      }
      case "condition": {
        exit = evaluateCondition(node.config, context());
        const branch = node.config.mode === "branches" ? node.config.branches.find((b) => `branch:${b.id}` === exit) : undefined;
        const label = branch?.label ?? exit;
        step(exit, exit, `Took "${label}"`);
        break;
      }
      case "random-split": {
        const branch = pickSplitBranch(contact.id, node.id, node.config.branches);
        const total = node.config.branches.reduce((s, b) => s + b.weight, 0);
        exit = step(`split:${branch.id}`, `split:${branch.id}`, `Branch "${branch.label}" (weight ${branch.weight} of ${total})`);
        break;
      }
      case "send-email": {
        // As the runner: ask, and while the sending policy defers, sleep until the slot and ask
        // again (consent is checked again at each try too).
        const { templateId, sendWithinHours } = node.config;
        const reachedAt = now;
        let at = now;
        let decision = options.sendGate?.({ templateId, at, sends: sent, sendWithinHours, reachedAt }) ?? { kind: "send" };
        const deferred: string[] = [];
        for (let tries = 0; decision.kind === "defer" && tries < MAX_DEFERRALS; tries++) {
          deferred.push(decision.detail);
          at = Math.max(at, decision.until);
          decision = options.sendGate?.({ templateId, at, sends: sent, sendWithinHours, reachedAt }) ?? { kind: "send" };
        }
        const before = deferred.length > 0 ? `${deferred[deferred.length - 1]}; then ` : "";
        const outcome = decision.kind === "skip" ? "skipped" : "sent";
        const detail = decision.kind === "skip" ? `${before}${decision.detail}` : `${before}Would send template ${templateId} at ${iso(at)}`;
        if (decision.kind === "defer") {
          // Still deferred after MAX_DEFERRALS slots: shown as waiting at the send.
          record(node, { exit: null, outcome: "waiting", detail: `${detail}; still deferred` });
          ended = "end";
          break;
        }
        if (at > now) {
          ended = wait(node, at, "next", outcome, detail);
          if (ended) break;
        } else {
          step("next", outcome, detail);
        }
        if (decision.kind === "send") {
          sends.set(node.id, { templateId, at: now });
          sent.push({ templateId, at: now });
        }
        exit = "next";
        break;
      }
      case "add-tag": {
        // "unchanged" when the contact has it already, as the runner records it.
        const had = state.tags.some((t) => t.toLowerCase() === node.config.tag.toLowerCase());
        if (!had) state.tags.push(node.config.tag);
        exit = step("next", had ? "unchanged" : "done", `Would add tag "${node.config.tag}"${had ? " (already there)" : ""}`);
        break;
      }
      case "remove-tag": {
        const had = state.tags.some((t) => t.toLowerCase() === node.config.tag.toLowerCase());
        state.tags = state.tags.filter((t) => t.toLowerCase() !== node.config.tag.toLowerCase());
        exit = step("next", had ? "done" : "unchanged", `Would remove tag "${node.config.tag}"`);
        break;
      }
      case "update-attribute": {
        const { attribute, op, value } = node.config;
        if (op === "unset") delete state.attributes[attribute];
        else if (op === "set") state.attributes[attribute] = value ?? null;
        else {
          const current = Number(state.attributes[attribute] ?? 0);
          state.attributes[attribute] = (Number.isFinite(current) ? current : 0) + (typeof value === "number" ? value : 0);
        }
        exit = step("next", "done", `Would ${op} ${attribute}${op === "unset" ? "" : ` → ${JSON.stringify(state.attributes[attribute])}`}`);
        break;
      }
      case "webhook":
        exit = step("next", "done", `Would call ${node.config.method} ${node.config.url}`);
        break;
      case "notify-team": {
        const chosen = node.config.memberIds;
        const members = options.members ? new Set(options.members.map((m) => m.toLowerCase())) : null;
        const told = members ? chosen.filter((m) => members.has(m.toLowerCase())).length : chosen.length;
        const gone = chosen.length - told;
        const skipped = gone > 0 ? ` (${gone} no longer ${gone === 1 ? "a member" : "members"}, skipped)` : "";
        exit = step("next", "done", `Would notify ${told} ${told === 1 ? "member" : "members"}${skipped}`);
        break;
      }
      case "goal":
        step(null, "goal", `Goal "${node.config.name}" reached`);
        return finish("goal");
      case "exit":
        step(null, "exit", node.config.reason ? `Exited: ${node.config.reason}` : "Exited");
        return finish("exit");
      default:
        return assertNever(node, "node kind");
    }

    if (ended) return finish(ended);
    nodeId = exit === null ? undefined : node.next[exit];
    if (nodeId === undefined) return finish("end");
  }
  return finish("end");
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** For event triggers without an explicit payload: the latest matching event at or before entry. */
function defaultTriggerPayload(plan: Plan, timeline: readonly TrackedEvent[], start: number): Record<string, unknown> {
  if (plan.trigger.kind !== "event-tracked") return {};
  const { event, filters } = plan.trigger.config;
  const matches = timeline.filter((e) => e.at <= start && eventMatches(e, event, filters));
  return matches[matches.length - 1]?.properties ?? {};
}
