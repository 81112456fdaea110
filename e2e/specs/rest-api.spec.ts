import { eq } from "drizzle-orm";
import { createApiKey, revokeApiKey } from "@/db/queries/api-keys";
import { auditLog, consentEvents, contacts, topics } from "@/db/schema/index";
import { createLiveFlow, graph, type N } from "../fixtures/flows";
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

  const cases: [() => ReturnType<typeof request.post>, number, string, string][] = [
    [() => request.post("/api/v1/contacts", { headers: { ...headers, "content-type": "application/json" }, data: Buffer.from("{not json") }), 400, "validation_failed", "body is not valid JSON"],
    [() => request.post("/api/v1/contacts", { headers, data: { first_name: "No address" } }), 400, "validation_failed", "email"],
    [() => request.post("/api/v1/contacts", { headers, data: { email: "x@example.com", attributes: { "Bad Name": 1 } } }), 400, "validation_failed", "attributes"],
    [() => request.post("/api/v1/contacts", { headers, data: { email: "ARNE@example.com" } }), 409, "conflict", "already a contact"],
    [() => request.post("/api/v1/contacts", { data: { email: "y@example.com" } }), 401, "unauthorized", "missing API key"],
    [() => request.get("/api/v1/contacts?limit=0", { headers }), 400, "validation_failed", "limit must be 1 to 200"],
    [() => request.get("/api/v1/contacts/not-a-uuid", { headers }), 404, "not_found", "contact not found"],
    [() => request.get("/api/v1/contacts/%E0%A4%A", { headers }), 400, "validation_failed", "path: a %-escape is malformed"],
  ];
  for (const [call, status, code, message] of cases) {
    const r = await call();
    expect(r.status(), message).toBe(status);
    const { error } = (await r.json()) as { error: { code: string; message: string } };
    expect(error.code, message).toBe(code);
    expect(error.message).toContain(message);
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
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/contacts", "/api/v1/contacts/{id}", "/api/v1/contacts/{id}/tags", "/api/v1/contacts/{id}/export", "/api/v1/contacts/{id}/erase", "/api/v1/events", "/api/v1/flows/{id}/enrollments"]));
});

