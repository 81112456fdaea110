import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { freePort } from "@/e2e/fixtures/ports";
import { generateInngestKeys, signedBody, signingKeyBearer } from "../keys";
import { startLocalExecutor, type LocalExecutor } from "./server";
import { startTestApp, type TestApp } from "./test-app";

/**
 * The executor and the serve handler hold each other to the keys, as Inngest Cloud does: nothing
 * reaches a function, re-points the executor or reads its runs without them (docs/security.md).
 */

let db: TestDatabase;
let ex: LocalExecutor;
let inspecting: LocalExecutor;
let app: TestApp;
const ran: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  // Both URLs are fixed before either starts, as the supervisor fixes them.
  const keys = generateInngestKeys();
  const port = await freePort();
  app = await startTestApp("sec", { url: `http://127.0.0.1:${port}`, keys }, (inngest) => [
    inngest.createFunction({ id: "hello", retries: 0, triggers: [{ event: "sec/hello" }] }, ({ event }) => {
      ran.push(String(event.data.who));
      return "hi";
    }),
  ]);
  ex = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port, keys, appServeUrl: app.serveUrl, workers: 2, log: () => {} });
  inspecting = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, keys, inspect: true, workers: 1, log: () => {} });
  await ex.sync();
});

afterAll(async () => {
  await inspecting?.stop();
  await ex?.stop();
  await app?.close();
  await db?.destroy();
});

const json = { "content-type": "application/json" };
const bearer = () => ({ authorization: `Bearer ${signingKeyBearer(ex.keys.signingKey)}` });
const registeredUrls = async () =>
  (await db.sql<{ app_url: string }[]>`select distinct app_url from inngest_local.functions`).map((r) => r.app_url);
