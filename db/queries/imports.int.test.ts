import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { appOutbox, consentEvents, contacts, contactTags, workspaces } from "../schema/index";
import { duplicateRows } from "@/lib/import/mapping";
import { applyImportChunk, createImport, finishImport, getImport, importIssuePages } from "./imports";
import { suppressAddress } from "./suppressions";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

const settings = {
  header: ["email", "first", "seats"],
  mapping: [{ target: "email" as const }, { target: "first_name" as const }, { target: "attribute" as const, attribute: "seats", type: "number" as const }],
  tags: ["Imported", "Fair 2025"],
};

it("every row is a contact or a report line; erased and suppressed addresses are refused; a re-sent chunk is applied once", async () => {
  const ws = await seedWorkspace(t.db, { contacts: 1 });
  const w = ws.workspace.id;
  const existing = ws.contacts[0]!;
  await suppressAddress(t.db, { workspaceId: w, email: "gone@example.com", reason: "erased" });
  await suppressAddress(t.db, { workspaceId: w, email: "Unsub@example.com", reason: "unsubscribed" });
  const statement = "Signed up at our stand at the Bergen trade fair, 2025-05-02, paper form kept on file";
  const run = async (mode: "update" | "skip") => {
    const rows = [
      ["new1@example.com", "Ada", "3"],
      ["bad-address", "B", "1"],
      [existing.email.toUpperCase(), "Renamed", "7"],
      ["gone@example.com", "E", ""],
      ["unsub@example.com", "U", ""],
      ["NEW1@example.com", "Dup", ""],
      ["new2@example.com", "", "many"],
      [""],
    ];
    const imp = await createImport(t.db, { workspaceId: w, fileName: "fair.csv", mode, statement, settings, totalRows: rows.length, createdBy: ws.owner.id });
    const first = await applyImportChunk(t.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows: rows.slice(0, 4), actorUserId: ws.owner.id, now: new Date() });
    const again = await applyImportChunk(t.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows: rows.slice(0, 4), actorUserId: ws.owner.id, now: new Date() });
    expect(again).toEqual(first);
    await applyImportChunk(t.db, { workspaceId: w, importId: imp.id, firstRow: 5, rows: rows.slice(4), duplicates: duplicateRows(rows, 0), actorUserId: ws.owner.id, now: new Date() });
    const done = await finishImport(t.db, { workspaceId: w, importId: imp.id, now: new Date() });
    const lines: { rowNumber: number; outcome: string; reason: string }[] = [];
    for await (const page of importIssuePages(t.db, { workspaceId: w, importId: imp.id, pageSize: 2 })) lines.push(...page);
    return { imp, done: done!, lines };
  };

  const a = await run("update");
  expect(a.done).toMatchObject({ status: "completed", received: 8, created: 1, updated: 1, skipped: 0, rejected: 6 });
  expect(a.lines.map((l) => [l.rowNumber, l.outcome])).toEqual([[2, "rejected"], [4, "rejected"], [5, "rejected"], [6, "rejected"], [7, "rejected"], [8, "rejected"]]);
  expect(a.lines.find((l) => l.rowNumber === 4)!.reason).toMatch(/erased/);
  expect(a.lines.find((l) => l.rowNumber === 6)!.reason).toBe("same address as row 1");
  expect(a.lines.find((l) => l.rowNumber === 7)!.reason).toMatch(/seats is not a number/);
  const [created] = await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, "new1@example.com")));
  // The workspace asks for double opt-in: imported people start unconfirmed.
  expect(created).toMatchObject({ status: "unconfirmed", source: "import", firstName: "Ada", attributes: { seats: 3 } });
  const [renamed] = await t.db.select().from(contacts).where(eq(contacts.id, existing.id));
  expect(renamed).toMatchObject({ firstName: "Renamed", attributes: { seats: 7 }, status: "subscribed" });
  const consent = await t.db.select().from(consentEvents).where(eq(consentEvents.contactId, created!.id));
  expect(consent).toEqual([expect.objectContaining({ kind: "opt_in", source: "import", wording: statement })]);
  expect(await t.db.select().from(contactTags).where(eq(contactTags.contactId, created!.id))).toHaveLength(2);
  // New contacts (not updated ones) are announced to "contact created" flows, once, through the
  // outbox: one event per chunk naming them, not one per contact.
  const announced = await t.db.select().from(appOutbox).where(eq(appOutbox.name, "contacts/imported"));
  expect(announced.map((o) => o.data)).toEqual([{ workspaceId: w, contactIds: [created!.id], source: "import" }]);
  expect(announced[0]!.eventId).toMatch(/^contacts-imported:[0-9a-f-]{36}:1:0$/);
  expect(await t.db.select().from(appOutbox).where(eq(appOutbox.name, "contact/created"))).toEqual([]);
  expect(await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, "gone@example.com")))).toEqual([]);

  // Double opt-in off and "skip existing": the new address is subscribed, existing ones are report lines.
  await t.db.update(workspaces).set({ doubleOptInDefault: false }).where(eq(workspaces.id, w));
  await t.db.delete(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, "new1@example.com")));
  const b = await run("skip");
  expect(b.done).toMatchObject({ created: 1, updated: 0, skipped: 1, rejected: 6 });
  expect(b.lines.find((l) => l.rowNumber === 3)).toMatchObject({ outcome: "skipped" });
  const [again] = await t.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, "new1@example.com")));
  expect(again!.status).toBe("subscribed");
  const imp = await getImport(t.db, { workspaceId: w, importId: b.imp.id });
  expect(imp!.created + imp!.updated + imp!.skipped + imp!.rejected).toBe(imp!.totalRows);
  await expect(applyImportChunk(t.db, { workspaceId: w, importId: b.imp.id, firstRow: 9, rows: [["late@example.com"]], actorUserId: null, now: new Date() })).rejects.toThrow(/finished/);
});

