import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, withRollback, type TestDatabase } from "../e2e/fixtures/database";
import type { Tx } from "./client";
import { seedWorkspace } from "../e2e/fixtures/seed";
import { applyMigrations } from "./migrate";
import { consentEvents, contacts, enrollments, flows, flowVersions, flowVersionTemplates, templates, templateVersions, workspaces } from "./schema/index";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.destroy();
});

/** The Postgres error code of a failed statement (drizzle wraps the driver's error). */
async function pgCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code;
  }
  return undefined;
}

describe("migrations", () => {
  it("apply again as a no-op", async () => {
    await applyMigrations(t.db);
    const [row] = await t.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(row!.n).toBeGreaterThanOrEqual(2);
    await applyMigrations(t.db);
    const [again] = await t.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(again!.n).toBe(row!.n);
  });
});

describe("contacts", () => {
  it("keep email unique per workspace, ignoring case", async () => {
    await withRollback(t.db, async (tx) => {
      const a = await seedWorkspace(tx, { contacts: 0 });
      const b = await seedWorkspace(tx, { contacts: 0 });
      await tx.insert(contacts).values({ workspaceId: a.workspace.id, email: "Kari.Nordmann@Example.com" });
      // Same address in another workspace is a different contact.
      await tx.insert(contacts).values({ workspaceId: b.workspace.id, email: "kari.nordmann@example.com" });
      const code = await pgCode(
        tx.transaction((sp) => sp.insert(contacts).values({ workspaceId: a.workspace.id, email: "KARI.NORDMANN@example.COM" })),
      );
      expect(code).toBe("23505");
      const rows = await tx.select().from(contacts).where(eq(contacts.workspaceId, a.workspace.id));
      expect(rows.map((r) => r.email)).toEqual(["Kari.Nordmann@Example.com"]);
    });
  });

  it("default to unconfirmed with empty attributes", async () => {
    await withRollback(t.db, async (tx) => {
      const a = await seedWorkspace(tx, { contacts: 0 });
      const [c] = await tx.insert(contacts).values({ workspaceId: a.workspace.id, email: "new@example.com" }).returning();
      expect(c!.status).toBe("unconfirmed");
      expect(c!.attributes).toEqual({});
    });
  });
});

describe("consent ledger", () => {
  async function ledgerRow(tx: Tx) {
    const s = await seedWorkspace(tx, { contacts: 1 });
    const contact = s.contacts[0]!;
    const [row] = await tx
      .insert(consentEvents)
      .values({
        workspaceId: s.workspace.id,
        contactId: contact.id,
        kind: "opt_in",
        email: contact.email,
        source: "hosted_form",
        formVersion: "3",
        wording: "Yes, send me the Acme newsletter.",
        ip: "203.0.113.9",
        userAgent: "Mozilla/5.0",
      })
      .returning();
    return { s, row: row! };
  }

  it("refuses to change what was recorded", async () => {
    await withRollback(t.db, async (tx) => {
      const { row } = await ledgerRow(tx);
      const code = await pgCode(
        tx.transaction((sp) => sp.update(consentEvents).set({ kind: "withdrawn" }).where(eq(consentEvents.id, row.id))),
      );
      expect(code).toBe("P0001");
      const wording = await pgCode(
        tx.transaction((sp) => sp.update(consentEvents).set({ wording: "Something else" }).where(eq(consentEvents.id, row.id))),
      );
      expect(wording).toBe("P0001");
      const [after] = await tx.select().from(consentEvents).where(eq(consentEvents.id, row.id));
      expect(after!.kind).toBe("opt_in");
      expect(after!.wording).toBe("Yes, send me the Acme newsletter.");
    });
  });

  it("refuses deletes", async () => {
    await withRollback(t.db, async (tx) => {
      const { row } = await ledgerRow(tx);
      const code = await pgCode(tx.transaction((sp) => sp.delete(consentEvents).where(eq(consentEvents.id, row.id))));
      expect(code).toBe("P0001");
      expect(await tx.select().from(consentEvents).where(eq(consentEvents.id, row.id))).toHaveLength(1);
    });
  });

  it("lets erasure redact personal fields, keeping kind, time and form version", async () => {
    await withRollback(t.db, async (tx) => {
      const { row, s } = await ledgerRow(tx);
      await tx.update(consentEvents).set({ email: null, ip: null, userAgent: null }).where(eq(consentEvents.id, row.id));
      // Deleting the contact detaches its ledger rows instead of deleting them.
      await tx.delete(contacts).where(eq(contacts.id, s.contacts[0]!.id));
      const [after] = await tx.select().from(consentEvents).where(eq(consentEvents.id, row.id));
      expect(after).toMatchObject({ kind: "opt_in", formVersion: "3", email: null, ip: null, contactId: null });
      expect(after!.occurredAt).toEqual(row.occurredAt);
    });
  });

  it("goes with its workspace when the workspace is deleted", async () => {
    await withRollback(t.db, async (tx) => {
      const { s } = await ledgerRow(tx);
      await tx.delete(workspaces).where(eq(workspaces.id, s.workspace.id));
      const left = await tx.select().from(consentEvents).where(eq(consentEvents.workspaceId, s.workspace.id));
      expect(left).toHaveLength(0);
    });
  });
});

