import { createServer, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph, type E, type N } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { createTopic, setContactTopics } from "@/db/queries/consent";
import { addContactTag } from "@/db/queries/contacts";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { insertEvent } from "@/db/queries/events";
import { createSegment } from "@/db/queries/segments";
import { contacts, emailEvents, messages, templates, workspaces } from "@/db/schema/index";
import { env } from "@/lib/env";
import { planNeeds, simInputs } from "@/lib/dry-run/facts";
import { simulate } from "@/lib/flows/simulate";
import { definitionSchema } from "@/lib/segments/definition";
import { loadDryRunFacts } from "@/lib/server/flows/dry-run";
import { webhookTestRoute } from "./webhook-test-route";

/**
 * The dry run sees what the runner sees: for random contacts (attributes, tags, time zones,
 * segments, past events, human and machine opens, consent, topics) in random workspaces (frequency
 * cap, quiet hours) and random published flows using every node kind, the path simulate() takes
 * from the facts the dry-run route serves equals the path the real runner takes on the virtual
 * clock, node by node: ids, exits and outcomes, read from enrollment_steps.
 *
 * Replay a failure with the seed it printed: TILLIT_PROPERTY_SEED=<seed> (and
 * TILLIT_PROPERTY_CASES=<n> for more or fewer cases).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SEED = env().TILLIT_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31);
const CASES = env().TILLIT_PROPERTY_CASES;
const CONTACTS_PER_FLOW = 5;

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof rng>;

let h: FlowHarness;
let hook: Server;

beforeAll(async () => {
  hook = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  const addr = hook.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  h = await startFlowHarness({ webhookRoute: webhookTestRoute({ hosts: ["hooks.example.com"], port }) });
});

afterAll(async () => {
  await h?.stop();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
});

const ZONES = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "UTC", null, "Not/A_Zone"] as const;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const hh = (n: number) => `${String(n).padStart(2, "0")}:00`;

/** `member`: the workspace's owner, for notify-team nodes; `capped`: the workspace has a frequency cap. */
type Ids = { t1: string; t2: string; t3: string; segment: string; member: string; capped: boolean };

/**
 * A random flow: a chain of random nodes from the trigger, each branching node's other exits
 * ending in exits of their own. Times are whole hours from an entry at :20 past the hour and
 * boundaries (windows, quiet hours) fall on the hour, events at :50, so the runner's few
 * milliseconds of lateness never decide a path.
 */
