import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { events } from "../schema/index";
import { contactEventsBetween } from "./events";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

describe("contactEventsBetween", () => {
  it("reads the first events for a wait's look-back and the latest for a condition, oldest first either way", async () => {
    const s = await seedWorkspace(t.db, { contacts: 1 });
    const other = await seedWorkspace(t.db, { contacts: 1 });
    const base = Date.parse("2026-01-01T00:00:00Z");
    const at = (i: number) => new Date(base + i * 3_600_000);
    await t.db.insert(events).values(
      Array.from({ length: 6 }, (_, i) => ({ workspaceId: s.workspace.id, contactId: s.contacts[0]!.id, name: "Viewed", properties: { i }, occurredAt: at(i) })),
    );
    // Another workspace's contact, same name and times: never read.
    await t.db.insert(events).values({ workspaceId: other.workspace.id, contactId: other.contacts[0]!.id, name: "Viewed", properties: { i: 99 }, occurredAt: at(5) });
    const q = { workspaceId: s.workspace.id, contactId: s.contacts[0]!.id, names: ["Viewed"], after: null, upTo: at(10), limit: 3 };
    const first = await contactEventsBetween(t.db, q);
    expect(first.map((e) => e.properties.i)).toEqual([0, 1, 2]);
    // A contact with a long history: a condition on recent events must see the newest ones.
    const latest = await contactEventsBetween(t.db, { ...q, newest: true });
    expect(latest.map((e) => e.properties.i)).toEqual([3, 4, 5]);
    const upTo = await contactEventsBetween(t.db, { ...q, upTo: at(4), newest: true });
    expect(upTo.map((e) => e.properties.i)).toEqual([2, 3, 4]);
  });
});
