import fc from "fast-check";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { checkConsent } from "@/lib/server/consent/check";
import { batchRecipientFacts } from "@/db/queries/broadcast-sending";
import { batchConsent } from "./broadcast-send";
import { LEFT_OUT_REASONS, type Audience, type LeftOutReason } from "@/lib/broadcasts/audience";
import { broadcastRecipients, broadcasts, consentEvents, contacts, contactTopics, segmentMemberships, segments, topics, workspaces } from "@/db/schema/index";
import { audienceSummary, broadcastProgress, eligibleContactIds, snapshotAudience } from "@/db/queries/broadcast-audience";
import { suppressAddress, type SuppressionReason } from "@/db/queries/suppressions";

/**
 * The audience statement against the send path's own decision: random contacts, ledgers, topic
 * states, segment memberships and suppressions; the SQL's eligible set must be exactly the
 * contacts `checkConsent` lets a marketing message reach, and each left-out contact must be
 * counted under the rule checkConsent refuses it by.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

const statuses = ["unconfirmed", "subscribed", "unsubscribed", "bounced", "complained", "erased"] as const;
const kinds = ["opt_in", "confirmed", "withdrawn", "complaint", "erased"] as const;
const suppressionReasons = ["unsubscribed", "bounced", "complained", "erased", "manual"] as const;
const T0 = Date.parse("2025-01-01T00:00:00Z");

const entry = fc.record({
  kind: fc.constantFrom(...kinds),
  single: fc.constantFrom<"true" | "false" | null>("true", "false", null),
  // Few distinct times, so ties (broken by id) happen.
  minute: fc.integer({ min: 0, max: 4 }),
  topic: fc.constantFrom<string | null>(null, null, null, "news"),
});

const contact = fc.record({
  status: fc.constantFrom(...statuses, "subscribed", "subscribed"),
  ledger: fc.array(entry, { maxLength: 4 }),
  topicStates: fc.tuple(fc.constantFrom<boolean | null>(true, false, null), fc.constantFrom<boolean | null>(true, false, null)),
  segments: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
  suppression: fc.option(fc.constantFrom(...suppressionReasons), { freq: 3 }),
  // The suppression is recorded under a differently written form of the same address.
  shout: fc.boolean(),
});

const world = fc.record({
  contacts: fc.array(contact, { minLength: 1, maxLength: 12 }),
  postal: fc.constantFrom<string | null>("1 Fjord Road, Bergen", "1 Fjord Road, Bergen", null, "   "),
  audience: fc.record({
    everyone: fc.boolean(),
    segments: fc.subarray([0, 1]),
    topics: fc.subarray([0, 1]),
    exclude: fc.subarray([1, 2]),
  }),
  topicKey: fc.constantFrom<string | null>(null, "news", "product", "unknown"),
});

/** What the page counts a refusal under, from checkConsent's decision and the facts it read. */
function expectedReason(d: Awaited<ReturnType<typeof checkConsent>>): LeftOutReason | "no_postal_address" | null {
  if (d.decision.allowed) return null;
  const map: Record<string, LeftOutReason> = { bounced: "bounced", complained: "complained", erased: "erased", unsubscribed: "unsubscribed" };
  switch (d.decision.reason) {
    case "erased":
      return "erased";
    case "suppressed":
      return d.facts?.suppression && d.facts.suppression !== "unsubscribed" && d.facts.suppression !== "manual" ? map[d.facts.suppression]! : "suppressed";
    case "not_subscribed":
      return map[d.facts!.status] ?? "no_consent";
    case "withdrawn":
    case "no_confirmed_opt_in":
      return "no_consent";
    case "topic_unsubscribed":
      return "topic_unsubscribed";
    case "no_postal_address":
      return "no_postal_address";
    case "undeliverable":
      throw new Error("not a marketing refusal");
  }
}