describe("enrollments", () => {
  it("allow one active enrollment per flow and contact, and any number of finished ones", async () => {
    await withRollback(t.db, async (tx) => {
      const s = await seedWorkspace(tx, { contacts: 1 });
      const [flow] = await tx.insert(flows).values({ workspaceId: s.workspace.id, name: "Welcome" }).returning();
      const [version] = await tx
        .insert(flowVersions)
        .values({ workspaceId: s.workspace.id, flowId: flow!.id, number: 1, hash: "h", plan: {}, graph: {} })
        .returning();
      const base = { workspaceId: s.workspace.id, flowId: flow!.id, flowVersionId: version!.id, contactId: s.contacts[0]!.id };
      await tx.insert(enrollments).values({ ...base, status: "completed" });
      await tx.insert(enrollments).values({ ...base, status: "active" });
      const code = await pgCode(tx.transaction((sp) => sp.insert(enrollments).values({ ...base, status: "active" })));
      expect(code).toBe("23505");
      const [n] = await tx.select({ n: sql<number>`count(*)::int` }).from(enrollments).where(eq(enrollments.flowId, flow!.id));
      expect(n!.n).toBe(2);
    });
  });

  it("refuse a re-entry delay without a number of days", async () => {
    await withRollback(t.db, async (tx) => {
      const s = await seedWorkspace(tx, { contacts: 0 });
      const code = await pgCode(
        tx.transaction((sp) => sp.insert(flows).values({ workspaceId: s.workspace.id, name: "x", reentry: "after" })),
      );
      expect(code).toBe("23514");
    });
  });
});

describe("published versions", () => {
  /** A flow version pinning a template version, as a publish leaves them. */
  async function pinned(tx: Tx) {
    const s = await seedWorkspace(tx, { contacts: 0 });
    const ws = s.workspace.id;
    const [flow] = await tx.insert(flows).values({ workspaceId: ws, name: "Welcome" }).returning();
    const [version] = await tx.insert(flowVersions).values({ workspaceId: ws, flowId: flow!.id, number: 1, hash: "h", plan: {}, graph: {} }).returning();
    const [template] = await tx.insert(templates).values({ workspaceId: ws, name: "Hello", subject: "Hi" }).returning();
    const [tv] = await tx
      .insert(templateVersions)
      .values({ workspaceId: ws, templateId: template!.id, number: 1, hash: "t", name: "Hello", class: "marketing", subject: "Hi", preheader: "", body: {} })
      .returning();
    await tx.insert(flowVersionTemplates).values({ workspaceId: ws, flowVersionId: version!.id, templateId: template!.id, templateVersionId: tv!.id });
    return { s, flow: flow!, version: version!, template: template!, tv: tv! };
  }

  it("refuse any change to a flow version or a template version", async () => {
    await withRollback(t.db, async (tx) => {
      const p = await pinned(tx);
      expect(await pgCode(tx.transaction((sp) => sp.update(flowVersions).set({ plan: { nodes: {} } }).where(eq(flowVersions.id, p.version.id))))).toBe("P0001");
      expect(await pgCode(tx.transaction((sp) => sp.delete(flowVersions).where(eq(flowVersions.id, p.version.id))))).toBe("P0001");
      expect(await pgCode(tx.transaction((sp) => sp.update(templateVersions).set({ subject: "Changed" }).where(eq(templateVersions.id, p.tv.id))))).toBe("P0001");
      expect(await pgCode(tx.transaction((sp) => sp.delete(templateVersions).where(eq(templateVersions.id, p.tv.id))))).toBe("P0001");
      const [tv] = await tx.select().from(templateVersions).where(eq(templateVersions.id, p.tv.id));
      expect(tv!.subject).toBe("Hi");
    });
  });

  it("keep a template pinned by a flow version from being deleted", async () => {
    await withRollback(t.db, async (tx) => {
      const p = await pinned(tx);
      expect(await pgCode(tx.transaction((sp) => sp.delete(templates).where(eq(templates.id, p.template.id))))).toBe("23503");
      // Once the flow (and so its versions) is gone, the template can go, with its versions.
      await tx.delete(flows).where(eq(flows.id, p.flow.id));
      await tx.delete(templates).where(eq(templates.id, p.template.id));
      expect(await tx.select().from(templateVersions).where(eq(templateVersions.templateId, p.template.id))).toHaveLength(0);
    });
  });

  it("go with their workspace when the workspace is deleted", async () => {
    await withRollback(t.db, async (tx) => {
      const p = await pinned(tx);
      await tx.delete(workspaces).where(eq(workspaces.id, p.s.workspace.id));
      expect(await tx.select().from(flowVersions).where(eq(flowVersions.workspaceId, p.s.workspace.id))).toHaveLength(0);
      expect(await tx.select().from(templateVersions).where(eq(templateVersions.workspaceId, p.s.workspace.id))).toHaveLength(0);
    });
  });
});

describe("workspaces", () => {
  it("refuse a malformed or duplicate slug", async () => {
    await withRollback(t.db, async (tx) => {
      const s = await seedWorkspace(tx, { contacts: 0 });
      expect(await pgCode(tx.transaction((sp) => sp.insert(workspaces).values({ name: "x", slug: "Bad Slug" })))).toBe("23514");
      expect(await pgCode(tx.transaction((sp) => sp.insert(workspaces).values({ name: "x", slug: s.workspace.slug })))).toBe(
        "23505",
      );
    });
  });
});