test("the REST API tags contacts, sets topic subscriptions, records events and enrols into flows — each starting the flows it should", async ({ request, db, workspace }) => {
  const ws = workspace.workspace.id;
  const { key } = await createApiKey(db, { workspaceId: ws, name: "Shop backend", kind: "secret", createdBy: workspace.owner.id });
  const headers = { authorization: `Bearer ${key}` };
  // Each flow leaves a mark on the contact, so we can see which ran.
  const mark = (attribute: string) => ["mark", "update-attribute", { attribute, op: "set", value: true }] as N;
  const onCreated = await createLiveFlow(db, { workspaceId: ws, name: "On create", graph: graph([["t", "contact-created", { source: "api" }], mark("created_flow"), ["x", "exit"]], [["t", "next", "mark"], ["mark", "next", "x"]]) });
  const onTag = await createLiveFlow(db, { workspaceId: ws, name: "VIP", graph: graph([["t", "tag-added", { tag: "vip" }], mark("vip_flow"), ["x", "exit"]], [["t", "next", "mark"], ["mark", "next", "x"]]) });
  const onEvent = await createLiveFlow(db, { workspaceId: ws, name: "Buyers", graph: graph([["t", "event-tracked", { event: "Order Completed", filters: [] }], mark("buyer_flow"), ["x", "exit"]], [["t", "next", "mark"], ["mark", "next", "x"]]) });
  const manual = await createLiveFlow(db, { workspaceId: ws, name: "Hand-picked", graph: graph([["t", "manual-enrol"], mark("manual_flow"), ["x", "exit"]], [["t", "next", "mark"], ["mark", "next", "x"]]) });
  expect(new Set([onCreated.flowId, onTag.flowId, onEvent.flowId, manual.flowId]).size).toBe(4);

  const created = await request.post("/api/v1/contacts", { headers, data: { email: "kari@example.com", first_name: "Kari" } });
  expect(created.status()).toBe(201);
  const id = ((await created.json()) as { data: { id: string } }).data.id;
  const attrs = async () => (await db.select({ a: contacts.attributes }).from(contacts).where(eq(contacts.id, id)))[0]!.a;
  await expect.poll(attrs, { timeout: 20_000 }).toMatchObject({ created_flow: true });

  // Tags: adding starts the tag flow; adding again is not "added"; removing works; bad names are refused by field.
  const tagged = await request.post(`/api/v1/contacts/${id}/tags`, { headers, data: { tags: ["vip", "newsletter"] } });
  expect(await tagged.json()).toEqual({ data: ["newsletter", "vip"], added: ["vip", "newsletter"] });
  expect(((await (await request.post(`/api/v1/contacts/${id}/tags`, { headers, data: { tags: ["VIP"] } })).json()) as { added: string[] }).added).toEqual([]);
  await expect.poll(attrs, { timeout: 20_000 }).toMatchObject({ vip_flow: true });
  expect((await request.delete(`/api/v1/contacts/${id}/tags/newsletter`, { headers })).status()).toBe(204);
  expect((await request.delete(`/api/v1/contacts/${id}/tags/newsletter`, { headers })).status()).toBe(404);
  expect(await (await request.get(`/api/v1/contacts/${id}/tags`, { headers })).json()).toEqual({ data: ["vip"] });
  const badTag = await request.post(`/api/v1/contacts/${id}/tags`, { headers, data: { tags: [""] } });
  expect(badTag.status()).toBe(400);
  expect(((await badTag.json()) as { error: { field: string } }).error.field).toBe("tags.0");

  // Topic subscriptions: every change lands in the consent ledger; an unknown topic changes nothing.
  await db.insert(topics).values([{ workspaceId: ws, key: "offers", name: "Offers" }, { workspaceId: ws, key: "news", name: "News" }]);
  const sub = await request.put(`/api/v1/contacts/${id}/subscriptions`, { headers, data: { topics: { offers: true, news: false } } });
  expect(sub.status()).toBe(200);
  expect(((await sub.json()) as { data: { topic: string; state: string }[] }).data.map((d) => [d.topic, d.state])).toEqual([["news", "unsubscribed"], ["offers", "subscribed"]]);
  const unknown = await request.put(`/api/v1/contacts/${id}/subscriptions`, { headers, data: { topics: { offers: false, nope: true } } });
  expect(unknown.status()).toBe(400);
  expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("unknown topic: nope");
  const ledger = await db.select({ kind: consentEvents.kind, topic: consentEvents.topic, source: consentEvents.source }).from(consentEvents).where(eq(consentEvents.contactId, id));
  expect(ledger).toEqual(expect.arrayContaining([{ kind: "opt_in", topic: "offers", source: "api" }, { kind: "withdrawn", topic: "news", source: "api" }]));
  expect(ledger).toHaveLength(2);
  expect(await (await request.get("/api/v1/topics", { headers })).json()).toEqual({ data: [{ key: "news", name: "News", description: "" }, { key: "offers", name: "Offers", description: "" }] });

  // Events: recorded once per message_id, listed newest first, and they trigger flows.
  const ev = { email: "KARI@example.com", name: "Order Completed", properties: { total: 42 }, message_id: "order-1" };
  const first = await request.post("/api/v1/events", { headers, data: ev });
  expect(first.status()).toBe(201);
  const again = await request.post("/api/v1/events", { headers, data: ev });
  expect(again.status()).toBe(200);
  expect(((await again.json()) as { data: { duplicate: boolean; id: string } }).data).toMatchObject({ duplicate: true, id: ((await first.json()) as { data: { id: string } }).data.id });
  await expect.poll(attrs, { timeout: 20_000 }).toMatchObject({ buyer_flow: true });
  const listed = (await (await request.get(`/api/v1/contacts/${id}/events?name=Order%20Completed`, { headers })).json()) as { data: { name: string; properties: unknown }[] };
  expect(listed.data).toEqual([expect.objectContaining({ name: "Order Completed", properties: { total: 42 } })]);
  for (const [data, field] of [
    [{ name: "X" }, "contact_id"],
    [{ email: "kari@example.com", name: "" }, "name"],
    [{ email: "kari@example.com", name: "X", timestamp: "yesterday" }, "timestamp"],
  ] as const) {
    const r = await request.post("/api/v1/events", { headers, data });
    expect(r.status()).toBe(400);
    expect(((await r.json()) as { error: { field: string } }).error.field).toBe(field);
  }
  expect((await request.post("/api/v1/events", { headers, data: { email: "nobody@example.com", name: "X" } })).status()).toBe(404);

  // Manual enrolment into a live flow; unknown contacts and flows are refused.
  const flows = (await (await request.get("/api/v1/flows", { headers })).json()) as { data: { id: string; status: string }[] };
  expect(flows.data.map((f) => f.id)).toContain(manual.flowId);
  const enrol = await request.post(`/api/v1/flows/${manual.flowId}/enrollments`, { headers, data: { contact_ids: [id] } });
  expect(enrol.status()).toBe(202);
  await expect.poll(attrs, { timeout: 20_000 }).toMatchObject({ manual_flow: true });
  const stranger = await request.post(`/api/v1/flows/${manual.flowId}/enrollments`, { headers, data: { contact_ids: ["00000000-0000-4000-8000-000000000000"] } });
  expect(stranger.status()).toBe(404);
  expect(((await stranger.json()) as { error: { field: string } }).error.field).toBe("contact_ids");
  expect((await request.post(`/api/v1/flows/00000000-0000-4000-8000-000000000000/enrollments`, { headers, data: { contact_ids: [id] } })).status()).toBe(404);
});

test("the REST API refuses JSON nested deeper than the depth limit with a 400 naming the field, storing nothing", async ({ request, db, workspace }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Backend", kind: "secret", createdBy: workspace.owner.id });
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const contact = workspace.contacts[0]!;
  // 10,000 nested arrays: parsed fine, but serialising them for jsonb overflows the stack.
  const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
  const r = await request.post("/api/v1/events", { headers, data: Buffer.from(`{"contact_id":"${contact.id}","name":"Deep","properties":{"list":${deep}}}`) });
  expect(r.status()).toBe(400);
  expect(await r.json()).toEqual({ error: { code: "validation_failed", message: "properties: objects and arrays may nest at most 32 levels deep", field: "properties" } });
  const listed = (await (await request.get(`/api/v1/contacts/${contact.id}/events?name=Deep`, { headers })).json()) as { data: unknown[] };
  expect(listed.data).toEqual([]);
  // Nested as far as the limit allows is stored.
  const atLimit = `{"list":${"[".repeat(31)}${"]".repeat(31)}}`;
  const ok = await request.post("/api/v1/events", { headers, data: Buffer.from(`{"contact_id":"${contact.id}","name":"Deep","properties":${atLimit}}`) });
  expect(ok.status()).toBe(201);
});
