import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { createLiveFlow, graph } from "@/e2e/fixtures/flows";
import { nodeMessages } from "./messages";

/** The message report's list of a node's latest messages: exactly the newest, whichever pass finds them. */

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

const g = graph([["t", "manual-enrol"], ["a", "add-tag", { tag: "sent" }], ["x", "exit"]], [["t", "next", "a"], ["a", "next", "x"]]);
const HOUR = 3_600_000;

describe("nodeMessages", () => {
  it("finds a busy node's newest messages among the workspace's latest, and a quiet node's behind ten thousand others", async () => {
    const db = t.db;
    const s = await seedWorkspace(db, { contacts: 0 });
    const ws = s.workspace.id;
    const { flowId } = await createLiveFlow(db, { workspaceId: ws, graph: g });
    const now = Date.now();
    // Node "busy": 120 messages, one an hour from 200 h ago on, interleaved with node "other".
    // Node "quiet": 60 messages 300–360 h ago, then 10,000 newer ones of "other" (250–195 h ago), so the
    // newest 10,000 of the workspace hold every "busy" message and no "quiet" one.
    await db.execute(sql`insert into messages (workspace_id, flow_id, node_id, class, to_email, subject, status, created_at)
      select ${ws}::uuid, ${flowId}::uuid, case when n % 2 = 0 then 'busy' else 'other' end, 'marketing', 'x@example.com', 'S' || n, 'sent',
             ${new Date(now - 200 * HOUR).toISOString()}::timestamptz + (n || ' minutes')::interval * 30
      from generate_series(0, 239) n`);
    await db.execute(sql`insert into messages (workspace_id, flow_id, node_id, class, to_email, subject, status, created_at)
      select ${ws}::uuid, ${flowId}::uuid, 'quiet', 'marketing', 'x@example.com', 'Q' || n, 'sent', ${new Date(now - 360 * HOUR).toISOString()}::timestamptz + (n || ' hours')::interval
      from generate_series(0, 59) n`);
    await db.execute(sql`insert into messages (workspace_id, flow_id, node_id, class, to_email, subject, status, created_at)
      select ${ws}::uuid, ${flowId}::uuid, 'other', 'marketing', 'x@example.com', 'O' || n, 'sent', ${new Date(now - 250 * HOUR).toISOString()}::timestamptz + (n || ' seconds')::interval * 20
      from generate_series(0, 9999) n`);
    // Another workspace's rows of the same flow and node ids never appear.
    const other = await seedWorkspace(db, { contacts: 0 });
    await db.execute(sql`insert into messages (workspace_id, flow_id, node_id, class, to_email, subject, status, created_at)
      values (${other.workspace.id}::uuid, ${flowId}::uuid, 'quiet', 'marketing', 'x@example.com', 'Foreign', 'sent', now())`);

    const range = { workspaceId: ws, flowId, from: new Date(now - 400 * HOUR), to: new Date(now + HOUR), limit: 50 };
    const busy = await nodeMessages(db, { ...range, nodeId: "busy" });
    expect(busy.map((m) => m.subject)).toEqual(Array.from({ length: 50 }, (_, i) => `S${238 - 2 * i}`));
    const quiet = await nodeMessages(db, { ...range, nodeId: "quiet" });
    expect(quiet.map((m) => m.subject)).toEqual(Array.from({ length: 50 }, (_, i) => `Q${59 - i}`));
    // The range bounds both passes.
    const early = await nodeMessages(db, { ...range, nodeId: "quiet", to: new Date(now - 350 * HOUR) });
    expect(early.map((m) => m.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `Q${9 - i}`));
    expect(await nodeMessages(db, { ...range, nodeId: "busy", from: new Date(now - 10 * HOUR) })).toEqual([]);
    expect(await nodeMessages(db, { ...range, workspaceId: other.workspace.id, nodeId: "busy" })).toEqual([]);
  });
});
