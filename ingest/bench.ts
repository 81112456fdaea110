import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import path from "node:path";
import { openDb } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { createApiKey } from "../db/queries/api-keys";
import { memberships, users, workspaces } from "../db/schema/index";
import { freePort } from "../e2e/fixtures/ports";
import { childEnv } from "../lib/env";

/**
 * Ingest throughput: tracked events persisted (committed before the 2xx) per second over HTTP,
 * against a bare node:http server answering the same JSON POSTs, both as processes of their own
 * driven by the same load generator, at 50 and 200 connections. Targets: ≥ 50 % at 50, ≥ 70 % at
 * 200, p99 ≤ 50 ms.
 */

const BARE = `
const http = require("node:http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = '{"success":true}';
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
}).listen(Number(process.argv[1]), "127.0.0.1", () => console.log("listening"));
`;

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before ready: ${seen}`)));
  });
}

async function load(url: string, key: string, connections: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const auth = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let seq = 0;
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ userId: `u${seq % 5000}`, event: "Product Viewed", properties: { sku: `sku-${seq}`, price: 19.5 }, messageId: `bench-${process.pid}-${seq++}` });
      const t0 = performance.now();
      const req = request(`${url}/v1/track`, { method: "POST", agent, headers: { authorization: auth, "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      req.on("error", () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: ok / elapsed, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, failed };
}

export async function benchIngest(db: { url: string; embedded: boolean }, opts: { seconds: number; reps: number }) {
  const h = openDb(db.url, { embedded: db.embedded, max: 1 });
  await applyMigrations(h.db);
  const [ws] = await h.db.insert(workspaces).values({ name: "Bench", slug: `bench-${Date.now().toString(36)}` }).returning();
  const [user] = await h.db.insert(users).values({ email: `bench-${Date.now()}@example.com` }).returning();
  await h.db.insert(memberships).values({ workspaceId: ws!.id, userId: user!.id, role: "owner" });
  const { key } = await createApiKey(h.db, { workspaceId: ws!.id, name: "bench", kind: "public", createdBy: user!.id });

  const barePort = await freePort();
  const bare = spawn(process.execPath, ["-e", BARE, String(barePort)], { stdio: ["ignore", "pipe", "inherit"] });
  await waitForLine(bare, /listening/);
  const ingestPort = await freePort();
  const dbUrl = new URL(db.url);
  const ingest = spawn(process.execPath, ["--import", "tsx", path.join(process.cwd(), "ingest", "main.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: childEnv({
      TRACKING_PORT: String(ingestPort),
      TRACKING_FORWARD: "0",
      ...(db.embedded ? { DATABASE_URL: undefined, PGLITE_PORT: dbUrl.port } : { DATABASE_URL: db.url }),
    }),
  });
  await waitForLine(ingest, /listening/);
  try {
    for (const connections of [50, 200]) {
      const ours: { rps: number; p99: number }[] = [];
      const raw: number[] = [];
      for (let rep = 0; rep < opts.reps; rep++) {
        raw.push((await load(`http://127.0.0.1:${barePort}`, key, connections, opts.seconds)).rps);
        const r = await load(`http://127.0.0.1:${ingestPort}`, key, connections, opts.seconds);
        if (r.failed) console.log(`  ingest: ${r.failed} requests failed at ${connections} connections`);
        ours.push(r);
        console.log(`  ingest c=${connections} rep ${rep + 1}: ${r.rps.toFixed(0)} events/s (p99 ${r.p99.toFixed(1)} ms), bare ${raw.at(-1)!.toFixed(0)} req/s`);
      }
      const median = <T>(xs: T[], by: (x: T) => number) => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!;
      const mid = median(ours, (o) => o.rps);
      const base = median(raw, (x) => x);
      console.log(`  ingest c=${connections}: p99 ${mid.p99.toFixed(1)} ms (target ≤ 50 ms)`);
      console.log(
        `BENCH ingest-c${connections} value=${mid.rps.toFixed(1)} unit=events/s baseline=${base.toFixed(1)} ratio=${(mid.rps / base).toFixed(3)} target=${connections === 50 ? "0.50" : "0.70"}`,
      );
    }
  } finally {
    bare.kill("SIGTERM");
    ingest.kill("SIGTERM");
    await h.close();
  }
}
