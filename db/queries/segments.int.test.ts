import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, withRollback, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import type { DbOrTx } from "../client";
import { contacts, contactTags, contactTopics, emailEvents, events, flows, messages, tags, templates, topics } from "../schema/index";
import { definitionSchema, type Comparison, type Condition, type Definition, type Node, type Window } from "@/lib/segments/definition";
import { evaluate, type ContactFacts } from "@/lib/segments/evaluate";
import { countSegment, getSegment, markRefreshed, matchingIds, refreshMembership, segmentMembersPage, updateSegment } from "./segments";

/**
 * The SQL compilation of segment definitions against the plain in-memory evaluation: random
 * contacts (attributes of every type, tags, topics, consent states), random events and email
 * engagement, random nested definitions; the set of ids must be the same.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

const NOW = Date.parse("2025-03-01T12:00:00.000Z");
const DAY = 86_400_000;

const keys = ["plan", "age", "vip", "signup", "city"] as const;
const strings = ["pro", "Pro plan", "free", "Oslo", "oslo", "OSLO-west", "", "50%_off", "2024-06-15", "2025-01-01T10:00:00Z"];
const numbers = [0, 1, -1, 3, 2.5, 0.1, 0.30000000000000004, 1e21, 42];
const dates = ["2024-01-01", "2024-06-15", "2025-01-01", "2025-02-28"];
const attrValue = fc.oneof(fc.constantFrom(...strings), fc.constantFrom(...numbers), fc.boolean(), fc.constant(null));
const tagNames = ["VIP", "beta", "Churned"];
const topicKeys = ["news", "product"];
const eventNames = ["Signed Up", "Order Completed", "Viewed"];
const statuses = ["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained", "erased"] as const;

const comparison: fc.Arbitrary<Comparison> = fc.oneof(
  fc.constantFrom<Comparison>({ op: "exists" }, { op: "not_exists" }),
  fc.record({ op: fc.constantFrom("eq", "neq", "contains", "not_contains", "starts_with" as const), value: fc.constantFrom(...strings, "OSL", "pro", "%", "_") }),
  fc.record({ op: fc.constantFrom("num_eq", "num_neq", "gt", "gte", "lt", "lte" as const), value: fc.constantFrom(...numbers, 2, -0.5) }),
  fc.record({ op: fc.constant("is" as const), value: fc.boolean() }),
  fc.record({ op: fc.constantFrom("before", "after", "on" as const), value: fc.constantFrom(...dates) }),
);

const window: fc.Arbitrary<Window> = fc.oneof(
  fc.constant<Window>({ kind: "ever" }),
  fc.record({ kind: fc.constant("last_days" as const), days: fc.integer({ min: 1, max: 30 }) }),
  fc
    .tuple(fc.constantFrom("2025-01-15", "2025-02-01", "2025-02-20", "2025-03-01"), fc.constantFrom("2025-02-10", "2025-02-25", "2025-03-01", "2025-03-31"))
    .filter(([a, b]) => a <= b)
    .map(([from, to]) => ({ kind: "between" as const, from, to })),
);

const condition = (ids: { flowId: string; templateIds: string[] }): fc.Arbitrary<Condition> =>
  fc.oneof(
    fc.record({ type: fc.constant("attribute" as const), field: fc.constantFrom(...keys, "first_name", "email", "external_id", "missing"), comparison }),
    fc.record({ type: fc.constant("tag" as const), tag: fc.constantFrom(...tagNames, "vip", "none"), has: fc.boolean() }),
    fc.record({ type: fc.constant("topic" as const), topic: fc.constantFrom(...topicKeys), subscribed: fc.boolean() }),
    fc.record({ type: fc.constant("consent" as const), statuses: fc.subarray(["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained"] as const, { minLength: 1 }) }),
    fc.record(
      {
        type: fc.constant("event" as const),
        name: fc.constantFrom(...eventNames),
        performed: fc.boolean(),
        filters: fc.array(fc.record({ property: fc.constantFrom("plan", "amount", "first"), comparison }), { maxLength: 2 }),
        count: fc.record({ op: fc.constantFrom("gte", "lte" as const), n: fc.integer({ min: 1, max: 4 }) }),
        window,
      },
      { requiredKeys: ["type", "name", "performed", "filters", "window"] },
    ),
    fc.record(
      {
        type: fc.constant("email" as const),
        action: fc.constantFrom("opened", "clicked" as const),
        performed: fc.boolean(),
        flowId: fc.constant(ids.flowId),
        templateId: fc.constantFrom(...ids.templateIds),
        window,
        includeMachine: fc.boolean(),
      },
      { requiredKeys: ["type", "action", "performed", "window"] },
    ),
  );

// Placeholder ids, swapped for the world's flow and template ids once it is stored.
const PH = { flowId: "00000000-0000-4000-8000-00000000f10f", templateIds: ["00000000-0000-4000-8000-0000000000a0", "00000000-0000-4000-8000-0000000000b0", "00000000-0000-4000-8000-0000000000c0"] };
const groupAt = (depth: number): fc.Arbitrary<Definition> =>
  fc.record({
    type: fc.constant("group" as const),
    match: fc.constantFrom("all", "any" as const),
    children: fc.array(depth > 1 ? fc.oneof({ weight: 3, arbitrary: condition(PH) }, { weight: 1, arbitrary: groupAt(depth - 1) }) : (condition(PH) as fc.Arbitrary<Node>), { maxLength: 3 }),
  });
const definition = groupAt(3);

const contactArb = fc.record({
  status: fc.constantFrom(...statuses),
  firstName: fc.constantFrom(null, "Ada", "ada", "Oslo"),
  externalId: fc.constantFrom(null, "pro-1", "2024-06-15"),
  attributes: fc.dictionary(fc.constantFrom(...keys), attrValue, { maxKeys: 4, noNullPrototype: true }),
  tags: fc.subarray(tagNames),
  topics: fc.dictionary(fc.constantFrom(...topicKeys), fc.boolean(), { noNullPrototype: true }),
  events: fc.array(
    fc.record({
      name: fc.constantFrom(...eventNames),
      // Mostly the past 40 days; some in the future, which no window counts yet.
      at: fc.integer({ min: -40 * DAY, max: 2 * DAY }).map((d) => NOW + d),
      properties: fc.dictionary(fc.constantFrom("plan", "amount", "first"), attrValue, { maxKeys: 2, noNullPrototype: true }),
    }),
    { maxLength: 6 },
  ),
  emails: fc.array(
    fc.record({
      type: fc.constantFrom("opened", "clicked", "delivered" as const),
      at: fc.integer({ min: -40 * DAY, max: DAY }).map((d) => NOW + d),
      machine: fc.boolean(),
      template: fc.integer({ min: 0, max: 2 }),
      inFlow: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
});



type Person = typeof contactArb extends fc.Arbitrary<infer T> ? T : never;

async function store(db: DbOrTx, people: Person[]) {
  const ws = await seedWorkspace(db, { contacts: 0 });
  const w = ws.workspace.id;
  const tpl = await db.insert(templates).values([{ workspaceId: w, name: "A" }, { workspaceId: w, name: "B" }]).returning({ id: templates.id });
  const [flow] = await db.insert(flows).values({ workspaceId: w, name: "F" }).returning({ id: flows.id });
  const tagRows = await db.insert(tags).values(tagNames.map((name) => ({ workspaceId: w, name }))).returning({ id: tags.id, name: tags.name });
  const topicRows = await db.insert(topics).values(topicKeys.map((key) => ({ workspaceId: w, key, name: key }))).returning({ id: topics.id, key: topics.key });
  const facts: ContactFacts[] = [];
  if (people.length > 0) {
    const rows = await db
      .insert(contacts)
      .values(people.map((p, i) => ({ workspaceId: w, email: `p${i}@example.com`, firstName: p.firstName, externalId: p.externalId ? `${p.externalId}-${i}` : null, status: p.status, attributes: p.attributes })))
      .returning({ id: contacts.id, email: contacts.email });
    let dedupe = 0;
    for (const [i, p] of people.entries()) {
      const id = rows[i]!.id;
      if (p.tags.length) await db.insert(contactTags).values(p.tags.map((n) => ({ workspaceId: w, contactId: id, tagId: tagRows.find((x) => x.name === n)!.id })));
      const tk = Object.entries(p.topics);
      if (tk.length) await db.insert(contactTopics).values(tk.map(([k, s]) => ({ workspaceId: w, contactId: id, topicId: topicRows.find((x) => x.key === k)!.id, subscribed: s })));
      if (p.events.length) await db.insert(events).values(p.events.map((e) => ({ workspaceId: w, contactId: id, name: e.name, properties: e.properties, occurredAt: new Date(e.at) })));
      const emails: ContactFacts["emails"][number][] = [];
      for (const e of p.emails) {
        const templateId = e.template < 2 ? tpl[e.template]!.id : null;
        const flowId = e.inFlow ? flow!.id : null;
        const [m] = await db
          .insert(messages)
          .values({ workspaceId: w, contactId: id, templateId, flowId, class: "marketing", toEmail: rows[i]!.email, subject: "s" })
          .returning({ id: messages.id });
        await db.insert(emailEvents).values({ workspaceId: w, messageId: m!.id, contactId: id, type: e.type, machine: e.machine, dedupeKey: `d${dedupe++}`, occurredAt: new Date(e.at) });
        emails.push({ type: e.type, at: e.at, machine: e.machine, flowId, templateId });
      }
      facts.push({
        id,
        status: p.status,
        fields: { email: rows[i]!.email, first_name: p.firstName, last_name: null, external_id: p.externalId ? `${p.externalId}-${i}` : null, time_zone: null },
        attributes: p.attributes,
        tags: p.tags,
        topics: p.topics,
        events: p.events,
        emails,
      });
    }
  }
  return { workspaceId: w, facts, ids: { flowId: flow!.id, templateIds: tpl.map((x) => x.id) } };
}

it("SQL membership equals the in-memory evaluation for random contacts, events and definitions", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(contactArb, { minLength: 1, maxLength: 8 }), fc.array(definition, { minLength: 6, maxLength: 6 }), async (people, defs) => {
      await withRollback(t.db, async (db) => {
        const world = await store(db, people);
        // Definitions drawn against this world's flow and template ids.
        for (const def of defs) {
          let json = JSON.stringify(def).replaceAll(PH.flowId, world.ids.flowId);
          PH.templateIds.forEach((p, i) => (json = json.replaceAll(p, world.ids.templateIds[i] ?? "00000000-0000-4000-8000-000000000000")));
          const parsed = definitionSchema.parse(JSON.parse(json));
          const expected = world.facts.filter((f) => evaluate(parsed, f, NOW)).map((f) => f.id).sort();
          const got = await matchingIds(db, { workspaceId: world.workspaceId, definition: parsed, now: new Date(NOW) });
          expect(got.sort(), JSON.stringify(parsed)).toEqual(expected);
          expect(await countSegment(db, { workspaceId: world.workspaceId, definition: parsed, now: new Date(NOW) })).toBe(expected.length);
        }
      });
    }),
    { numRuns: 100 },
  );
});

it("pages members by id and refreshes membership: entered once, left, entered again", async () => {
  await withRollback(t.db, async (db) => {
    const ws = await seedWorkspace(db, { contacts: 5 });
    const w = ws.workspace.id;
    const def = definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "pro" } }] });
    const ids = ws.contacts.map((c) => c.id).sort();
    for (const id of ids.slice(0, 3)) await db.update(contacts).set({ attributes: { plan: "pro" } }).where(eqId(id));
    const p1 = await segmentMembersPage(db, { workspaceId: w, definition: def, now: new Date(NOW), limit: 2 });
    expect(p1.rows.map((r) => r.id)).toEqual(ids.slice(0, 2));
    const p2 = await segmentMembersPage(db, { workspaceId: w, definition: def, now: new Date(NOW), limit: 2, afterId: p1.next });
    expect(p2.rows.map((r) => r.id)).toEqual([ids[2]]);
    expect(p2.next).toBeNull();

    const { segments } = await import("../schema/index");
    const [seg] = await db.insert(segments).values({ workspaceId: w, name: "Pro", definition: def }).returning({ id: segments.id });
    const refresh = (afterId: string | null) => refreshMembership(db, { workspaceId: w, segmentId: seg!.id, definition: def, now: new Date(NOW), afterId, limit: 2 });
    const a = await refresh(null);
    expect(a).toMatchObject({ entered: ids.slice(0, 2).sort(), scanned: 2, last: ids[1] });
    const b = await refresh(a.last);
    expect(b.entered).toEqual([ids[2]]);
    expect((await refresh(null)).entered).toEqual([]);
    await db.update(contacts).set({ attributes: { plan: "free" } }).where(eqId(ids[0]!));
    expect(await refreshMembership(db, { workspaceId: w, segmentId: seg!.id, definition: def, now: new Date(NOW), contactIds: [ids[0]!] })).toMatchObject({ entered: [], left: 1 });
    await db.update(contacts).set({ attributes: { plan: "pro" } }).where(eqId(ids[0]!));
    expect((await refreshMembership(db, { workspaceId: w, segmentId: seg!.id, definition: def, now: new Date(NOW), contactIds: [ids[0]!] })).entered).toEqual([ids[0]]);

    // Saving the same definition keeps the baseline; a changed one is recorded afresh, without announcing.
    await markRefreshed(db, { workspaceId: w, segmentId: seg!.id, now: new Date(NOW) });
    await updateSegment(db, { workspaceId: w, segmentId: seg!.id, name: "Pro!", definition: def, now: new Date(NOW) });
    expect((await getSegment(db, { workspaceId: w, segmentId: seg!.id }))!.baselinedAt).not.toBeNull();
    const wider = definitionSchema.parse({ type: "group", match: "any", children: [] });
    await updateSegment(db, { workspaceId: w, segmentId: seg!.id, name: "Pro!", definition: wider, now: new Date(NOW) });
    expect((await getSegment(db, { workspaceId: w, segmentId: seg!.id }))!.baselinedAt).toBeNull();
    // Another workspace's id changes nothing.
    const other = await seedWorkspace(db, { contacts: 0 });
    expect(await updateSegment(db, { workspaceId: other.workspace.id, segmentId: seg!.id, name: "Taken", definition: def, now: new Date(NOW) })).toBeUndefined();
    expect(await countSegment(db, { workspaceId: other.workspace.id, definition: definitionSchema.parse({ type: "group", match: "all", children: [] }), now: new Date(NOW) })).toBe(0);
  });
});

import { eq } from "drizzle-orm";
const eqId = (id: string) => eq(contacts.id, id);
