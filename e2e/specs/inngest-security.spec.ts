import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { createApiKey } from "@/db/queries/api-keys";
import { enrollments } from "@/db/schema/index";
import { generateInngestKeys, signedBody } from "@/inngest/keys";
import { createLiveFlow, graph } from "../fixtures/flows";
import { expect, test } from "../fixtures/test";
import { testEnv } from "../fixtures/test-env";

/**
 * The production server (`next build` + `npm start`, the bundled executor beside it) keeps its
 * functions to the executor that holds the keys: a caller without them runs nothing and re-points
 * nothing, and the executor's own port asks for the same keys. Flows still run, on the signed path.
 */

const executorUrl = () => {
  const url = testEnv().E2E_EXECUTOR_URL;
  if (!url) throw new Error("E2E_EXECUTOR_URL is not set: run the e2e suite with `npm run test:e2e`");
  return url;
};

const STACK_FRAME = /\bat [^\n]*\((?:file:\/\/|\/)[^)]*:\d+:\d+\)|node_modules\//;

test("@smoke /api/inngest runs nothing for an unsigned or forged call and re-registers nothing; a tag added through the API still runs its flow", async ({ request, db, workspace }) => {
  const ws = workspace.workspace.id;
  const contact = workspace.contacts[0]!;
  const tag = `vip-${randomBytes(3).toString("hex")}`;
  const { flowId } = await createLiveFlow(db, {
    workspaceId: ws,
    graph: graph([["t", "tag-added", { tag }], ["x", "exit"]], [["t", "next", "x"]]),
  });
  const enrolled = async () => (await db.select({ id: enrollments.id }).from(enrollments).where(eq(enrollments.flowId, flowId))).length;

  // A call as the executor would make it, asking the flow router to enrol this contact.
  const event = { name: "contact/tag.added", data: { workspaceId: ws, contactId: contact.id, tag }, id: `forged-${tag}`, ts: Date.now() };
  const call = {
    event,
    events: [event],
    steps: {},
    ctx: { run_id: "01JFORGED0000000000000000", attempt: 0, max_attempts: 1, disable_immediate_execution: false, use_api: false, stack: { stack: [], current: 0 } },
    version: 2,
  };
  const url = "/api/inngest?fnId=tillit-flow-router&stepId=step";
  const signed = signedBody(generateInngestKeys().signingKey, call);
  for (const headers of [
    {},
    { "x-inngest-signature": "t=1&s=garbage" },
    { "x-inngest-signature": signed.signature }, // a well-formed signature under another key
    { "x-inngest-server-kind": "dev" },
  ] as Record<string, string>[]) {
    for (const contentType of ["application/json", "text/plain"]) {
      const res = await request.post(url, { headers: { ...headers, "content-type": contentType }, data: signed.body });
      expect(res.status(), `POST with ${JSON.stringify(headers)} as ${contentType}`).toBe(401);
      expect(await res.text()).not.toMatch(STACK_FRAME);
    }
  }
  expect(await enrolled()).toBe(0);

  // Syncs, in-band or not, under any Host: refused, and the executor still calls this app.
  const registered = async () =>
    (await db.execute<{ app_url: string }>(sql`select distinct app_url from inngest_local.functions order by 1`)).map((r) => r.app_url);
  const before = await registered();
  expect(before).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/inngest$/)]);
  for (const headers of [
    { "x-inngest-sync-kind": "in_band" },
    { "x-inngest-sync-kind": "in_band", host: "evil.example:9999" },
    { host: "evil.example:9999" },
    {},
  ] as Record<string, string>[]) {
    const res = await request.put("/api/inngest", { headers: { ...headers, "content-type": "application/json" }, data: { url: "http://evil.example:9999/api/inngest" } });
    expect(res.status(), `PUT with ${JSON.stringify(headers)}`).toBe(401);
    expect(await res.text()).not.toMatch(STACK_FRAME);
  }
  expect(await registered()).toEqual(before);

  // The signed path: the REST API adds the tag, the app sends the event with its key, the
  // executor calls the router signed, and the contact is enrolled (and exits).
  const { key } = await createApiKey(db, { workspaceId: ws, name: "CRM", kind: "secret", createdBy: workspace.owner.id });
  const added = await request.post(`/api/v1/contacts/${contact.id}/tags`, { headers: { authorization: `Bearer ${key}` }, data: { tags: [tag] } });
  expect(added.status()).toBe(200);
  await expect.poll(enrolled, { timeout: 30_000 }).toBe(1);
});

test("the executor's port refuses events without the event key, register and sync without the signing key, and shows no runs", async ({ request }) => {
  const ex = executorUrl();
  const json = { "content-type": "application/json" };
  const event = [{ name: "contact/tag.added", data: { workspaceId: "00000000-0000-4000-8000-000000000000", contactId: "00000000-0000-4000-8000-000000000000", tag: "x" } }];
  const calls: { method: "POST" | "GET"; path: string; headers?: Record<string, string>; data?: unknown }[] = [
    { method: "POST", path: "/e/NO_EVENT_KEY_SET", headers: json, data: event },
    { method: "POST", path: "/e/test", headers: { "content-type": "text/plain" }, data: JSON.stringify(event) },
    { method: "POST", path: "/fn/register", headers: json, data: { url: "http://evil.example:9999/api/inngest", functions: [] } },
    { method: "POST", path: "/fn/register", headers: { ...json, authorization: "Bearer undefined" }, data: { url: "http://evil.example:9999/api/inngest", functions: [] } },
    { method: "POST", path: "/api/sync", headers: json, data: { url: "http://evil.example:9999/api/inngest" } },
    { method: "POST", path: "/v1/checkpoint/01JRUN/async", headers: json, data: { run_id: "01JRUN", steps: [] } },
    { method: "GET", path: "/v0/runs/01JRUN" },
    { method: "GET", path: "/api/runs" },
    { method: "GET", path: "/api/functions" },
    { method: "GET", path: "/" },
    { method: "POST", path: "/clock/advance", headers: json, data: { ms: 86_400_000 } },
  ];
  for (const c of calls) {
    const res = await request.fetch(`${ex}${c.path}`, { method: c.method, headers: c.headers, data: c.data });
    expect(res.status(), `${c.method} ${c.path}`).toBe(401);
    expect(await res.text()).not.toMatch(STACK_FRAME);
  }
  expect((await request.get(`${ex}/health`)).status()).toBe(200);
});