it("the eligible set and every left-out reason match checkConsent for random audiences", async () => {
  const db = t.db;
  await fc.assert(
    fc.asyncProperty(world, async (w) => {
      const ws = await seedWorkspace(db, { contacts: 0 });
      const workspaceId = ws.workspace.id;
      await db.update(workspaces).set({ postalAddress: w.postal }).where(eq(workspaces.id, workspaceId));
      const tps = await db
        .insert(topics)
        .values([
          { workspaceId, key: "news", name: "News" },
          { workspaceId, key: "product", name: "Product" },
        ])
        .returning({ id: topics.id });
      const segs = await db
        .insert(segments)
        .values([0, 1, 2].map((i) => ({ workspaceId, name: `S${i}`, definition: {} })))
        .returning({ id: segments.id });
      const ids: string[] = [];
      for (const [i, c] of w.contacts.entries()) {
        const email = `  Person${i}@Example.com `.trim();
        const [row] = await db.insert(contacts).values({ workspaceId, email, status: c.status }).returning({ id: contacts.id });
        const contactId = row!.id;
        ids.push(contactId);
        for (const e of c.ledger) {
          await db.insert(consentEvents).values({
            workspaceId,
            contactId,
            kind: e.kind,
            topic: e.topic,
            source: "manual",
            data: e.single === null ? {} : { double_opt_in: e.single },
            occurredAt: new Date(T0 + e.minute * 60_000),
          });
        }
        for (const [k, state] of c.topicStates.entries()) {
          if (state !== null) await db.insert(contactTopics).values({ workspaceId, contactId, topicId: tps[k]!.id, subscribed: state });
        }
        for (const [k, member] of c.segments.entries()) {
          if (member) await db.insert(segmentMemberships).values({ workspaceId, contactId, segmentId: segs[k]!.id });
        }
        if (c.suppression) {
          await suppressAddress(db, { workspaceId, email: c.shout ? ` ${email.toUpperCase()}` : email.toLowerCase(), reason: c.suppression as SuppressionReason });
        }
      }
      const audience: Audience = {
        everyone: w.audience.everyone || (w.audience.segments.length === 0 && w.audience.topics.length === 0),
        segmentIds: w.audience.segments.map((k) => segs[k]!.id),
        topicIds: w.audience.topics.map((k) => tps[k]!.id),
        excludeSegmentIds: w.audience.exclude.map((k) => segs[k]!.id),
      };
      const summary = await audienceSummary(db, { workspaceId, audience, topicKey: w.topicKey });
      const eligible = await eligibleContactIds(db, { workspaceId, audience, topicKey: w.topicKey });

      // The same decision contact by contact, the way the send path takes it.
      const expected = { inAudience: 0, eligible: [] as string[], leftOut: Object.fromEntries(LEFT_OUT_REASONS.map((r) => [r, 0])), noPostalAddress: 0 };
      for (const [i, c] of w.contacts.entries()) {
        const inChosen =
          audience.everyone || w.audience.segments.some((k) => c.segments[k]) || w.audience.topics.some((k) => c.topicStates[k] === true);
        if (!inChosen) continue;
        expected.inAudience++;
        if (w.audience.exclude.some((k) => c.segments[k])) {
          expected.leftOut.excluded!++;
          continue;
        }
        const reason = expectedReason(await checkConsent(db, { workspaceId, contactId: ids[i]!, class: "marketing", topic: w.topicKey }));
        if (reason === null) expected.eligible.push(ids[i]!);
        else if (reason === "no_postal_address") expected.noPostalAddress++;
        else expected.leftOut[reason]!++;
      }
      expect(eligible).toEqual(expected.eligible.sort());

      // The hand-off's batch re-check (three statements for a batch) decides as checkConsent does, receipt included.
      const [b] = await db.insert(broadcasts).values({ workspaceId, name: "Check" }).returning({ id: broadcasts.id });
      await db.insert(broadcastRecipients).values(ids.map((contactId) => ({ broadcastId: b!.id, contactId, workspaceId, batchNo: 0 })));
      const [ws0] = await db.select({ postalAddress: workspaces.postalAddress }).from(workspaces).where(eq(workspaces.id, workspaceId));
      const recipients = await batchRecipientFacts(db, { workspaceId, broadcastId: b!.id, batchNo: 0, topic: w.topicKey });
      const batch = await batchConsent(db, { workspaceId, postalAddress: ws0!.postalAddress, class: "marketing", topic: w.topicKey, recipients });
      expect(recipients).toHaveLength(ids.length);
      for (const contactId of ids) {
        const one = await checkConsent(db, { workspaceId, contactId, class: "marketing", topic: w.topicKey });
        expect(batch.get(contactId)).toEqual({ decision: one.decision, permissionBasis: one.receipt?.permissionBasis ?? null });
      }
      expect(summary).toEqual({ inAudience: expected.inAudience, eligible: expected.eligible.length, leftOut: expected.leftOut, noPostalAddress: expected.noPostalAddress });
    }),
    { numRuns: 40 },
  );
});

