import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../e2e/fixtures/ports";
import { dataDirLockFile, LockError, lockStack, type StackRecord } from "./stack-lock";

const root = mkdtempSync(path.join(os.tmpdir(), "tillit-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = path.join(root, String(n++));
  return { dataDir: path.join(d, "data"), portLockDir: path.join(d, "ports") };
};
const rec = (pid: number, ports: StackRecord["ports"]) => ({ pid, instance: `i-${pid}-${n}`, startedAt: new Date().toISOString(), ports });
// A pid that belonged to a process and no longer does.
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe("stack locks", () => {
  it("a second stack on the data directory is refused with one line naming the running one's pid and ports", async () => {
    const where = fresh();
    const [app, tracking] = [await freePort(), await freePort()];
    // The "running stack": this test's parent process is alive and is not us.
    const first = await lockStack({ ...rec(process.ppid, { app, tracking }), dataDir: where.dataDir }, where);
    const err = await lockStack(rec(process.pid, { app: await freePort(), tracking: await freePort() }), where).catch((e: Error) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toBe(
      `the data directory ${where.dataDir} is in use by another Tillit stack (pid ${process.ppid}; app :${app}, tracking :${tracking}) — stop it first, or set TILLIT_DATA_DIR`,
    );
    first.release();
  });

  it("a port held by a running stack is refused naming it and the setting that moves it; with a shared Postgres other ports are fine", async () => {
    const a = fresh();
    const b = { portLockDir: a.portLockDir };
    const [app, tracking, other] = [await freePort(), await freePort(), await freePort()];
    const first = await lockStack(rec(process.ppid, { app, tracking }), b);
    await expect(lockStack(rec(process.pid, { app: other, tracking }), b)).rejects.toThrow(
      `port ${tracking} for the tracking ingest is held by another Tillit stack (pid ${process.ppid}; app :${app}, tracking :${tracking}) — stop it first, or set TRACKING_PORT`,
    );
    // The refused start left no lock of its own behind.
    expect(existsSync(path.join(b.portLockDir, `port-${other}.lock`))).toBe(false);
    const second = await lockStack(rec(process.pid, { app: other, tracking: await freePort() }), b);
    second.release();
    first.release();
  });

  it("a lock left by a stack killed with -9 is taken over, and release removes only its own files", async () => {
    const where = fresh();
    const port = await freePort();
    const stale = await lockStack({ ...rec(deadPid(), { app: port }), dataDir: where.dataDir }, where);
    void stale;
    const mine = await lockStack({ ...rec(process.pid, { app: port }), dataDir: where.dataDir }, where);
    mine.update({ app: 1234 });
    expect(JSON.parse(readFileSync(dataDirLockFile(where.dataDir), "utf8"))).toMatchObject({ pid: process.pid, children: { app: 1234 } });
    // A release by the stale holder (were it to run) must not remove the new holder's lock.
    stale.release();
    expect(existsSync(dataDirLockFile(where.dataDir))).toBe(true);
    mine.release();
    expect(existsSync(dataDirLockFile(where.dataDir))).toBe(false);
    expect(existsSync(path.join(where.portLockDir, `port-${port}.lock`))).toBe(false);
  });

  it("a lock whose pid now belongs to another program (not a node process) is stale", async () => {
    const where = fresh();
    const other = spawn("sleep", ["30"]);
    try {
      await lockStack(rec(other.pid!, { app: await freePort() }), { dataDir: where.dataDir });
      const mine = await lockStack(rec(process.pid, { app: await freePort() }), { dataDir: where.dataDir });
      expect(JSON.parse(readFileSync(dataDirLockFile(where.dataDir), "utf8"))).toMatchObject({ pid: process.pid });
      mine.release();
    } finally {
      other.kill();
    }
  });

  it("an unreadable lock file is taken over", async () => {
    const where = fresh();
    const first = await lockStack(rec(process.pid, {}), { dataDir: where.dataDir });
    first.release();
    writeFileSync(dataDirLockFile(where.dataDir), "{half");
    const next = await lockStack(rec(process.pid, {}), { dataDir: where.dataDir });
    next.release();
  });

  it("a port bound by another program is refused naming the setting to change", async () => {
    const where = fresh();
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      await expect(lockStack(rec(process.pid, { executor: port }), where)).rejects.toThrow(
        `port ${port} for the local Inngest executor is taken by another program — stop it or set INNGEST_LOCAL_PORT`,
      );
      expect(existsSync(path.join(where.portLockDir, `port-${port}.lock`))).toBe(false);
    } finally {
      server.close();
    }
  });
});
