import { spawn, type ChildProcess } from "node:child_process";
import type { TestDatabase } from "../e2e/fixtures/database";
import { systemPath } from "../lib/env";
import { ingestNodeArgs } from "./launch";

/**
 * Tests only: the ingest as its own process, as the supervisor or a container starts it (the
 * bundle, plain node), on `t`'s database with `env` on top. Resolves once it says it listens,
 * with its output so far; rejects with that output if it exits first.
 */
export function spawnIngest(t: TestDatabase, env: Record<string, string> & { NODE_ENV: "development" | "production" }): Promise<{ child: ChildProcess; out: string }> {
  const db = new URL(t.url);
  const child = spawn(process.execPath, ingestNodeArgs(), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: systemPath(), ...(t.embedded ? { PGLITE_PORT: db.port } : { DATABASE_URL: t.url }), ...env },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening")) resolve({ child, out });
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => reject(new Error(`ingest exited (${code}) before listening: ${out}`)));
  });
}
