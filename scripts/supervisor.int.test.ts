import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "../db/client";
import { insertEvent } from "../db/queries/events";
import { contactTags, enrollments, tags } from "../db/schema/index";
import { createLiveFlow, grantConsent, graph } from "../e2e/fixtures/flows";
import { freePort } from "../e2e/fixtures/ports";
import { until } from "../e2e/fixtures/until";
import { seedWorkspace } from "../e2e/fixtures/seed";
import { childEnv } from "../lib/env";
import { dataDirLockFile, type StackRecord } from "./stack-lock";

/**
 * The real supervisor, started as README says (`npm run dev` runs `tsx scripts/dev.ts`), on an
 * embedded database in a data directory of its own: children killed with -9 are noticed, named in
 * one line and restarted; health says degraded while a part is down; a flow waiting through an
 * executor restart finishes; a burst of exits ends the stack with the reason; a second stack on
 * the same data directory is refused; killing the supervisor takes its children with it.
 */

const tsx = path.resolve("node_modules", ".bin", "tsx");

type Supervisor = {
  proc: ChildProcess;
  out: string[];
  ports: { app: number; executor: number; tracking: number; database: number };
  dataDir: string;
  waitForLine: (re: RegExp, timeoutMs?: number, from?: number) => Promise<string>;
  exited: Promise<number | null>;
};

