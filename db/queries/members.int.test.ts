import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { memberships, users, workspaces } from "../schema/index";
import { MembershipError, removeMember, transferOwnership } from "./members";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

async function addMember(ws: SeededWorkspace, role: "owner" | "admin" | "editor" | "viewer") {
  const [u] = await t.db.insert(users).values({ email: `${role}-${Math.random().toString(36).slice(2, 10)}@example.com` }).returning({ id: users.id });
  await t.db.insert(memberships).values({ workspaceId: ws.workspace.id, userId: u!.id, role });
  return u!.id;
}

async function owners(workspaceId: string) {
  const rows = await t.db.select({ userId: memberships.userId }).from(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, "owner")));
  return rows.map((r) => r.userId).sort();
}

/** What a failed statement or commit reports, whether drizzle wrapped the driver's error or not. */
async function failure(p: Promise<unknown>): Promise<{ code?: string; message?: string } | undefined> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    return e.cause?.code ? e.cause : e;
  }
  return undefined;
}

describe("every workspace keeps an owner, in the database", () => {
  it("refuses a direct SQL update or delete that leaves a workspace without an owner", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const id = ws.workspace.id;
    const demoted = await failure(t.sql`update memberships set role = 'admin' where workspace_id = ${id} and user_id = ${ws.owner.id}`);
    expect(demoted).toMatchObject({ code: "23514", message: expect.stringContaining("at least one owner") });
    const deleted = await failure(t.sql`delete from memberships where workspace_id = ${id}`);
    expect(deleted).toMatchObject({ code: "23514" });
    // Deleting the owner's account would take the membership with it: refused too.
    expect(await failure(t.sql`delete from users where id = ${ws.owner.id}`)).toMatchObject({ code: "23514" });
    // Moving the only owner's row to another workspace leaves the first without one.
    const other = await seedWorkspace(t.db, { contacts: 0 });
    expect(await failure(t.sql`update memberships set workspace_id = ${other.workspace.id} where workspace_id = ${id}`)).toMatchObject({ code: "23514" });
    expect(await owners(id)).toEqual([ws.owner.id]);
  });

  it("checks at commit, so a hand-over inside one transaction passes in either order", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const id = ws.workspace.id;
    const next = await addMember(ws, "editor");
    await t.sql.begin(async (tx) => {
      await tx`update memberships set role = 'admin' where workspace_id = ${id} and user_id = ${ws.owner.id}`;
      await tx`update memberships set role = 'owner' where workspace_id = ${id} and user_id = ${next}`;
    });
    expect(await owners(id)).toEqual([next]);
    await t.sql.begin(async (tx) => {
      await tx`delete from memberships where workspace_id = ${id} and user_id = ${next}`;
      await tx`update memberships set role = 'owner' where workspace_id = ${id} and user_id = ${ws.owner.id}`;
    });
    expect(await owners(id)).toEqual([ws.owner.id]);
    // Demoting one of two owners is fine.
    const second = await addMember(ws, "owner");
    await t.sql`update memberships set role = 'viewer' where workspace_id = ${id} and user_id = ${ws.owner.id}`;
    expect(await owners(id)).toEqual([second]);
  });

  it("still lets a whole workspace be deleted, memberships and all", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 2 });
    await addMember(ws, "owner");
    await addMember(ws, "editor");
    await t.db.delete(workspaces).where(eq(workspaces.id, ws.workspace.id));
    expect(await t.db.select().from(workspaces).where(eq(workspaces.id, ws.workspace.id))).toHaveLength(0);
    expect(await t.db.select().from(memberships).where(eq(memberships.workspaceId, ws.workspace.id))).toHaveLength(0);
  });

  it("lets only one of two owners leaving at the same moment go", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const id = ws.workspace.id;
    const second = await addMember(ws, "owner");
    // Each sees the other still an owner when it deletes its own row. On Postgres both
    // transactions are held open until both have deleted, then commit together; the embedded
    // database runs one session, so there they run one after the other.
    const overlap = !t.embedded;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const deleted: Promise<void>[] = [];
    const leave = (userId: string) => {
      let done!: () => void;
      deleted.push(new Promise<void>((r) => (done = r)));
      return t.sql.begin(async (tx) => {
        await tx`delete from memberships where workspace_id = ${id} and user_id = ${userId}`;
        done();
        if (overlap) await gate;
      });
    };
    let outcomes: PromiseSettledResult<unknown>[];
    if (overlap) {
      const both = [leave(ws.owner.id), leave(second)];
      await Promise.all(deleted);
      release();
      outcomes = await Promise.allSettled(both);
    } else {
      outcomes = [];
      for (const u of [ws.owner.id, second]) outcomes.push((await Promise.allSettled([leave(u)]))[0]);
    }
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect((refused.reason as { code?: string }).code).toBe("23514");
    expect(await owners(id)).toHaveLength(1);
  });
});

describe("transferring ownership", () => {
  it("refuses a transfer to oneself with a clear message, keeping the owner", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const err = await transferOwnership(t.db, { workspaceId: ws.workspace.id, fromUserId: ws.owner.id, toUserId: ws.owner.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipError);
    expect((err as MembershipError).message).toBe("You already own this workspace: choose another member to transfer ownership to");
    expect(await owners(ws.workspace.id)).toEqual([ws.owner.id]);
    // … so the last owner still cannot leave afterwards.
    await expect(removeMember(t.db, { workspaceId: ws.workspace.id, userId: ws.owner.id, mayRemoveOwner: true })).rejects.toMatchObject({ code: "last_owner" });
    expect(await owners(ws.workspace.id)).toEqual([ws.owner.id]);
  });

  it("hands over to another member, the previous owner becoming an admin", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const next = await addMember(ws, "editor");
    await transferOwnership(t.db, { workspaceId: ws.workspace.id, fromUserId: ws.owner.id, toUserId: next });
    expect(await owners(ws.workspace.id)).toEqual([next]);
    const [prev] = await t.db.select({ role: memberships.role }).from(memberships).where(and(eq(memberships.workspaceId, ws.workspace.id), eq(memberships.userId, ws.owner.id)));
    expect(prev!.role).toBe("admin");
  });

  it("answers a removal the database refuses (two last owners leaving together) as a last-owner refusal", async () => {
    const ws = await seedWorkspace(t.db, { contacts: 0 });
    const second = await addMember(ws, "owner");
    const results = await Promise.allSettled([
      removeMember(t.db, { workspaceId: ws.workspace.id, userId: ws.owner.id, mayRemoveOwner: true }),
      removeMember(t.db, { workspaceId: ws.workspace.id, userId: second, mayRemoveOwner: true }),
    ]);
    expect(await owners(ws.workspace.id)).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "last_owner" });
    }
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
