import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { flows, memberships, notifications, users } from "@/db/schema/index";
import { now } from "@/lib/clock";
import { NOTICE_GATHER_MS } from "./flow-failure-notice";

/**
 * Admin notices for failed runs, end to end: `flow/run.failed` events into the local executor on a
 * virtual clock, the notice function served by the real SDK handler, mail into the capture server.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
  expect(h.functions).toContain("tillit-flow-failure-notice");
});
afterAll(() => h?.stop());

async function world() {
  const s = await seedWorkspace(h.db.db, { contacts: 0 });
  const workspaceId = s.workspace.id;
  const emails: Record<string, string> = { owner: s.owner.email };
  for (const role of ["admin", "editor", "viewer"] as const) {
    const email = `${role}-${s.workspace.slug}@example.com`;
    const [u] = await h.db.db.insert(users).values({ email }).returning({ id: users.id });
    await h.db.db.insert(memberships).values({ workspaceId, userId: u!.id, role });
    emails[role] = email;
  }
  const [flow] = await h.db.db.insert(flows).values({ workspaceId, name: "Welcome" }).returning({ id: flows.id });
  return { s, workspaceId, flowId: flow!.id, emails };
}

const failure = (w: { workspaceId: string; flowId: string }, reason: string, o: { enrollmentId?: string; at?: number } = {}) => ({
  name: "flow/run.failed",
  data: { workspaceId: w.workspaceId, flowId: w.flowId, enrollmentId: o.enrollmentId ?? randomUUID(), contactId: randomUUID(), nodeId: "s", reason, failedAt: o.at ?? now().getTime() },
});

const mailsTo = (email: string) => h.capture.emails.filter((m) => m.to.includes(email));
/** Every send request naming the address, duplicates included (the capture keeps one email per idempotency key). */
const requestsTo = (email: string) => h.capture.requests.filter((r) => JSON.stringify(r.body).includes(email));

describe("flow/run.failed: a notice per flow and hour, and at most one mail to each admin", () => {
  it("N failures at once within an hour: one notice counting N, one mail to each owner and admin; another hour: a second", async () => {
    const w = await world();
    // Start at the top of an hour, so the whole burst and its gathering fall within it.
    await h.advance(HOUR - (now().getTime() % HOUR) + MINUTE);
    const first = Array.from({ length: 5 }, (_, i) => failure(w, `Resend: 503 (${i})`, { at: now().getTime() + i }));
    await h.app.inngest.send(first);
    await h.settle();
    // Gathered for a few minutes first: nothing mailed yet, but the notice counts all five.
    expect(mailsTo(w.emails.owner!)).toEqual([]);
    const [notice] = await h.db.db.select().from(notifications).where(eq(notifications.flowId, w.flowId));
    expect(notice).toMatchObject({ workspaceId: w.workspaceId, kind: "flow_failed", count: 5, detail: "Resend: 503 (4)", readAt: null });
    expect(notice!.mailedAt).not.toBeNull();

    await h.advance(NOTICE_GATHER_MS);
    const [mail, ...more] = mailsTo(w.emails.owner!);
    expect(more).toEqual([]);
    expect(mail!.subject).toBe(`5 runs of “Welcome” failed in ${w.s.workspace.name}`);
    expect(mail!.text).toContain("Latest reason: Resend: 503 (4)");
    expect(mail!.text).toContain(`/w/${w.s.workspace.slug}/flows/${w.flowId}/failed\n`);
    expect(mailsTo(w.emails.admin!)).toHaveLength(1);
    // One claimant among five concurrent runs: one request, not five answered by one id.
    expect(requestsTo(w.emails.owner!)).toHaveLength(1);
    expect(mailsTo(w.emails.editor!)).toEqual([]);
    expect(mailsTo(w.emails.viewer!)).toEqual([]);

    // Later in the same hour: counted, no second mail; a repeated event (same run) counts once.
    await h.advance(10 * MINUTE);
    const late = failure(w, "Resend: 500");
    await h.app.inngest.send([late, late]);
    await h.advance(NOTICE_GATHER_MS);
    expect(mailsTo(w.emails.owner!)).toHaveLength(1);
    expect((await h.db.db.select().from(notifications).where(eq(notifications.flowId, w.flowId))).map((n) => n.count)).toEqual([6]);

    // The next hour: a notice of its own and a second mail.
    await h.advance(HOUR);
    await h.app.inngest.send([failure(w, "Resend: 429 for longer than the flow waits"), failure(w, "Resend: 429 for longer than the flow waits")]);
    await h.advance(NOTICE_GATHER_MS);
    const notices = await h.db.db.select().from(notifications).where(eq(notifications.flowId, w.flowId));
    expect(notices.map((n) => n.count).sort()).toEqual([2, 6]);
    const owner = mailsTo(w.emails.owner!);
    expect(owner.map((m) => m.subject)).toEqual([`5 runs of “Welcome” failed in ${w.s.workspace.name}`, `2 runs of “Welcome” failed in ${w.s.workspace.name}`]);
    expect(mailsTo(w.emails.admin!)).toHaveLength(2);
    expect(requestsTo(w.emails.owner!)).toHaveLength(2);
  }, 60_000);

  it("an event naming another workspace's flow records nothing and mails nobody", async () => {
    const w = await world();
    const other = await seedWorkspace(h.db.db, { contacts: 0 });
    await h.app.inngest.send([failure({ workspaceId: other.workspace.id, flowId: w.flowId }, "forged")]);
    await h.advance(NOTICE_GATHER_MS);
    expect(await h.db.db.select().from(notifications).where(eq(notifications.flowId, w.flowId))).toEqual([]);
    expect(mailsTo(w.emails.owner!)).toEqual([]);
    expect(mailsTo(other.owner.email)).toEqual([]);
  });
});
