import { eq } from "drizzle-orm";
import { createApiKey, revokeApiKey } from "../../db/queries/api-keys";
import { auditLog, contacts } from "../../db/schema/index";
import { expect, test } from "../fixtures/test";

test("@smoke the REST API manages contacts with a secret key, and refuses bad input by field", async ({ request, db, workspace }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "CRM sync", kind: "secret", createdBy: workspace.owner.id });
  const headers = { authorization: `Bearer ${key}` };

  const created = await request.post("/api/v1/contacts", {
    headers,
    data: { email: "arne@example.com", first_name: "Arne", external_id: "crm-17", attributes: { plan_tier: "gold", ltv: 120 } },
  });
  expect(created.status()).toBe(201);
  const { data: c } = (await created.json()) as { data: { id: string; status: string; attributes: Record<string, unknown> } };
  expect(c).toMatchObject({ status: "unconfirmed", attributes: { plan_tier: "gold", ltv: 120 } });

  const patched = await request.patch(`/api/v1/contacts/${c.id}`, { headers, data: { last_name: "Dahl", attributes: { ltv: 150 } } });
  expect(((await patched.json()) as { data: unknown }).data).toMatchObject({ first_name: "Arne", last_name: "Dahl", attributes: { plan_tier: "gold", ltv: 150 } });
  expect(((await (await request.get(`/api/v1/contacts/${c.id}`, { headers })).json()) as { data: { external_id: string } }).data.external_id).toBe("crm-17");

  // Paging with the cursor walks every contact once.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (await request.get(`/api/v1/contacts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers })).json()) as {
      data: { id: string }[];
      next_cursor: string | null;
    };
    seen.push(...page.data.map((x) => x.id));
    cursor = page.next_cursor;
  } while (cursor);
  expect(seen).toHaveLength(4);
  expect(new Set(seen).size).toBe(4);

  const cases: [() => ReturnType<typeof request.post>, number, string][] = [
    [() => request.post("/api/v1/contacts", { headers: { ...headers, "content-type": "application/json" }, data: Buffer.from("{not json") }), 400, "body is not valid JSON"],
    [() => request.post("/api/v1/contacts", { headers, data: { first_name: "No address" } }), 400, "email"],
    [() => request.post("/api/v1/contacts", { headers, data: { email: "x@example.com", attributes: { "Bad Name": 1 } } }), 400, "attributes"],
    [() => request.post("/api/v1/contacts", { headers, data: { email: "ARNE@example.com" } }), 409, "already a contact"],
    [() => request.post("/api/v1/contacts", { data: { email: "y@example.com" } }), 401, "missing API key"],
    [() => request.get("/api/v1/contacts?limit=0", { headers }), 400, "limit must be 1 to 200"],
    [() => request.get("/api/v1/contacts/not-a-uuid", { headers }), 404, "contact not found"],
  ];
  for (const [call, status, message] of cases) {
    const r = await call();
    expect(r.status(), message).toBe(status);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(message);
  }

  expect((await request.delete(`/api/v1/contacts/${c.id}`, { headers })).status()).toBe(204);
  expect(await db.select().from(contacts).where(eq(contacts.id, c.id))).toHaveLength(0);
  const audited = await db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.workspaceId, workspace.workspace.id));
  expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining(["contact.created", "contact.updated", "contact.deleted"]));

  // A public write key is not a secret key, and a revoked key stops working at once.
  const pub = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Site", kind: "public", createdBy: workspace.owner.id });
  expect((await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${pub.key}` } })).status()).toBe(401);
  const old = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Old", kind: "secret", createdBy: workspace.owner.id });
  await revokeApiKey(db, { workspaceId: workspace.workspace.id, id: old.id, now: new Date() });
  const revoked = await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${old.key}` } });
  expect(revoked.status()).toBe(401);
  expect(((await revoked.json()) as { error: { message: string } }).error.message).toBe("unknown or revoked secret key");

  const doc = (await (await request.get("/api/v1/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toEqual(["/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/contacts/{id}/export", "/api/v1/contacts/{id}/erase"]);
});
