import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sdkFetch } from "./sdk-fetch";

/** The SDK's fetch against a real HTTP server: what the SDK reads of a Response behaves as fetch's. */

let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (req.url === "/empty") return res.writeHead(204).end();
      if (req.url === "/moved") return res.writeHead(307, { location: "/json" }).end();
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2000);
      if (req.url === "/conflict") return res.writeHead(409, "Conflict", { "content-type": "application/json" }).end('{"error":"stale"}');
      res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      res.end(JSON.stringify({ got: Buffer.concat(chunks).toString("utf8") }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

it("posts a JSON body with its headers and returns a standard Response", async () => {
  const res = await sdkFetch(new URL(`${base}/json?x=1`), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer k" },
    body: '{"a":"é"}',
  });
  expect(res).toBeInstanceOf(Response);
  expect(res.ok).toBe(true);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  expect(await res.json()).toEqual({ got: '{"a":"é"}' });
  const req = seen.at(-1)!;
  expect(req).toMatchObject({ method: "POST", url: "/json?x=1", body: '{"a":"é"}' });
  expect(req.headers).toMatchObject({ "content-type": "application/json", authorization: "Bearer k", "content-length": "10" });
});

it("keeps status and text of a refusal, and has no body for 204", async () => {
  const refused = await sdkFetch(`${base}/conflict`, { method: "POST", body: "{}" });
  expect([refused.ok, refused.status, refused.statusText]).toEqual([false, 409, "Conflict"]);
  expect(await refused.text()).toBe('{"error":"stale"}');
  const empty = await sdkFetch(`${base}/empty`, { method: "POST", body: "{}" });
  expect(empty.status).toBe(204);
  expect(empty.body).toBeNull();
});

it("follows a redirect as fetch does (through fetch itself)", async () => {
  const res = await sdkFetch(`${base}/moved`, { method: "GET" });
  expect(res.status).toBe(200);
  expect(res.redirected).toBe(true);
});

it("rejects like fetch: TypeError('fetch failed') when unreachable, the signal's reason when aborted", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await expect(sdkFetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" })).rejects.toThrow(new TypeError("fetch failed"));

  const aborted = sdkFetch(`${base}/slow`, { signal: AbortSignal.timeout(50) });
  await expect(aborted).rejects.toMatchObject({ name: "TimeoutError" });
});
