import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLargeError, readBody } from "./body";

// A real node:http server reading with readBody; it answers 413 naming the limit on overflow.
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(limit: number, onOverflow: "drain" | "destroy"): Promise<number> {
  server = createServer((req, res) => {
    readBody(req, limit, onOverflow).then(
      (body) => res.end(`got ${body.length} ${body.toString("utf8").slice(0, 20)}`),
      (err: Error) => {
        res.writeHead(err instanceof BodyTooLargeError ? 413 : 500);
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return (server.address() as AddressInfo).port;
}

/** Sends `chunks` (no Content-Length when `declare` is false: chunked encoding). */
function post(port: number, chunks: string[], declare = true): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const length = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
    const req = request(
      { port, host: "127.0.0.1", method: "POST", path: "/", agent: false, headers: declare ? { "content-length": length } : {} },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on("error", (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("readBody", () => {
  it("returns a body within the limit, whole, however it was chunked", async () => {
    const port = await serve(100, "drain");
    expect(await post(port, ['{"a":', '"b"}'])).toEqual({ status: 200, body: 'got 9 {"a":"b"}' });
    expect(await post(port, ["x".repeat(60), "y".repeat(40)], false)).toEqual({ status: 200, body: `got 100 ${"x".repeat(20)}` });
    expect(await post(port, [])).toEqual({ status: 200, body: "got 0 " });
  });

  it("refuses a declared length over the limit, naming the limit", async () => {
    const port = await serve(32 * 1024, "drain");
    expect(await post(port, ["x".repeat(40 * 1024)])).toEqual({ status: 413, body: "body is larger than 32 KB" });
  });

  it("drain: refuses a streamed body that grows past the limit and still answers on the connection", async () => {
    const port = await serve(2 * 1024 * 1024, "drain");
    const chunk = "z".repeat(512 * 1024);
    expect(await post(port, [chunk, chunk, chunk, chunk, chunk], false)).toEqual({ status: 413, body: "body is larger than 2 MB" });
  });

  it("destroy: closes the connection on a streamed body past the limit", async () => {
    const port = await serve(1024, "destroy");
    const result = await post(port, Array.from({ length: 64 }, () => "q".repeat(16 * 1024)), false);
    expect(result).toHaveProperty("error");
    // The server is unharmed: the next request is read as usual.
    expect(await post(port, ["ok"])).toEqual({ status: 200, body: "got 2 ok" });
  });
});