const runCount = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from inngest_local.runs`)[0]!.n;

describe("the executor's API", () => {
  it("takes events only under the stack's event key, and only as JSON", async () => {
    const event = JSON.stringify([{ name: "sec/hello", data: { who: "stranger" } }]);
    const before = await runCount();
    for (const key of ["NO_EVENT_KEY_SET", "local-key", `${ex.keys.eventKey}x`, encodeURIComponent("%E0%A4%A")]) {
      const res = await fetch(`${ex.url}/e/${key}`, { method: "POST", headers: json, body: event });
      expect(res.status, key).toBe(401);
    }
    // A web page can POST text/plain without a preflight: refused even with the right key.
    const plain = await fetch(`${ex.url}/e/${ex.keys.eventKey}`, { method: "POST", headers: { "content-type": "text/plain" }, body: event });
    expect(plain.status).toBe(415);
    expect(await runCount()).toBe(before);

    const ok = await fetch(`${ex.url}/e/${ex.keys.eventKey}`, { method: "POST", headers: json, body: JSON.stringify([{ name: "sec/hello", data: { who: "member" } }]) });
    expect(ok.status).toBe(200);
    await ex.idle();
    expect(ran).toEqual(["member"]);
  });

  it("refuses register, sync, checkpoint and run calls without the signing key's bearer hash", async () => {
    const evil = "http://evil.example:9999/api/inngest";
    const other = generateInngestKeys();
    const calls: [string, string, unknown][] = [
      ["POST", "/fn/register", { url: evil, appName: "evil", functions: [] }],
      ["POST", "/api/sync", { url: evil }],
      ["POST", "/v1/checkpoint/01JRUN/async", { run_id: "01JRUN", fn_id: "sec-hello", steps: [] }],
      ["POST", "/v0/runs/01JRUN/actions", {}],
      ["GET", "/v0/runs/01JRUN", undefined],
    ];
    for (const [method, path, body] of calls) {
      for (const authorization of [undefined, "Bearer ", "Bearer undefined", `Bearer ${signingKeyBearer(other.signingKey)}`, `Bearer ${ex.keys.signingKey}`]) {
        const res = await fetch(`${ex.url}${path}`, {
          method,
          headers: { ...json, ...(authorization ? { authorization } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect(res.status, `${method} ${path} with ${authorization ?? "no authorization"}`).toBe(401);
      }
    }
    expect(await registeredUrls()).toEqual([app.serveUrl]);
  });

  it("never takes the app's URL from a request: sync keeps the configured one, register refuses another", async () => {
    const sync = await fetch(`${ex.url}/api/sync`, { method: "POST", headers: { ...json, ...bearer() }, body: JSON.stringify({ url: "http://evil.example:9999/api/inngest" }) });
    expect(sync.status).toBe(200);
    expect(await registeredUrls()).toEqual([app.serveUrl]);

    const register = await fetch(`${ex.url}/fn/register`, {
      method: "POST",
      headers: { ...json, ...bearer() },
      body: JSON.stringify({ url: "http://evil.example:9999/api/inngest", appName: "evil", functions: [] }),
    });
    expect(await register.json()).toMatchObject({ status: 400, error: expect.stringContaining(app.serveUrl) });
    expect(await registeredUrls()).toEqual([app.serveUrl]);
  });

  it("answers run inspection, the clock and the dashboard only where inspection is switched on", async () => {
    for (const path of ["/", "/api/runs", "/api/functions", "/clock", "/api/runs/01JRUN"]) {
      expect((await fetch(`${ex.url}${path}`)).status, path).toBe(401);
      expect((await fetch(`${ex.url}${path}`, { headers: bearer() })).status, `${path} with the bearer`).toBe(401);
    }
    for (const path of ["/clock/advance", "/idle"]) {
      const res = await fetch(`${ex.url}${path}`, { method: "POST", headers: { ...json, ...bearer() }, body: JSON.stringify({ ms: 1000 }) });
      expect(res.status, path).toBe(401);
    }
    expect((await fetch(`${inspecting.url}/api/runs`)).status).toBe(200);
    expect((await fetch(`${inspecting.url}/`)).status).toBe(200);
    // Changing anything still takes the key.
    const idle = (headers: Record<string, string>) => fetch(`${inspecting.url}/idle`, { method: "POST", headers: { ...json, ...headers }, body: "{}" });
    expect((await idle({})).status).toBe(401);
    expect((await idle(bearer())).status).toBe(200);
    expect((await fetch(`${ex.url}/health`)).status).toBe(200);
  });
});

describe("the serve handler", () => {
  const call = (headers: Record<string, string>, body: string) =>
    fetch(`${app.serveUrl}?fnId=sec-hello&stepId=step`, { method: "POST", headers: { ...json, ...headers }, body });
  const callBody = {
    event: { name: "sec/hello", data: { who: "forged" }, id: "e1", ts: Date.now() },
    events: [{ name: "sec/hello", data: { who: "forged" }, id: "e1", ts: Date.now() }],
    steps: {},
    ctx: { run_id: "01JFORGED", attempt: 0, max_attempts: 1, disable_immediate_execution: false, use_api: false, stack: { stack: [], current: 0 } },
    version: 2,
  };

  it("runs nothing for an unsigned, forged, stale or other-key call, and shows no stack trace", async () => {
    const before = ran.length;
    const now = Date.now();
    const signed = signedBody(ex.keys.signingKey, callBody);
    const attempts: Record<string, string>[] = [
      {},
      { "x-inngest-signature": "t=1&s=garbage" },
      { "x-inngest-signature": signedBody(generateInngestKeys().signingKey, callBody).signature },
      { "x-inngest-signature": signedBody(ex.keys.signingKey, callBody, now - 301_000).signature },
      { "x-inngest-signature": signedBody(ex.keys.signingKey, { ...callBody, steps: { x: 1 } }).signature },
      { "x-inngest-server-kind": "dev" },
    ];
    for (const headers of attempts) {
      const res = await call(headers, signed.body);
      const text = await res.text();
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
    }
    expect(ran.length).toBe(before);
    // The same call signed with the stack's key runs.
    const ok = await call({ "x-inngest-signature": signed.signature }, signed.body);
    expect(ok.status).toBe(200);
    expect(ran.slice(before)).toEqual(["forged"]);
  });

  it("refuses an unsigned or forged sync, in-band or not, whatever Host it names", async () => {
    const put = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        // node:http, because fetch will not send a Host header of the caller's choosing.
        const req = request(app.serveUrl, { method: "PUT", headers: { ...json, ...headers } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(JSON.stringify({ url: "http://evil.example:9999/api/inngest" }));
      });
    for (const headers of [
      { "x-inngest-sync-kind": "in_band" },
      { "x-inngest-sync-kind": "in_band", "x-inngest-signature": "t=1&s=garbage" },
      {},
      { host: "evil.example:9999" },
      { host: "evil.example:9999", "x-inngest-sync-kind": "in_band" },
    ] as Record<string, string>[]) {
      expect(await put(headers), JSON.stringify(headers)).toBe(401);
    }
    expect(await registeredUrls()).toEqual([app.serveUrl]);
  });
});