describe("each left-out reason", () => {
  it("is counted once, under the first rule the contact fails", async () => {
    const db = t.db;
    const ws = await seedWorkspace(db, { contacts: 0 });
    const workspaceId = ws.workspace.id;
    const [topic] = await db.insert(topics).values({ workspaceId, key: "news", name: "News" }).returning({ id: topics.id });
    const [exclude] = await db.insert(segments).values({ workspaceId, name: "VIP", definition: {} }).returning({ id: segments.id });
    const add = async (name: string, status: (typeof statuses)[number], ledger: ((typeof kinds)[number] | "single_opt_in")[] = ["confirmed"]) => {
      const [c] = await db.insert(contacts).values({ workspaceId, email: `${name}@example.com`, status }).returning({ id: contacts.id });
      for (const [i, kind] of ledger.entries()) {
        const single = kind === "single_opt_in";
        await db.insert(consentEvents).values({
          workspaceId,
          contactId: c!.id,
          kind: single ? "opt_in" : kind,
          data: single ? { double_opt_in: "false" } : {},
          source: "manual",
          occurredAt: new Date(T0 + i * 60_000),
        });
      }
      return c!.id;
    };
    await add("ok", "subscribed");
    await add("single", "subscribed", ["single_opt_in"]);
    await add("unconfirmed", "subscribed", ["opt_in"]);
    await add("withdrawn", "subscribed", ["confirmed", "withdrawn"]);
    await add("status-unsub", "unsubscribed");
    await add("status-bounced", "bounced");
    await add("status-complained", "complained");
    await add("status-erased", "erased");
    await add("pending", "unconfirmed", []);
    const leftTopic = await add("left-topic", "subscribed");
    await db.insert(contactTopics).values({ workspaceId, contactId: leftTopic, topicId: topic!.id, subscribed: false });
    for (const [name, reason] of [["supp-manual", "manual"], ["supp-unsub", "unsubscribed"], ["supp-bounce", "bounced"], ["supp-complaint", "complained"], ["supp-erased", "erased"]] as const) {
      await add(name, "subscribed");
      await suppressAddress(db, { workspaceId, email: `${name.toUpperCase()}@EXAMPLE.COM`, reason });
    }
    const excluded = await add("excluded", "erased");
    await db.insert(segmentMemberships).values({ workspaceId, contactId: excluded, segmentId: exclude!.id });

    const audience: Audience = { everyone: true, segmentIds: [], topicIds: [], excludeSegmentIds: [exclude!.id] };
    expect(await audienceSummary(db, { workspaceId, audience, topicKey: "news" })).toEqual({
      inAudience: 16,
      eligible: 2,
      leftOut: { no_consent: 3, unsubscribed: 1, topic_unsubscribed: 1, suppressed: 2, bounced: 2, complained: 2, erased: 2, excluded: 1 },
      noPostalAddress: 0,
    });
    // Without a postal address nobody may receive marketing; the otherwise eligible are counted apart.
    await db.update(workspaces).set({ postalAddress: null }).where(eq(workspaces.id, workspaceId));
    const noAddress = await audienceSummary(db, { workspaceId, audience, topicKey: null });
    expect(noAddress.eligible).toBe(0);
    expect(noAddress.noPostalAddress).toBe(3);
    expect(noAddress.leftOut.topic_unsubscribed).toBe(0);
  });

  it("an unknown workspace has an empty audience", async () => {
    const audience: Audience = { everyone: true, segmentIds: [], topicIds: [], excludeSegmentIds: [] };
    const s = await audienceSummary(t.db, { workspaceId: "00000000-0000-4000-8000-000000000000", audience });
    expect(s.inAudience).toBe(0);
  });
});

describe("snapshotAudience", () => {
  it("numbers the eligible into batches of 100, once, and sets the count", async () => {
    const db = t.db;
    const ws = await seedWorkspace(db, { contacts: 0 });
    const workspaceId = ws.workspace.id;
    const rows = await db
      .insert(contacts)
      .values(Array.from({ length: 250 }, (_, i) => ({ workspaceId, email: `p${i}@example.com`, status: "subscribed" as const })))
      .returning({ id: contacts.id });
    await db.insert(consentEvents).values(rows.slice(0, 230).map((r) => ({ workspaceId, contactId: r.id, kind: "confirmed" as const, source: "manual" })));
    const [b] = await db.insert(broadcasts).values({ workspaceId, name: "March news" }).returning({ id: broadcasts.id });
    const audience: Audience = { everyone: true, segmentIds: [], topicIds: [], excludeSegmentIds: [] };
    const q = { workspaceId, broadcastId: b!.id, audience };
    const [first, again] = await Promise.all([snapshotAudience(db, q), snapshotAudience(db, q)]);
    expect(first).toBe(230);
    expect(again).toBe(230);
    // A later change to the audience does not move the snapshot.
    await db.insert(consentEvents).values(rows.slice(230).map((r) => ({ workspaceId, contactId: r.id, kind: "confirmed" as const, source: "manual" })));
    expect(await snapshotAudience(db, q)).toBe(230);
    const [bc] = await db.select({ n: broadcasts.recipientCount }).from(broadcasts).where(eq(broadcasts.id, b!.id));
    expect(bc!.n).toBe(230);
    const batches = await db.execute<{ batch_no: number; n: number }>(
      sql`select batch_no, count(*)::int as n from ${broadcastRecipients} where broadcast_id = ${b!.id} group by batch_no order by batch_no`,
    );
    expect(batches.map((r) => [r.batch_no, r.n])).toEqual([
      [0, 100],
      [1, 100],
      [2, 30],
    ]);
    expect(await broadcastProgress(db, { workspaceId, broadcastId: b!.id })).toEqual({ total: 230, queued: 230, sent: 0, failed: 0, skipped: {} });
    // Another workspace sees nothing of it.
    const other = await seedWorkspace(db, { contacts: 0 });
    expect((await broadcastProgress(db, { workspaceId: other.workspace.id, broadcastId: b!.id })).total).toBe(0);
  });
});