it("a row holding text Postgres cannot store is a report line naming the column; the rest of its chunk is imported", async () => {
  const ws = await seedWorkspace(t.db, { contacts: 0 });
  const w = ws.workspace.id;
  const rows = [
    ["nul@example.com", "Ada\u0000", "1"],
    ["half@example.com", "B", "2\ud800"],
    ["fine@example.com", "Cleo", "3"],
  ];
  const imp = await createImport(t.db, { workspaceId: w, fileName: "odd.csv", mode: "update", statement: "Signed up on the paper form at the Bergen fair, kept on file", settings, totalRows: rows.length, createdBy: ws.owner.id });
  const r = await applyImportChunk(t.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows, actorUserId: ws.owner.id, now: new Date() });
  expect(r).toMatchObject({ created: 1, rejected: 2 });
  const lines: { rowNumber: number; reason: string; raw: string[] }[] = [];
  for await (const page of importIssuePages(t.db, { workspaceId: w, importId: imp.id, pageSize: 10 })) lines.push(...page);
  expect(lines.map((l) => [l.rowNumber, l.reason, l.raw])).toEqual([
    [1, "column 2: must not contain the NUL character (\\u0000) or half of a surrogate pair (\\ud800–\\udfff)", ["nul@example.com", "Ada\ufffd", "1"]],
    [2, "column 3: must not contain the NUL character (\\u0000) or half of a surrogate pair (\\ud800–\\udfff)", ["half@example.com", "B", "2\ufffd"]],
  ]);
  expect((await t.db.select().from(contacts).where(eq(contacts.workspaceId, w))).map((c) => c.email)).toEqual(["fine@example.com"]);
});

it("a chunk of 2,500 new contacts is announced as three events of at most a thousand, naming each new contact once", async () => {
  const ws = await seedWorkspace(t.db, { contacts: 0 });
  const w = ws.workspace.id;
  const rows = Array.from({ length: 2500 }, (_, i) => [`bulk${i}@example.com`, `B${i}`, ""]);
  const imp = await createImport(t.db, { workspaceId: w, fileName: "bulk.csv", mode: "update", statement: "Customers who opted in at checkout", settings, totalRows: rows.length, createdBy: ws.owner.id });
  const r = await applyImportChunk(t.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows, actorUserId: ws.owner.id, now: new Date() });
  expect(r.created).toBe(2500);
  const announced = (await t.db.select().from(appOutbox).where(eq(appOutbox.name, "contacts/imported"))).filter((o) => (o.data as { workspaceId: string }).workspaceId === w);
  const sizes = announced.map((o) => (o.data as { contactIds: string[] }).contactIds.length).sort((a, b) => b - a);
  expect(sizes).toEqual([1000, 1000, 500]);
  const named = announced.flatMap((o) => (o.data as { contactIds: string[] }).contactIds);
  const created = await t.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.workspaceId, w));
  expect(new Set(named).size).toBe(2500);
  expect([...named].sort()).toEqual(created.map((c) => c.id).sort());
  expect(new Set(announced.map((o) => o.eventId)).size).toBe(3);
});