function randomFlow(r: Rng, ids: Ids, base: number): { nodes: N[]; edges: E[] } {
  const nodes: N[] = [["t", "manual-enrol"]];
  const edges: E[] = [];
  let prev = "t";
  let prevExit = "next";
  const length = r.int(2, 7);
  const sends: string[] = [];
  let n = 0;
  const sideExit = (from: string, handle: string) => {
    const id = `x${n++}`;
    nodes.push([id, "exit", { reason: `${from} ${handle}` }]);
    edges.push([from, handle, id]);
  };
  for (let i = 0; i < length; i++) {
    const id = `n${i}`;
    const kind = r.pick([
      "delay",
      "wait-until",
      "wait-window",
      "wait-for-event",
      "condition",
      "condition",
      "random-split",
      "send-email",
      "send-email",
      "send-email",
      "add-tag",
      "remove-tag",
      "update-attribute",
      "webhook",
      "notify-team",
    ] as const);
    let next = "next";
    switch (kind) {
      case "delay":
        nodes.push([id, kind, { durationMs: r.int(1, 30) * HOUR }]);
        break;
      case "wait-until":
        nodes.push(
          r.chance(0.5)
            ? [id, kind, { mode: "attribute", attribute: "renewal", offsetMs: r.int(-2, 2) * DAY, time: "09:30" }]
            : [id, kind, { mode: "date", at: new Date(base + r.int(-5, 40) * HOUR + 20 * MINUTE).toISOString() }],
        );
        break;
      case "wait-window": {
        const from = r.int(0, 22);
        const days = DAYS.filter(() => r.chance(0.6));
        nodes.push([id, kind, { days: days.length ? days : ["wed"], from: hh(from), to: hh(r.int(from + 1, 23)), timeZone: r.pick([null, "Asia/Tokyo", "America/New_York"]) }]);
        break;
      }
      case "wait-for-event":
        nodes.push([id, kind, { event: "Order Completed", filters: r.chance(0.4) ? [{ property: "total", op: "gt", value: 50 }] : [], timeoutMs: r.int(1, 48) * HOUR }]);
        sideExit(id, r.chance(0.5) ? "timeout" : "matched");
        next = edges[edges.length - 1]![1] === "timeout" ? "matched" : "timeout";
        break;
      case "condition": {
        const rule = () =>
          r.pick([
            { type: "tag", tag: r.pick(["vip", "beta", "new"]), has: r.chance(0.5) },
            { type: "attribute", attribute: r.pick(["plan", "score", "firstName"]), op: r.pick(["eq", "neq", "gt", "exists"]), value: r.pick(["pro", 3, "Ada"]) },
            { type: "segment", segmentId: ids.segment, member: r.chance(0.7) },
            { type: "event", event: r.pick(["Viewed", "Order Completed"]), withinMs: r.pick([null, 12 * HOUR, 3 * DAY]) },
            { type: "email", action: r.pick(["opened", "clicked"]), templateId: r.pick([ids.t1, null]), sendNodeId: null },
            ...(sends.length ? [{ type: "email", action: "opened", sendNodeId: r.pick(sends), templateId: null }] : []),
          ]);
        const rules = Array.from({ length: r.int(1, 3) }, rule).map((x) =>
          x.type === "attribute" && x.op === "exists" ? { type: x.type, attribute: x.attribute, op: x.op } : x.type === "attribute" && x.op === "gt" ? { ...x, value: 3 } : x,
        );
        if (r.chance(0.5)) {
          nodes.push([id, kind, { mode: "yes-no", match: r.pick(["all", "any"]), rules }]);
          next = r.pick(["yes", "no"]);
          sideExit(id, next === "yes" ? "no" : "yes");
        } else {
          nodes.push([id, kind, { mode: "branches", branches: [{ id: "a", label: "A", match: "any", rules }, { id: "b", label: "B", match: "all", rules: [rule()].map((x) => (x.type === "attribute" ? { type: "tag", tag: "vip", has: true } : x)) }] }]);
          next = r.pick(["branch:a", "branch:b", "else"]);
          for (const hnd of ["branch:a", "branch:b", "else"]) if (hnd !== next) sideExit(id, hnd);
        }
        break;
      }
      case "random-split": {
        const count = r.int(2, 3);
        const branches = Array.from({ length: count }, (_, k) => ({ id: `b${k}`, label: `B${k}`, weight: r.int(1, 100) }));
        nodes.push([id, kind, { branches }]);
        next = `split:${r.pick(branches).id}`;
        for (const b of branches) if (`split:${b.id}` !== next) sideExit(id, `split:${b.id}`);
        break;
      }
      case "send-email":
        // A send-within limit only without a frequency cap: a cap's slot is a prior send plus whole
        // hours plus 1 ms, and can fall within the runner's milliseconds of lateness of the limit.
        // Quiet hours' slots fall on the hour, never that close to it.
        nodes.push([id, kind, { templateId: r.pick([ids.t1, ids.t1, ids.t2, ids.t3]), sendWithinHours: !ids.capped && r.chance(0.5) ? r.int(1, 12) : null }]);
        sends.push(id);
        break;
      case "add-tag":
      case "remove-tag":
        nodes.push([id, kind, { tag: r.pick(["vip", "beta", "new"]) }]);
        break;
      case "update-attribute":
        nodes.push([id, kind, r.chance(0.5) ? { attribute: "score", op: "increment", value: r.int(1, 3) } : { attribute: "stage", op: r.pick(["set", "unset"]), value: "warm" }]);
        break;
      case "webhook":
        nodes.push([id, kind, { url: "http://hooks.example.com/dry-run", method: "POST" }]);
        break;
      case "notify-team":
        nodes.push([id, kind, { memberIds: [ids.member], message: "Hot lead" }]);
        break;
    }
    edges.push([prev, prevExit, id]);
    prev = id;
    prevExit = next;
  }
  // The end: a goal or an exit (every exit must lead somewhere).
  const end = r.pick(["goal", "exit"] as const);
  nodes.push(["end", end, end === "goal" ? { name: "Converted" } : { reason: "done" }]);
  edges.push([prev, prevExit, "end"]);
  return { nodes, edges };
}

