import { afterAll, beforeAll, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { contacts } from "../schema/index";
import { listContacts } from "./contacts";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

it("pages through contacts created in one statement (one timestamp, to the microsecond) without losing any", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  await t.db.insert(contacts).values(Array.from({ length: 7 }, (_, i) => ({ workspaceId: s.workspace.id, email: `same-${i}@example.com` })));
  const seen: string[] = [];
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await listContacts(t.db, { workspaceId: s.workspace.id, limit: 3, after });
    seen.push(...page.rows.map((r) => r.email));
    const last = page.rows.at(-1);
    if (!page.hasMore || !last) break;
    after = { createdAt: last.cursorAt, id: last.id };
  }
  expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `same-${i}@example.com`).sort());
});

it("finds contacts by the start of the address or a name, and not by the middle", async () => {
  const s = await seedWorkspace(t.db, { contacts: 0 });
  await t.db.insert(contacts).values([
    { workspaceId: s.workspace.id, email: "kari.nordmann@example.com", firstName: "Kari" },
    { workspaceId: s.workspace.id, email: "ola@example.com", firstName: "Ola", lastName: "Karlsen" },
    { workspaceId: s.workspace.id, email: "x_y@example.com" },
  ]);
  const find = async (search: string) => (await listContacts(t.db, { workspaceId: s.workspace.id, search })).rows.map((r) => r.email).sort();
  expect(await find("KARI")).toEqual(["kari.nordmann@example.com"]);
  expect(await find("karl")).toEqual(["ola@example.com"]);
  expect(await find("nordmann")).toEqual([]);
  // LIKE wildcards in the search are literal.
  expect(await find("x_")).toEqual(["x_y@example.com"]);
  expect(await find("%")).toEqual([]);
});
