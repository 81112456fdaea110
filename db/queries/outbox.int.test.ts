import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { enqueueAppEvents, forwardAppOutbox, pendingAppEvents, type ClaimedAppEvent } from "./outbox";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.destroy();
});

const ev = (n: number) => ({ id: `e${n}`, name: "contact/created", data: { n } });

describe("the app outbox", () => {
  it("keeps events whose hand-over failed, lets the claim lapse, then sends each once in order", async () => {
    await enqueueAppEvents(t.db, [ev(1), ev(2), ev(3)]);
    await expect(
      forwardAppOutbox(t.db, { limit: 10, claimMs: 60_000, send: async () => Promise.reject(new Error("Inngest unreachable")) }),
    ).rejects.toThrow("Inngest unreachable");
    expect(await pendingAppEvents(t.db)).toBe(3);
    // Claimed for a minute: another forwarder finds nothing to do meanwhile.
    const none: ClaimedAppEvent[][] = [];
    expect(await forwardAppOutbox(t.db, { limit: 10, send: (b) => Promise.resolve(void none.push(b)) })).toBe(0);
    expect(none).toEqual([]);
    // Once the claim lapses, a forwarder sends them, oldest first, and deletes them.
    await t.sql`update app_outbox set claimed_until = now() - interval '1 second'`;
    const sent: ClaimedAppEvent[] = [];
    expect(await forwardAppOutbox(t.db, { limit: 2, send: (b) => Promise.resolve(void sent.push(...b)) })).toBe(2);
    expect(await forwardAppOutbox(t.db, { limit: 2, send: (b) => Promise.resolve(void sent.push(...b)) })).toBe(1);
    expect(sent.map((s) => s.id)).toEqual(["e1", "e2", "e3"]);
    expect(sent[0]).toMatchObject({ name: "contact/created", data: { n: 1 } });
    expect(await pendingAppEvents(t.db)).toBe(0);
  });

  it("hands over only the rows it was given, leaving the rest to the forwarder", async () => {
    const [a] = await enqueueAppEvents(t.db, [ev(4)]);
    await enqueueAppEvents(t.db, [ev(5)]);
    const sent: string[] = [];
    expect(await forwardAppOutbox(t.db, { limit: 1, ids: [a!], send: (b) => Promise.resolve(void sent.push(...b.map((x) => x.id))) })).toBe(1);
    expect(sent).toEqual(["e4"]);
    expect(await pendingAppEvents(t.db)).toBe(1);
  });
});