describe("the dry run's facts", () => {
  it("reach only the workspace's own contacts, and leave machine opens out", async () => {
    const db = h.db.db;
    const a = await seedWorkspace(db, { contacts: 1 });
    const b = await seedWorkspace(db, { contacts: 1 });
    const at = new Date(h.clock.nowMs());
    const other = await loadDryRunFacts(db, { workspaceId: a.workspace.id, contact: b.contacts[0]!.id, templates: [], events: [], segments: [], at });
    expect(other).toBeUndefined();
    const c = a.contacts[0]!;
    const [m] = await db
      .insert(messages)
      .values({ workspaceId: a.workspace.id, contactId: c.id, class: "marketing", toEmail: c.email, subject: "Hi", status: "sent", sentAt: new Date(at.getTime() - DAY) })
      .returning({ id: messages.id });
    await db.insert(emailEvents).values([
      { workspaceId: a.workspace.id, messageId: m!.id, contactId: c.id, type: "opened", machine: true, dedupeKey: randomUUID(), occurredAt: new Date(at.getTime() - HOUR) },
      { workspaceId: a.workspace.id, messageId: m!.id, contactId: c.id, type: "clicked", machine: false, dedupeKey: randomUUID(), occurredAt: new Date(at.getTime() - HOUR) },
    ]);
    const own = await loadDryRunFacts(db, { workspaceId: a.workspace.id, contact: c.id, templates: [], events: [], segments: [], at });
    expect(own?.emails.map((e) => e.action)).toEqual(["clicked"]);
    expect(own?.recentSends).toEqual([at.getTime() - DAY]);
  });
});

type Case = { workspaceId: string; flowId: string; contactId: string; facts: NonNullable<Awaited<ReturnType<typeof loadDryRunFacts>>>; plan: Parameters<typeof simulate>[0] };

