import { and, eq } from "drizzle-orm";
import { createApiKey } from "@/db/queries/api-keys";
import { consentEvents, contacts, events, forms, messages, topics } from "@/db/schema/index";
import { sessionCookieFor } from "../fixtures/sign-in";
import { expect, test } from "../fixtures/test";

/**
 * Text Postgres cannot store (NUL, half a surrogate pair) and times it cannot hold are refused at
 * every boundary with a 4xx naming the field, before they reach a query: the REST API, pages with
 * a search, server actions, the public signup form and unsubscribe. Nothing already stored changes.
 */

const NUL_MESSAGE = "must not contain the NUL character";
type ApiError = { error: { message: string; field?: string } };

test("the REST API names the field holding text or a time Postgres cannot store, and changes nothing", async ({ request, db, workspace }) => {
  const { key } = await createApiKey(db, { workspaceId: workspace.workspace.id, name: "Ops", kind: "secret", createdBy: workspace.owner.id });
  const headers = { authorization: `Bearer ${key}` };
  const c = workspace.contacts[0]!;
  expect((await request.post(`/api/v1/contacts/${c.id}/tags`, { headers, data: { tags: ["vip", "50%", "%zz"] } })).status()).toBe(200);
  // A tag holding "%" is named in the path once escaped, like any other.
  expect((await request.delete(`/api/v1/contacts/${c.id}/tags/50%25`, { headers })).status()).toBe(204);
  expect((await request.delete(`/api/v1/contacts/${c.id}/tags/%25zz`, { headers })).status()).toBe(204);

  const cases: [string, () => ReturnType<typeof request.get>, string][] = [
    ["search", () => request.get("/api/v1/contacts?search=%00", { headers }), "search"],
    ["a name", () => request.post("/api/v1/contacts", { headers, data: { email: "nul@example.com", first_name: "Ada\u0000" } }), "first_name"],
    ["half a pair", () => request.patch(`/api/v1/contacts/${c.id}`, { headers, data: { last_name: "x\ud800" } }), "last_name"],
    ["a nested property", () => request.post("/api/v1/events", { headers, data: { contact_id: c.id, name: "Viewed", properties: { page: { title: "a\u0000" } } } }), "properties.page.title"],
    ["a property name", () => request.post("/api/v1/events", { headers, data: { contact_id: c.id, name: "Viewed", properties: { ["k\u0000"]: 1 } } }), "properties.k\\u0000"],
    ["a year Postgres has no date for", () => request.post("/api/v1/events", { headers, data: { contact_id: c.id, name: "Viewed", timestamp: "0000-12-31T23:00:00Z" } }), "timestamp"],
    ["a cursor with a malformed id", () => request.get(`/api/v1/contacts?cursor=${encodeURIComponent("2026-01-01T00:00:00.000000Z_------------------------------------")}`, { headers }), "cursor"],
    ["a cursor from year 0", () => request.get(`/api/v1/contacts?cursor=${encodeURIComponent(`0000-01-01T00:00:00.000000Z_${c.id}`)}`, { headers }), "cursor"],
    ["an events cursor with a malformed id", () => request.get(`/api/v1/contacts/${c.id}/events?cursor=${encodeURIComponent("2026-01-01T00:00:00.000000Z_------------------------------------")}`, { headers }), "cursor"],
    ["a tag in the path", () => request.delete(`/api/v1/contacts/${c.id}/tags/vip%00`, { headers }), "path"],
  ];
  for (const [what, call, field] of cases) {
    const r = await call();
    expect(r.status(), what).toBe(400);
    const body = (await r.json()) as ApiError;
    expect(body.error.field, what).toBe(field);
    expect(body.error.message, what).toContain(field);
  }

  expect(await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, "nul@example.com")))).toEqual([]);
  const [after] = await db.select().from(contacts).where(eq(contacts.id, c.id));
  expect(after!.lastName).toBeNull();
  expect(await db.select().from(events).where(eq(events.contactId, c.id))).toEqual([]);
  expect(((await (await request.get(`/api/v1/contacts/${c.id}/tags`, { headers })).json()) as { data: string[] }).data).toEqual(["vip"]);
});

test("the contacts page answers a NUL in its search with a 400 naming it; cursors it cannot use are ignored", async ({ request, db, workspace }) => {
  const s = await sessionCookieFor(db, workspace.owner.id, test.info().project.use.baseURL!);
  const headers = { cookie: `${s.name}=${s.value}` };
  const base = `/w/${workspace.workspace.slug}`;
  const nul = await request.get(`${base}/contacts?q=%00`, { headers, maxRedirects: 0 });
  expect(nul.status()).toBe(400);
  expect(await nul.text()).toContain(`q: ${NUL_MESSAGE}`);
  for (const after of [`0000-01-01T00:00:00.000000Z_${workspace.contacts[0]!.id}`, "2026-01-01T00:00:00.000000Z_------------------------------------", `2026-02-31T00:00:00.000000Z_${workspace.contacts[0]!.id}`]) {
    const page = await request.get(`${base}/contacts?after=${encodeURIComponent(after)}`, { headers, maxRedirects: 0 });
    expect(page.status(), after).toBe(200);
    expect(await page.text()).toContain(workspace.contacts[0]!.email);
  }
  expect((await request.get(`${base}/settings/audit?before=0000-01-01T00:00:00Z`, { headers, maxRedirects: 0 })).status()).toBe(200);
});

