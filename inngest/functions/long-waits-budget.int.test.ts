import { afterAll, beforeAll, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { now } from "@/lib/clock";

/**
 * A wait until a date has no length its config could reserve steps for: when its chain of sleeps
 * would outrun the run's step budget, the run continues as new at the same node and visit and
 * sleeps the rest (docs/flows.md#long-waits). A tiny budget makes that happen several times.
 */

const DAY = 86_400_000;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness({ maxStepsPerRun: 10 });
});

afterAll(async () => {
  await h?.stop();
});

it("a wait until a date 60 days out outruns a 10-step budget, hands over between links and ends at exactly the date", async () => {
  const { db } = h.db;
  const ws = await seedWorkspace(db, { contacts: 1 });
  await grantConsent(db, ws.workspace.id, ws.contacts);
  const contact = ws.contacts[0]!;
  const until = Math.floor((now().getTime() + 60 * DAY) / 1000) * 1000;
  const { flowId } = await createLiveFlow(db, {
    workspaceId: ws.workspace.id,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["u", "wait-until", { mode: "date", at: new Date(until).toISOString() }],
        ["x", "exit", { reason: "done" }],
      ],
      [
        ["t", "next", "u"],
        ["u", "next", "x"],
      ],
    ),
  });
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [contact.id] } });
  await h.settle();
  for (let d = 0; d < 61; d++) await h.advance(DAY);

  const [e] = await listEnrollments(db, { workspaceId: ws.workspace.id, flowId, contactId: contact.id });
  const rows = await enrollmentTrace(db, { workspaceId: ws.workspace.id, enrollmentId: e!.id });
  expect(rows.map((t) => `${t.nodeId}:${t.exit ?? t.outcome}`)).toEqual(["t:next", "u:next", "x:exit"]);
  expect(rows[1]!.finishedAt!.getTime()).toBe(until);
  const runs = await h.db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.runs where fn_id = 'tillit-flow-runner' and status = 'completed'`;
  expect(runs[0]!.n).toBeGreaterThan(2);
});