describe("the dry run and the runner agree", () => {
  it(`on ${CASES} random contacts and flows (seed ${SEED})`, { timeout: 600_000 }, async () => {
    console.log(`dry-run property test: seed ${SEED}, ${CASES} cases (replay: TILLIT_PROPERTY_SEED=${SEED})`);
    const r = rng(SEED);
    const db = h.db.db;
    // Enter at :20 past the hour (see randomFlow).
    const now0 = h.clock.nowMs();
    await h.ex.advanceClock(HOUR - (now0 % HOUR) + 20 * MINUTE);
    const base = h.clock.nowMs();

    const flowsNeeded = Math.ceil(CASES / CONTACTS_PER_FLOW);
    const cases: Case[] = [];
    const future: { at: number; workspaceId: string; contactId: string; name: string; properties: Record<string, unknown> }[] = [];
    const flowsMade: { workspaceId: string; flowId: string; contactIds: string[] }[] = [];
    for (let f = 0; f < flowsNeeded; f++) {
      const per = Math.min(CONTACTS_PER_FLOW, CASES - f * CONTACTS_PER_FLOW);
      const ws = await seedWorkspace(db, { contacts: per });
      const w = ws.workspace.id;
      const policy = r.pick([
        {},
        { frequencyCap: { max: r.int(1, 2), windowHours: r.int(1, 12) } },
        { quietHours: { start: hh(r.int(18, 23)), end: hh(r.int(5, 9)) } },
        { frequencyCap: { max: 1, windowHours: r.int(2, 8) }, quietHours: { start: hh(r.int(0, 23)), end: hh(r.int(0, 23)) } },
      ]);
      const quiet = (policy as { quietHours?: { start: string; end: string } }).quietHours;
      if (quiet && quiet.start === quiet.end) quiet.end = hh((Number(quiet.start.slice(0, 2)) + 1) % 24);
      await db.update(workspaces).set({ sendingPolicy: policy, timeZone: r.pick(["Europe/Oslo", "America/New_York", "Asia/Tokyo"]) }).where(eq(workspaces.id, w));
      await createTopic(db, { workspaceId: w, key: "news", name: "News", description: "" });
      const [t1, t2, t3] = await db
        .insert(templates)
        .values([
          { workspaceId: w, name: "One", class: "marketing" as const, topic: null, subject: "One", body: { html: "<p>1</p>", text: "1" } },
          { workspaceId: w, name: "News", class: "marketing" as const, topic: "news", subject: "News", body: { html: "<p>2</p>", text: "2" } },
          { workspaceId: w, name: "Receipt", class: "transactional" as const, topic: null, subject: "Receipt", body: { html: "<p>3</p>", text: "3" } },
        ])
        .returning({ id: templates.id });
      const seg = await createSegment(db, {
        workspaceId: w,
        name: "Pro",
        definition: definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } }] }),
        createdBy: null,
      });
      const ids: Ids = { t1: t1!.id, t2: t2!.id, t3: t3!.id, segment: seg.id, member: ws.owner.id, capped: "frequencyCap" in policy };
      const g = randomFlow(r, ids, base);
      const live = await createLiveFlow(db, { workspaceId: w, graph: graph(g.nodes, g.edges) });

      // The contacts' state.
      await grantConsent(db, w, ws.contacts.filter(() => r.chance(0.85)));
      for (const c of ws.contacts) {
        const attributes: Record<string, string | number> = { plan: r.pick(["pro", "free"]), score: r.int(0, 6) };
        if (r.chance(0.6)) attributes.renewal = new Date(base + r.int(-3, 4) * DAY).toISOString().slice(0, 10);
        await db
          .update(contacts)
          .set({ attributes, timeZone: r.pick(ZONES), status: r.chance(0.9) ? "subscribed" : "unsubscribed" })
          .where(eq(contacts.id, c.id));
        for (const tag of ["vip", "beta"]) if (r.chance(0.4)) await addContactTag(db, { workspaceId: w, contactId: c.id, tag });
        const topic = r.pick([true, false, null]);
        if (topic !== null) await setContactTopics(db, { workspaceId: w, contactId: c.id, keys: ["news"], subscribed: topic });
        for (let k = r.int(0, 2); k > 0; k--) {
          await insertEvent(db, { workspaceId: w, contactId: c.id, name: r.pick(["Viewed", "Order Completed"]), properties: { total: r.int(0, 100) }, occurredAt: new Date(base - r.int(1, 96) * HOUR + 30 * MINUTE) });
        }
        if (r.chance(0.5)) {
          // A mail of T1 long ago (outside any frequency window), opened by a person, a scanner, or clicked.
          const [m] = await db
            .insert(messages)
            .values({ workspaceId: w, contactId: c.id, templateId: ids.t1, class: "marketing", toEmail: c.email, subject: "One", status: "sent", sentAt: new Date(base - 40 * DAY) })
            .returning({ id: messages.id });
          await db.insert(emailEvents).values({
            workspaceId: w,
            messageId: m!.id,
            contactId: c.id,
            type: r.pick(["opened", "clicked"] as const),
            machine: r.chance(0.4),
            dedupeKey: randomUUID(),
            occurredAt: new Date(base - 39 * DAY),
          });
        }
        for (let k = r.int(0, 2); k > 0; k--) {
          future.push({ at: base + r.int(0, 60) * HOUR + 30 * MINUTE, workspaceId: w, contactId: c.id, name: r.pick(["Order Completed", "Viewed"]), properties: { total: r.int(0, 100) } });
        }
      }
      flowsMade.push({ workspaceId: w, flowId: live.flowId, contactIds: ws.contacts.map((c) => c.id) });
      for (const c of ws.contacts) cases.push({ workspaceId: w, flowId: live.flowId, contactId: c.id, plan: live.plan, facts: undefined as never });
    }

    // What the dry-run route would serve for each contact, read just before they enter.
    const at = new Date(h.clock.nowMs());
    for (const c of cases) {
      const facts = await loadDryRunFacts(db, { workspaceId: c.workspaceId, contact: c.contactId, ...planNeeds(c.plan), at });
      expect(facts).toBeDefined();
      c.facts = facts!;
    }

    for (const f of flowsMade) await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: f.workspaceId, flowId: f.flowId, contactIds: f.contactIds } });
    await h.settle();

    // Run the virtual clock from timer to timer, delivering each future event at its time.
    future.sort((a, b) => a.at - b.at);
    const allFuture = [...future];
    const horizon = base + 30 * DAY;
    for (let guard = 0; guard < 5000; guard++) {
      const nowMs = h.clock.nowMs();
      const [due] = await h.db.sql<{ at: string | null }[]>`select min(due_at)::text as at from inngest_local.jobs where due_at > ${nowMs}`;
      const nextJob = due?.at ? Number(due.at) : Infinity;
      const nextEvent = future[0]?.at ?? Infinity;
      const target = Math.min(nextJob, nextEvent);
      if (target === Infinity || target > horizon) break;
      if (target > nowMs) await h.ex.advanceClock(target - nowMs + 1);
      while (future[0] && future[0].at <= h.clock.nowMs()) {
        const e = future.shift()!;
        const stored = await insertEvent(db, { workspaceId: e.workspaceId, contactId: e.contactId, name: e.name, properties: e.properties, occurredAt: new Date(e.at) });
        await h.app.inngest.send({ name: "contact/event.tracked", data: { workspaceId: e.workspaceId, contactId: e.contactId, eventId: stored.id, name: e.name, properties: e.properties, occurredAt: e.at } });
      }
      await h.settle();
    }

    const mismatches: string[] = [];
    for (const c of cases) {
      const [enrollment] = await listEnrollments(db, { workspaceId: c.workspaceId, flowId: c.flowId, contactId: c.contactId });
      expect(enrollment).toBeDefined();
      const trace = await enrollmentTrace(db, { workspaceId: c.workspaceId, enrollmentId: enrollment!.id });
      const real = trace.map((s) => `${s.nodeId}:${s.exit ?? "-"}:${s.outcome}`);
      const inputs = simInputs(c.facts);
      const start = trace[0]?.at.getTime() ?? c.facts.at;
      const sim = simulate(c.plan, inputs.contact, [...inputs.events, ...allFuture.filter((e) => e.contactId === c.contactId)], { start }, inputs.options);
      const dry = sim.steps.map((s) => `${s.nodeId}:${s.exit ?? "-"}:${s.outcome}`);
      if (JSON.stringify(real) !== JSON.stringify(dry)) {
        mismatches.push(`contact ${c.contactId} flow ${c.flowId}\n  runner: ${real.join(" → ")}\n  dry run: ${dry.join(" → ")}\n  trace: ${trace.map((s) => s.detail).join(" | ")}`);
      }
    }
    expect(mismatches, `seed ${SEED}: ${mismatches.length} of ${cases.length} differ\n${mismatches.slice(0, 8).join("\n")}`).toEqual([]);
  });
});
