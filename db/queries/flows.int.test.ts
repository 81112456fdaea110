import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { createTemplate, publish } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { starterGraph } from "@/lib/flows/starters";
import { listFlowVersions, restoreVersionToDraft } from "./flow-versions";
import { createFlow, getFlowForEditor, listFlows, saveDraft, setFlowPaused, setFlowProviderWait } from "./flows";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

it("a second editor saving from an old revision gets a conflict, and nothing is overwritten", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  const q = { workspaceId: s.workspace.id };
  const { id } = await createFlow(t.db, { ...q, name: "Welcome", draft: starterGraph("blank"), createdBy: null });
  const mine = starterGraph("birthday");
  const theirs = starterGraph("abandoned-cart");
  expect(await saveDraft(t.db, { ...q, flowId: id, draft: mine, baseRevision: 0 })).toEqual({ ok: true, revision: 1 });
  expect(await saveDraft(t.db, { ...q, flowId: id, draft: theirs, baseRevision: 0 })).toEqual({ ok: false, revision: 1 });
  expect((await getFlowForEditor(t.db, { ...q, flowId: id }))!.draft).toEqual(mine);
  // Another workspace cannot save it at all.
  const other = await seedWorkspace(t.db, { contacts: 0 });
  expect(await saveDraft(t.db, { workspaceId: other.workspace.id, flowId: id, draft: theirs, baseRevision: 1 })).toBeNull();
});

it("versions keep their graph; restore copies one into the draft; pause and resume need a published version", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  const q = { workspaceId: s.workspace.id };
  // A publish pins the templates its sends name, so they exist.
  const [t1, t2] = [await createTemplate(t.db, s.workspace.id, "Happy birthday"), await createTemplate(t.db, s.workspace.id, "Many happy returns")];
  const v1graph = starterGraph("birthday", { template: () => t1 });
  const { id } = await createFlow(t.db, { ...q, name: "Birthday", draft: v1graph, createdBy: null });
  expect(await setFlowPaused(t.db, { ...q, flowId: id, paused: true })).toBeNull();
  await publish(t.db, { ...q, flowId: id, graph: v1graph });
  await saveDraft(t.db, { ...q, flowId: id, draft: starterGraph("birthday", { template: () => t2 }), baseRevision: 0 });
  const [v] = await listFlowVersions(t.db, { ...q, flowId: id });
  expect(v!.number).toBe(1);
  expect(await restoreVersionToDraft(t.db, { ...q, flowId: id, versionId: v!.id })).toEqual({ revision: 2, number: 1 });
  expect((await getFlowForEditor(t.db, { ...q, flowId: id }))!.draft).toEqual(v1graph);
  expect(await setFlowPaused(t.db, { ...q, flowId: id, paused: true })).toBe("paused");
  expect(await setFlowPaused(t.db, { ...q, flowId: id, paused: true })).toBeNull();
  expect((await listFlows(t.db, q)).map((f) => [f.name, f.status, f.version, f.entered])).toEqual([["Birthday", "paused", 1, 0]]);
  expect(await setFlowPaused(t.db, { ...q, flowId: id, paused: false })).toBe("live");
});

it("the provider-wait allowance: 24 hours unless set, 1 to 168, and only the workspace's own flow", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  const q = { workspaceId: s.workspace.id };
  const { id } = await createFlow(t.db, { ...q, name: "Welcome", draft: starterGraph("blank"), createdBy: null });
  expect((await getFlowForEditor(t.db, { ...q, flowId: id }))!.providerWaitHours).toBe(24);
  expect(await setFlowProviderWait(t.db, { ...q, flowId: id, hours: 72 })).toBe(true);
  expect((await getFlowForEditor(t.db, { ...q, flowId: id }))!.providerWaitHours).toBe(72);
  await expect(setFlowProviderWait(t.db, { ...q, flowId: id, hours: 169 })).rejects.toThrow();
  const other = await seedWorkspace(t.db, { contacts: 0 });
  expect(await setFlowProviderWait(t.db, { workspaceId: other.workspace.id, flowId: id, hours: 1 })).toBe(false);
  expect((await getFlowForEditor(t.db, { ...q, flowId: id }))!.providerWaitHours).toBe(72);
});
