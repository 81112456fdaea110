import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { createLiveFlow, graph, publish } from "@/e2e/fixtures/flows";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { eraseContactData } from "@/db/queries/consent";
import { enrollmentTrace, listEnrollments } from "@/db/queries/enrollments";
import { NotifyMemberError } from "@/db/queries/flow-versions";
import { listNotices } from "@/db/queries/notifications";
import { contacts, flows, flowVersions, memberships, notifications, users } from "@/db/schema/index";
import { now } from "@/lib/clock";

/**
 * The notify-team node on the real runner (local executor on a virtual clock, the real serve
 * handler, the real Resend SDK into the capture server): the notice, one mail per chosen member
 * with the contact's link, a retried step, a member removed since publish, the publish check and
 * erasure.
 */

const HOUR = 3_600_000;
let h: FlowHarness;

beforeAll(async () => {
  h = await startFlowHarness();
});
afterAll(() => h?.stop());

type World = { ws: SeededWorkspace; contactId: string; people: Record<"owner" | "editor" | "viewer", { id: string; email: string }> };

async function world(): Promise<World> {
  const ws = await seedWorkspace(h.db.db, { contacts: 1 });
  const contactId = ws.contacts[0]!.id;
  await h.db.db.update(contacts).set({ firstName: "Ada", lastName: "Lovelace" }).where(eq(contacts.id, contactId));
  await h.db.db.update(users).set({ name: `Owner ${ws.workspace.slug}` }).where(eq(users.id, ws.owner.id));
  const people = { owner: ws.owner } as World["people"];
  for (const role of ["editor", "viewer"] as const) {
    const email = `${role}-${ws.workspace.slug}@example.com`;
    const [u] = await h.db.db.insert(users).values({ email, name: `${role[0]!.toUpperCase()}${role.slice(1)} ${ws.workspace.slug}` }).returning({ id: users.id });
    await h.db.db.insert(memberships).values({ workspaceId: ws.workspace.id, userId: u!.id, role });
    people[role] = { id: u!.id, email };
  }
  return { ws, contactId, people };
}

const notifyGraph = (memberIds: string[]) =>
  graph(
    [
      ["t", "manual-enrol"],
      ["n", "notify-team", { memberIds, message: "Hot lead: call today" }],
      ["x", "exit", { reason: "done" }],
    ],
    [
      ["t", "next", "n"],
      ["n", "next", "x"],
    ],
  );

async function runFor(w: World, flowId: string) {
  await h.app.inngest.send({ name: "flow/enroll.requested", data: { workspaceId: w.ws.workspace.id, flowId, contactIds: [w.contactId] } });
  await h.settle();
}

const mailsTo = (email: string) => h.capture.emails.filter((m) => m.to.includes(email));
const requestsTo = (email: string) => h.capture.requests.filter((r) => JSON.stringify(r.body).includes(email));
const teamNotices = (w: World) => h.db.db.select().from(notifications).where(and(eq(notifications.workspaceId, w.ws.workspace.id), eq(notifications.kind, "team_notified")));

async function traceOf(w: World, flowId: string) {
  const [e] = await listEnrollments(h.db.db, { workspaceId: w.ws.workspace.id, flowId, contactId: w.contactId });
  return { enrollment: e!, steps: await enrollmentTrace(h.db.db, { workspaceId: w.ws.workspace.id, enrollmentId: e!.id }) };
}

