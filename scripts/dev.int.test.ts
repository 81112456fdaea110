import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "../db/client";
import { workspaces } from "../db/schema/index";
import { freePort } from "../e2e/fixtures/ports";
import { migrateDatabase, startDatabase } from "./stack";

const tsx = path.resolve("node_modules", ".bin", "tsx");

/** Runs the dev supervisor with the given environment and returns what it printed. */
function runDev(env: Record<string, string>) {
  const r = spawnSync(tsx, ["scripts/dev.ts"], {
    env: { NODE_ENV: "development", PATH: process.env.PATH, HOME: process.env.HOME, TILLIT_DATA_DIR: path.join(os.tmpdir(), "tillit-never-used"), ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() };
}

describe("npm run dev start-up failures", () => {
  it("stops on a malformed DATABASE_URL with one line naming it", () => {
    const r = runDev({ DATABASE_URL: "localhost:5432/tillit" });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^tillit: Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/);
  });

  it("stops with one line saying what to set when it can neither read nor keep the Inngest keys", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "tillit-keys-")), "not-a-dir");
    writeFileSync(file, "");
    const r = runDev({ TILLIT_DATA_DIR: path.join(file, "data") });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^tillit: cannot keep the Inngest keys at .*inngest-keys\.json \(\w+\) — set INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY, or make TILLIT_DATA_DIR writable$/);
  });

  it("stops on an unreachable database with one line saying so", async () => {
    const port = await freePort();
    const r = runDev({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/tillit` });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toBe(`tillit: cannot reach the database at 127.0.0.1:${port}/tillit (ECONNREFUSED) — is Postgres running?`);
  });
});

describe("npm run dev on a taken port", () => {
  it("stops with one line naming the port, what it is for and the setting that moves it, before starting anything", async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "tillit-taken-"));
      const r = runDev({ PORT: String(port), PGLITE_PORT: String(await freePort()), INNGEST_LOCAL_PORT: String(await freePort()), TRACKING_PORT: String(await freePort()), TILLIT_DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`tillit: port ${port} for the app is taken by another program — stop it or set PORT`);
      // Nothing was started: no database files, and the data directory's lock is gone again.
      expect(existsSync(path.join(dataDir, "pglite", "PG_VERSION"))).toBe(false);
      expect(existsSync(path.join(dataDir, "stack.lock"))).toBe(false);
      rmSync(dataDir, { recursive: true, force: true });
    } finally {
      server.close();
    }
  });
});

describe("embedded database", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tillit-embedded-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps its data across a restart", async () => {
    const port = await freePort();
    const first = await startDatabase({ kind: "embedded", dataDir: dir, port });
    await migrateDatabase(first.url, true);
    const h1 = openDb(first.url, { embedded: true, max: 1 });
    await h1.db.insert(workspaces).values({ name: "Persisted", slug: "persisted" });
    await h1.close();
    await first.embedded!.stop();

    const second = await startDatabase({ kind: "embedded", dataDir: dir, port });
    await migrateDatabase(second.url, true);
    const h2 = openDb(second.url, { embedded: true, max: 1 });
    const rows = await h2.db.select({ slug: workspaces.slug }).from(workspaces);
    await h2.close();
    await second.embedded!.stop();
    expect(rows).toEqual([{ slug: "persisted" }]);
  });

  it("names a damaged data directory and says how to go on, leaving it in place", async () => {
    const damaged = path.join(dir, "damaged");
    const port = await freePort();
    const first = await startDatabase({ kind: "embedded", dataDir: damaged, port });
    await first.embedded!.stop();
    writeFileSync(path.join(damaged, "global", "pg_control"), Buffer.alloc(8192, 7));
    await expect(startDatabase({ kind: "embedded", dataDir: damaged, port })).rejects.toThrow(
      `the embedded database in ${damaged} could not be opened (PGlite failed to initialize properly); its files may be damaged — restore the directory from a backup, or move it aside (mv ${damaged} ${damaged}.damaged) to start with an empty database`,
    );
    expect(existsSync(path.join(damaged, "PG_VERSION"))).toBe(true);
  });

  it("says which port is taken when another instance holds it", async () => {
    const port = await freePort();
    const first = await startDatabase({ kind: "embedded", port });
    try {
      await expect(startDatabase({ kind: "embedded", port })).rejects.toThrow(`port ${port} for the embedded database is taken`);
    } finally {
      await first.embedded!.stop();
    }
  });
});
