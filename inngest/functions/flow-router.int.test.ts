import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { enrollments } from "@/db/schema/index";

/**
 * The router's step output stays small however many contacts one event enrols: Inngest caps a
 * step's output at 4 MB, and 5,000 contacts entering several flows at once would pass it if the
 * step returned its enrollments. The executor here holds steps to 16 KiB, which 300 enrollments
 * listed would pass about four times over.
 */

let h: FlowHarness;
beforeAll(async () => {
  h = await startFlowHarness({ executorLimits: { maxStepOutputBytes: 16 * 1024 } });
});
afterAll(() => h?.stop());

it("one event enrolling 300 contacts starts every run, with a step output far under the limit", async () => {
  const ws = await seedWorkspace(h.db.db, { contacts: 300 });
  const { flowId } = await createLiveFlow(h.db.db, {
    workspaceId: ws.workspace.id,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["x", "exit", { reason: "done" }],
      ],
      [["t", "next", "x"]],
    ),
  });
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: ws.contacts.map((c) => c.id) } });
  await h.settle();
  const rows = await h.db.db.select().from(enrollments).where(and(eq(enrollments.workspaceId, ws.workspace.id), eq(enrollments.flowId, flowId)));
  expect(rows).toHaveLength(300);
  expect(rows.every((r) => r.status === "exited" && r.exitReason === "done")).toBe(true);
  const router = await h.db.sql<{ status: string; output: unknown }[]>`select status, output from inngest_local.runs where fn_id = 'tillit-flow-router'`;
  expect(router.map((r) => r.status)).toEqual(["completed"]);
  expect(router[0]!.output).toEqual({ enrolled: 300 });
}, 120_000);