async function startSupervisor(dataDir: string, extra: Record<string, string> = {}): Promise<Supervisor> {
  const ports = { app: await freePort(), executor: await freePort(), tracking: await freePort(), database: await freePort() };
  const proc = spawn(tsx, ["scripts/dev.ts"], {
    env: childEnv({
      NODE_ENV: "development",
      DATABASE_URL: undefined,
      INNGEST_EVENT_KEY: undefined,
      INNGEST_SIGNING_KEY: undefined,
      TILLIT_DATA_DIR: dataDir,
      PORT: String(ports.app),
      INNGEST_LOCAL_PORT: String(ports.executor),
      TRACKING_PORT: String(ports.tracking),
      PGLITE_PORT: String(ports.database),
      RESEND_API_KEY: undefined,
      ...extra,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  const waiters = new Set<() => void>();
  const take = (chunk: Buffer) => {
    out.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    for (const w of [...waiters]) w();
  };
  proc.stdout.on("data", take);
  proc.stderr.on("data", take);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const waitForLine = (re: RegExp, timeoutMs = 60_000, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = out.slice(from).find((l) => re.test(l));
        if (hit === undefined) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms; the stack printed:\n${out.join("\n")}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });
  return { proc, out, ports, dataDir, waitForLine, exited };
}

const record = (s: Supervisor) => JSON.parse(readFileSync(dataDirLockFile(s.dataDir), "utf8")) as StackRecord;

async function health(port: number, strict = false): Promise<{ status: number; body: { status?: string; parts?: Record<string, { status: string }> } } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health${strict ? "?strict=1" : ""}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as { status?: string } };
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "tillit-supervisor-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the supervisor", () => {
  let s: Supervisor;
  let h: DbHandle;

  beforeAll(async () => {
        // Restarts wait 4 s, longer than health keeps a reading (2 s): the window where a part is down
    // is long enough to be seen.
    s = await startSupervisor(tempDir(), { TILLIT_RESTART_LIMIT: "3", TILLIT_RESTART_BACKOFF_MS: "4000" });
    await s.waitForLine(/^tillit: ready on /, 300_000);
    h = openDb(`postgres://postgres:postgres@127.0.0.1:${s.ports.database}/postgres`, { embedded: true, max: 2 });
  }, 320_000);

  afterAll(async () => {
    await h?.close();
    if (s && s.proc.exitCode === null) {
      s.proc.kill("SIGINT");
      await s.exited;
    }
  });

  it("restarts each child killed with -9, says so in one line, reports degraded health meanwhile, and a waiting flow finishes", async () => {
    const ws = await seedWorkspace(h.db, { contacts: 1 });
    const contact = ws.contacts[0]!;
    await grantConsent(h.db, ws.workspace.id, [contact]);
    const { flowId } = await createLiveFlow(h.db, {
      workspaceId: ws.workspace.id,
      graph: graph(
        [["t", "manual-enrol"], ["w", "wait-for-event", { event: "Upgraded", timeoutMs: 86_400_000 }], ["g", "add-tag", { tag: "upgraded" }], ["x", "exit"]],
        [["t", "next", "w"], ["w", "matched", "g"], ["w", "timeout", "x"], ["g", "next", "x"]],
      ),
    });
    await until("the stack healthy", async () => (await health(s.ports.app, true))?.status === 200, 120_000);

    const keys = JSON.parse(readFileSync(path.join(s.dataDir, "inngest-keys.json"), "utf8")) as { eventKey: string };
    const sendEvent = async (event: Record<string, unknown>) => {
      const res = await fetch(`http://127.0.0.1:${s.ports.executor}/e/${keys.eventKey}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([event]) });
      expect(res.status, await res.text()).toBe(200);
    };
    await sendEvent({ name: "flow/enroll.requested", data: { workspaceId: ws.workspace.id, flowId, contactIds: [contact.id] } });
    const enrollment = async () => (await h.db.select().from(enrollments).where(and(eq(enrollments.flowId, flowId), eq(enrollments.contactId, contact.id))))[0];
    await until("the enrollment waiting at the wait-for-event node", async () => (await enrollment())?.currentNodeId === "w", 120_000);
    // …and the executor holding the wait (what a restart must keep), not still on its way there.
    await until("the executor to hold the wait", async () => (await h.sql`select 1 from inngest_local.waits where event_name = 'contact/event.tracked'`).length === 1, 120_000);

    for (const name of ["executor", "ingest", "app"] as const) {
      const pid = record(s).children[name]!;
      const from = s.out.length;
      process.kill(pid, "SIGKILL");
      const line = await s.waitForLine(new RegExp(`^tillit: the .* \\(pid ${pid}\\) was killed \\(SIGKILL\\); restarting it in `), 30_000, from);
      expect(s.out.slice(from).filter((l) => l.includes(`pid ${pid}`))).toEqual([line]);
      if (name !== "app") {
        // While the part is down the app still serves: degraded with 200, and 503 for uptime checks.
        const readings: unknown[] = [];
        const seen = await until(`health to report the ${name} down`, async () => {
          const [plain, strict] = await Promise.all([health(s.ports.app), health(s.ports.app, true)]);
          readings.push({ status: plain?.status, body: plain?.body, strict: strict?.status });
          return plain?.body.status === "degraded" && strict?.status === 503 && plain.status === 200 ? plain : undefined;
        }, 60_000).catch((err: Error) => {
          throw new Error(`${err.message}: ${JSON.stringify(readings.slice(-3))}\n${s.out.slice(from).join("\n")}`);
        });
        expect(seen.body.parts?.[name === "executor" ? "inngest" : "ingest"]?.status).toBe("degraded");
      }
      await s.waitForLine(/ is back \(pid \d+\)$/, 240_000, from);
      const next = record(s).children[name]!;
      expect(next).not.toBe(pid);
      expect(alive(pid)).toBe(false);
      await until(`health ok after the ${name} restarted`, async () => {
        const r = await health(s.ports.app, true);
        return r?.status === 200 && r.body.status === "ok";
      }, 120_000);
    }

    // The flow waited through every restart and goes on when the event comes.
    // As the tracking ingest does: the event is stored, then handed to Inngest.
    const at = new Date();
    const { id: eventId } = await insertEvent(h.db, { workspaceId: ws.workspace.id, contactId: contact.id, name: "Upgraded", properties: {}, occurredAt: at });
    await sendEvent({ id: eventId, name: "contact/event.tracked", data: { workspaceId: ws.workspace.id, contactId: contact.id, eventId, name: "Upgraded", properties: {}, occurredAt: at.getTime() } });
    await until("the flow to reach its exit", async () => (await enrollment())?.status === "exited", 120_000);
    const tagged = await h.db.select({ name: tags.name }).from(contactTags).innerJoin(tags, eq(tags.id, contactTags.tagId)).where(eq(contactTags.contactId, contact.id));
    expect(tagged).toEqual([{ name: "upgraded" }]);
  }, 900_000);

  it("refuses a second stack on the same data directory with one line naming the running one", async () => {
    const second = await startSupervisor(s.dataDir);
    const code = await second.exited;
    expect(code).toBe(1);
    const errors = second.out.filter((l) => !/^tillit: (embedded Postgres|local Inngest executor|using the configured)/.test(l));
    expect(errors).toEqual([
      `tillit: the data directory ${path.resolve(s.dataDir)} is in use by another Tillit stack (pid ${record(s).pid}; app :${s.ports.app}, tracking :${s.ports.tracking}, executor :${s.ports.executor}, database :${s.ports.database}) — stop it first, or set TILLIT_DATA_DIR`,
    ]);
    // The running stack is untouched.
    expect((await health(s.ports.app))?.status).toBe(200);
  }, 120_000);

  it("gives up after a burst of exits of one child: every child stops and the supervisor exits 1 with the reason", async () => {
    const pids = new Set(Object.values(record(s).children));
    const from = s.out.length;
    // Killed again and again (the first kill above may have left the window): the third exit within
    // a minute ends the stack.
    let gaveUp = false;
    for (let i = 0; i < 3 && !gaveUp; i++) {
      const pid = await until("the ingest's new pid", () => {
        const p = record(s).children.ingest!;
        return alive(p) && p;
      }, 60_000);
      for (const p of Object.values(record(s).children)) pids.add(p);
      const mark = s.out.length;
      process.kill(pid, "SIGKILL");
      gaveUp = await Promise.race([s.waitForLine(/ is back \(pid \d+\)$/, 60_000, mark).then(() => false, () => false), s.exited.then(() => true)]);
    }
    expect(await s.exited).toBe(1);
    const reason = await s.waitForLine(/giving up$/, 1000, from);
    expect(reason).toMatch(/^tillit: the tracking ingest \(pid \d+\) was killed \(SIGKILL\): 3 exits within 60 s \(TILLIT_RESTART_LIMIT 3\); giving up$/);
    for (const pid of pids) await until(`pid ${pid} to be gone`, () => !alive(pid), 15_000);
    // Its locks are released: the data directory is free for the next start.
    expect(() => record(s)).toThrow();
  }, 180_000);
});

describe("the supervisor killed with -9", () => {
  it("takes its children with it: none is still serving after ten seconds", async () => {
    const s = await startSupervisor(tempDir());
    try {
      await s.waitForLine(/^tillit: ready on /, 300_000);
      const r = record(s);
      process.kill(r.pid, "SIGKILL");
      const open = async (port: number) => {
        try {
          await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
          return true;
        } catch {
          return false;
        }
      };
      await until("every child gone and every port closed", async () => {
        const left = Object.values(r.children).filter(alive);
        const serving = await Promise.all([s.ports.app, s.ports.executor, s.ports.tracking].map(open));
        return left.length === 0 && !serving.includes(true);
      }, 10_000);
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 360_000);
});
