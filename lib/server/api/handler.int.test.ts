import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getContact } from "@/app/api/v1/contacts/[id]/route";
import { GET as listContacts, POST as createContact } from "@/app/api/v1/contacts/route";
import { GET as listTopics } from "@/app/api/v1/topics/route";
import { openDb, replaceDb, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { freePort } from "@/e2e/fixtures/ports";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";

/**
 * The REST API's wrapper against a real database and one that is not there: the route handler
 * as Next calls it, with the process-wide database replaced (db/client's replaceDb).
 */

let t: TestDatabase;
let ws: SeededWorkspace;
let secret: string;
let dead: DbHandle;
let previous: DbHandle | undefined;

beforeAll(async () => {
  t = await freshDatabase();
  ws = await seedWorkspace(t.db, { contacts: 1 });
  secret = (await createApiKey(t.db, { workspaceId: ws.workspace.id, name: "Server", kind: "secret", createdBy: ws.owner.id })).key;
  // A port nothing listens on: every connect is refused.
  dead = openDb(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { max: 1 });
});
afterAll(async () => {
  replaceDb(previous);
  await dead.close();
  await t.destroy();
});

const call = (key: string) =>
  listTopics(new Request("http://localhost/api/v1/topics", { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });

describe("the REST API when its database is unreachable", () => {
  it("answers 503 with Retry-After, naming no host, and serves again once the database is back", async () => {
    previous = replaceDb(t);
    const up = await call(secret);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ data: [] });

    replaceDb(dead);
    const down = await call(secret);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    const text = await down.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "unavailable", message: "the database is unavailable, retry later" } });
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|select/i);
    // The key cannot be checked either: unavailable, not "unknown key".
    expect((await call("tk_sec_made_up")).status).toBe(503);

    replaceDb(t);
    expect((await call(secret)).status).toBe(200);
    expect((await call("tk_sec_made_up")).status).toBe(401);
  });
});

describe("the REST API's errors", () => {
  const auth = () => ({ authorization: `Bearer ${secret}` });
  const noParams = { params: Promise.resolve({}) };
  const post = (body: string, headers: Record<string, string> = auth()) =>
    createContact(new Request("http://localhost/api/v1/contacts", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body }), noParams);

  it("carry a code for programs beside the message for people, with the status that code has", async () => {
    replaceDb(t);
    const cases: [string, Promise<Response>, number, Record<string, unknown>][] = [
      ["no key", post(`{"email":"new@example.com"}`, {}), 401, { code: "unauthorized", message: "missing API key: send Authorization: Bearer <secret key>" }],
      ["an unknown key", post(`{"email":"new@example.com"}`, { authorization: "Bearer tk_sec_made_up" }), 401, { code: "unauthorized", message: "unknown or revoked secret key" }],
      ["a body that is not JSON", post("{not json"), 400, { code: "validation_failed", message: "body is not valid JSON" }],
      ["a body without its address", post(`{"first_name":"No address"}`), 400, { code: "validation_failed", message: expect.stringMatching(/^email: /), field: "email" }],
      [
        "a query parameter out of range",
        listContacts(new Request("http://localhost/api/v1/contacts?limit=0", { headers: auth() }), noParams),
        400,
        { code: "validation_failed", message: "limit must be 1 to 200", field: "limit" },
      ],
      [
        "an id that is no UUID",
        getContact(new Request("http://localhost/api/v1/contacts/not-a-uuid", { headers: auth() }), { params: Promise.resolve({ id: "not-a-uuid" }) }),
        404,
        { code: "not_found", message: "contact not found" },
      ],
      [
        "an unknown contact",
        getContact(new Request("http://localhost/api/v1/contacts/x", { headers: auth() }), { params: Promise.resolve({ id: "00000000-0000-4000-8000-000000000000" }) }),
        404,
        { code: "not_found", message: "contact not found" },
      ],
      ["an address that is already a contact", post(JSON.stringify({ email: ws.contacts[0]!.email })), 409, { code: "conflict", message: expect.stringContaining("is already a contact"), field: "email" }],
    ];
    for (const [what, answer, status, error] of cases) {
      const r = await answer;
      expect(r.status, what).toBe(status);
      expect(await r.json(), what).toEqual({ error });
    }
  });
});
