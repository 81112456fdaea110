import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listTopics } from "@/app/api/v1/topics/route";
import { openDb, replaceDb, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { freePort } from "@/e2e/fixtures/ports";
import { seedWorkspace } from "@/e2e/fixtures/seed";

/**
 * The REST API's wrapper against a real database and one that is not there: the route handler
 * as Next calls it, with the process-wide database replaced (db/client's replaceDb).
 */

let t: TestDatabase;
let secret: string;
let dead: DbHandle;
let previous: DbHandle | undefined;

beforeAll(async () => {
  t = await freshDatabase();
  const ws = await seedWorkspace(t.db, { contacts: 0 });
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
    expect(JSON.parse(text)).toEqual({ error: { message: "the database is unavailable, retry later" } });
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|select/i);
    // The key cannot be checked either: unavailable, not "unknown key".
    expect((await call("tk_sec_made_up")).status).toBe(503);

    replaceDb(t);
    expect((await call(secret)).status).toBe(200);
    expect((await call("tk_sec_made_up")).status).toBe(401);
  });
});