test("server actions name the field holding a NUL, refuse arguments that are not a form, and store nothing", async ({ request, db, workspace }) => {
  const s = await sessionCookieFor(db, workspace.owner.id, test.info().project.use.baseURL!);
  const cookie = `${s.name}=${s.value}`;
  const slug = workspace.workspace.slug;

  // A preview route (lib/auth/action `actionRoute`): the segment definition is JSON inside a field.
  const preview = await request.post(`/w/${slug}/segments/preview`, {
    headers: { cookie },
    multipart: { workspace: slug, definition: JSON.stringify({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "gold\u0000" } }] }) },
  });
  expect(preview.status()).toBe(200);
  const state = (await preview.json()) as { ok: boolean; message: string };
  expect(state.ok).toBe(false);
  expect(state.message).toContain(`the definition: ${NUL_MESSAGE}`);

  // The new-contact form's own action, called as the browser calls it: React's encoding of
  // (previous state, form data) with the Next-Action header, as a script on any page could. The
  // form's fields travel as "_1_<name>", the arguments as JSON in "0".
  const html = await (await request.get(`/w/${slug}/contacts/new`, { headers: { cookie } })).text();
  const form = html.split("<form").find((f) => f.includes('name="email"'))!;
  const actionId = /&quot;id&quot;:&quot;([0-9a-f]+)&quot;/.exec(form)![1]!;
  const call = (parts: [string, string][]) => {
    // In the browser's order: the form's fields first, then the arguments that refer to them.
    const multipart = new FormData();
    for (const [k, v] of parts) multipart.append(k, v);
    return request.post(`/w/${slug}/contacts/new`, { headers: { cookie, "next-action": actionId, accept: "text/x-component" }, multipart });
  };
  const named = await call([
    ["_1_workspace", slug],
    ["_1_email", "nul-action@example.com"],
    ["_1_firstName", "Ada\u0000"],
    ["_1_lastName", ""],
    ["_1_timeZone", ""],
    ["0", '["$undefined","$K1"]'],
  ]);
  expect(named.status()).toBe(200);
  expect(await named.text()).toContain(`firstName: ${NUL_MESSAGE}`);
  const notAForm = await call([["0", '["$undefined",1]']]);
  expect(notAForm.status()).toBe(200);
  expect(await notAForm.text()).toContain("form: send the form's fields as form data");
  expect(await db.select().from(contacts).where(and(eq(contacts.workspaceId, workspace.workspace.id), eq(contacts.email, "nul-action@example.com")))).toEqual([]);
});

test("the signup form and unsubscribe name the field holding a NUL; other odd field names are fields like any", async ({ request, db, workspace }) => {
  const ws = workspace.workspace;
  const slug = `nul-${ws.slug}`;
  await db.insert(forms).values({ workspaceId: ws.id, name: "Nul", slug, status: "live", doubleOptIn: true, consentWording: "Yes", config: { fields: [{ key: "first_name", label: "First name" }], minFillSeconds: 0, plainHtmlEmbed: true } });
  const post = (body: string, type: string, ip: string) =>
    request.post(`/f/${slug}`, { headers: { "content-type": type, accept: "application/json", "x-forwarded-for": ip }, data: Buffer.from(body), maxRedirects: 0 });

  for (const [body, type, field] of [
    ["email=nul%40example.com&first_name=Ada%00", "application/x-www-form-urlencoded", "first_name"],
    ['{"email":"nul@example.com","first_name":"\\ud800"}', "application/json", "first_name"],
    ['{"email":"nul@example.com","note\\u0000":"x"}', "application/json", "note\\u0000"],
  ] as const) {
    const r = await post(body, type, "192.0.2.91");
    expect(r.status(), body).toBe(400);
    expect(((await r.json()) as ApiError).error, body).toEqual({ message: `${field}: ${NUL_MESSAGE} (\\u0000) or half of a surrogate pair (\\ud800–\\udfff)`, field });
  }
  expect(await db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.id), eq(contacts.email, "nul@example.com")))).toEqual([]);
  // Names an object has by default are no different.
  const proto = await post("email=proto%40example.com&constructor=1&__proto__=2&first_name=Pat", "application/x-www-form-urlencoded", "192.0.2.92");
  expect(proto.status()).toBe(200);
  const [created] = await db.select().from(contacts).where(and(eq(contacts.workspaceId, ws.id), eq(contacts.email, "proto@example.com")));
  expect(created!.firstName).toBe("Pat");

  const c = workspace.contacts[0]!;
  await db.insert(topics).values({ workspaceId: ws.id, key: "news", name: "News" });
  const token = `nul${ws.slug.replace(/-/g, "")}unsubscribetoken`;
  await db.insert(messages).values({ workspaceId: ws.id, contactId: c.id, class: "marketing", toEmail: c.email, subject: "S", unsubscribeToken: token });
  const unsub = await request.post(`/u/${token}`, { headers: { "content-type": "application/x-www-form-urlencoded" }, data: Buffer.from("action=preferences&topics=news%00") });
  expect(unsub.status()).toBe(400);
  expect(await unsub.text()).toContain(`topics: ${NUL_MESSAGE}`);
  expect(await db.select().from(consentEvents).where(eq(consentEvents.contactId, c.id))).toEqual([]);
});