describe("notify team", () => {
  it("notify team mails each chosen member with the contact link, and the notices page lists who was told", async () => {
    const w = await world();
    const g = notifyGraph([w.people.owner.id, w.people.editor.id]);
    expect(g.nodes.find((n) => n.id === "n")!.kind).toBe("notify-team");
    const { flowId } = await createLiveFlow(h.db.db, { workspaceId: w.ws.workspace.id, name: "Big carts", graph: g });
    await runFor(w, flowId);

    const link = `/w/${w.ws.workspace.slug}/contacts/${w.contactId}`;
    const [notice, ...more] = await teamNotices(w);
    expect(more).toEqual([]);
    const { enrollment, steps } = await traceOf(w, flowId);
    expect(notice).toMatchObject({
      title: "Big carts: Ada Lovelace",
      detail: "Hot lead: call today",
      flowId,
      contactId: w.contactId,
      nodeId: "n",
      dedupeKey: `${enrollment.id}:n#1:notify-team`,
    });
    expect(notice!.recipientUserIds!.sort()).toEqual([w.people.owner.id, w.people.editor.id].sort());
    for (const who of [w.people.owner, w.people.editor]) {
      const [mail, ...others] = mailsTo(who.email);
      expect(others).toEqual([]);
      expect(mail!.subject).toBe("Big carts: Ada Lovelace");
      expect(mail!.text).toContain("Hot lead: call today");
      expect(mail!.text).toContain(`${link}\n`);
      expect(mail!.html).toContain(`${link}"`);
      expect(mail!.idempotencyKey).toBe(`team:${notice!.id}:${who.id}`);
      expect(mail!.tags).toContainEqual({ name: "kind", value: "team_notified" });
    }
    expect(mailsTo(w.people.viewer.email)).toEqual([]);
    const step = steps.find((s) => s.nodeId === "n")!;
    expect(step).toMatchObject({ outcome: "done", exit: "next" });
    expect(step.detail).toMatch(/^Told /);
    expect(step.detail).toContain(`Editor ${w.ws.workspace.slug}`);
    expect(steps.map((s) => s.nodeId)).toEqual(["t", "n", "x"]);

    const [listed] = (await listNotices(h.db.db, { workspaceId: w.ws.workspace.id })).filter((n) => n.kind === "team_notified");
    expect(listed).toMatchObject({ contactId: w.contactId, title: "Big carts: Ada Lovelace", flowName: "Big carts" });
    expect(listed!.told.sort()).toEqual([`Editor ${w.ws.workspace.slug}`, `Owner ${w.ws.workspace.slug}`]);
    expect(listed!.mailedAt).not.toBeNull();
  });

  it("a retried step makes one notice and mails each member once", async () => {
    const w = await world();
    const { flowId } = await createLiveFlow(h.db.db, { workspaceId: w.ws.workspace.id, graph: notifyGraph([w.people.owner.id, w.people.editor.id]) });
    // The step's first mail fails (the provider answers 500): the step throws after recording the
    // notice, and its retry finds that notice and sends both mails.
    h.capture.failNext({ status: 500 }, 1);
    await runFor(w, flowId);
    await h.advance(HOUR);
    const all = await teamNotices(w);
    expect(all).toHaveLength(1);
    const first = [w.people.editor, w.people.owner].sort((a, b) => a.email.localeCompare(b.email))[0]!;
    expect(requestsTo(first.email).length).toBeGreaterThanOrEqual(2);
    for (const who of [w.people.owner, w.people.editor]) expect(mailsTo(who.email)).toHaveLength(1);
    const { enrollment, steps } = await traceOf(w, flowId);
    expect(enrollment.status).toBe("exited");
    expect(steps.filter((s) => s.nodeId === "n")).toHaveLength(1);
  });

  it("a member removed since publish is skipped, and the trace says so", async () => {
    const w = await world();
    const { flowId } = await createLiveFlow(h.db.db, { workspaceId: w.ws.workspace.id, graph: notifyGraph([w.people.owner.id, w.people.viewer.id]) });
    await h.db.db.delete(memberships).where(and(eq(memberships.workspaceId, w.ws.workspace.id), eq(memberships.userId, w.people.viewer.id)));
    await runFor(w, flowId);
    expect(mailsTo(w.people.owner.email)).toHaveLength(1);
    expect(mailsTo(w.people.viewer.email)).toEqual([]);
    const [notice] = await teamNotices(w);
    expect(notice!.recipientUserIds).toEqual([w.people.owner.id]);
    const step = (await traceOf(w, flowId)).steps.find((s) => s.nodeId === "n")!;
    expect(step.detail).toBe(`Told Owner ${w.ws.workspace.slug}; skipped 1 no longer a member of the workspace`);
  });

  it("publishing refuses a member of another workspace, naming the node, and records no version", async () => {
    const w = await world();
    const other = await seedWorkspace(h.db.db, { contacts: 0 });
    const g = notifyGraph([w.people.owner.id, other.owner.id]);
    const [flow] = await h.db.db.insert(flows).values({ workspaceId: w.ws.workspace.id, name: "Leak", draft: g }).returning({ id: flows.id });
    const refused = await publish(h.db.db, { workspaceId: w.ws.workspace.id, flowId: flow!.id, graph: g }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NotifyMemberError);
    expect((refused as NotifyMemberError).message).toBe(`n: ${other.owner.id} is not a member of this workspace: choose from its members`);
    expect(await h.db.db.select().from(flowVersions).where(eq(flowVersions.flowId, flow!.id))).toEqual([]);
    // A made-up id is refused alike; garbage never reaches the database (compile refuses it).
    const made = notifyGraph([crypto.randomUUID()]);
    await expect(publish(h.db.db, { workspaceId: w.ws.workspace.id, flowId: flow!.id, graph: made })).rejects.toBeInstanceOf(NotifyMemberError);
    await expect(publish(h.db.db, { workspaceId: w.ws.workspace.id, flowId: flow!.id, graph: notifyGraph(["not-a-user"]) })).rejects.toThrow(/members are chosen/);
  });

  it("erasing the contact removes their name from the notice", async () => {
    const w = await world();
    const { flowId } = await createLiveFlow(h.db.db, { workspaceId: w.ws.workspace.id, name: "Erasable", graph: notifyGraph([w.people.owner.id]) });
    await runFor(w, flowId);
    await eraseContactData(h.db.db, { workspaceId: w.ws.workspace.id, contactId: w.contactId, at: now() });
    const [notice] = await teamNotices(w);
    expect(notice!.title).toBe("Erasable: an erased contact");
    expect(JSON.stringify(notice)).not.toMatch(/Ada|Lovelace|example\.com/);
  });
});
