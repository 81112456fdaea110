import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, openSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * What keeps two stacks from stepping on each other (docs/operations.md): a stack holds a lock
 * file on its embedded data directory and one on each of its ports. A lock file names the
 * supervisor's pid, its ports and its children's pids; one whose pid is gone (kill -9) is stale
 * and taken over. A second stack refuses with one line naming the running one. Several stacks on
 * one shared Postgres stay allowed: they lock only their own ports.
 */

export type StackRecord = {
  pid: number;
  instance: string;
  startedAt: string;
  ports: Partial<Record<PortRole, number>>;
  dataDir?: string;
  /** Child process ids by name, rewritten as children restart. */
  children: Record<string, number>;
};

export type PortRole = "app" | "executor" | "tracking" | "database";

/** Which setting moves each port. */
const PORT_SETTING: Record<PortRole, string> = { app: "PORT", executor: "INNGEST_LOCAL_PORT", tracking: "TRACKING_PORT", database: "PGLITE_PORT" };
const PORT_NAME: Record<PortRole, string> = { app: "the app", executor: "the local Inngest executor", tracking: "the tracking ingest", database: "the embedded database" };

/** Refused: another stack holds what this one needs, or a port is taken. The message is the one line to print. */
export class LockError extends Error {}

export const defaultPortLockDir = () => path.join(os.tmpdir(), "tillit-stacks");
export const dataDirLockFile = (dataDir: string) => path.join(dataDir, "stack.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // The pid of a stack killed long ago may since have gone to another program: a supervisor is a
  // node process, so where /proc says what runs there, anything else leaves the lock stale.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("node");
  } catch {
    return true;
  }
}

function readRecord(file: string): StackRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as StackRecord;
    return typeof r.pid === "number" ? r : undefined;
  } catch {
    return undefined;
  }
}

function describe(r: StackRecord): string {
  const ports = (Object.entries(r.ports) as [PortRole, number][]).map(([role, port]) => `${role} :${port}`).join(", ");
  return `pid ${r.pid}${ports ? `; ${ports}` : ""}`;
}

/** Creates `file` holding the record, unless a live stack holds it: then the record found. */
function take(file: string, record: StackRecord): StackRecord | undefined {
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeFileSync(fd, JSON.stringify(record));
      closeSync(fd);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const held = readRecord(file);
    if (held && held.pid !== record.pid && alive(held.pid)) return held;
    // Stale (its stack is gone) or unreadable (a crash mid-write): take it over.
    try {
      unlinkSync(file);
    } catch {
      /* another starter removed it first */
    }
  }
  throw new LockError(`could not take the lock file ${file}: remove it if no other stack runs`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export type StackLock = {
  /** Rewrites the record in every lock file (children restarted). */
  update(children: Record<string, number>): void;
  release(): void;
};

/**
 * Takes the data directory's lock (when given) and each port's, checking each port is free.
 * Throws a LockError with the line to print.
 */
export async function lockStack(record: Omit<StackRecord, "children">, opts: { dataDir?: string; portLockDir?: string } = {}): Promise<StackLock> {
  const full: StackRecord = { ...record, children: {} };
  const files: string[] = [];
  const release = () => {
    for (const f of files.splice(0)) {
      if (readRecord(f)?.instance === full.instance) {
        try {
          unlinkSync(f);
        } catch {
          /* already gone */
        }
      }
    }
  };
  try {
    if (opts.dataDir) {
      const file = dataDirLockFile(opts.dataDir);
      const held = take(file, full);
      if (held) throw new LockError(`the data directory ${opts.dataDir} is in use by another Tillit stack (${describe(held)}) — stop it first, or set TILLIT_DATA_DIR`);
      files.push(file);
    }
    const dir = opts.portLockDir ?? defaultPortLockDir();
    for (const [role, port] of Object.entries(record.ports) as [PortRole, number][]) {
      const file = path.join(dir, `port-${port}.lock`);
      const held = take(file, full);
      if (held) throw new LockError(`port ${port} for ${PORT_NAME[role]} is held by another Tillit stack (${describe(held)}) — stop it first, or set ${PORT_SETTING[role]}`);
      files.push(file);
      if (!(await portFree(port))) throw new LockError(`port ${port} for ${PORT_NAME[role]} is taken by another program — stop it or set ${PORT_SETTING[role]}`);
    }
  } catch (err) {
    release();
    throw err;
  }
  return {
    update(children) {
      full.children = children;
      for (const f of files) {
        const tmp = `${f}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(full));
        renameSync(tmp, f);
      }
    },
    release,
  };
}

/** The record of the stack holding a data directory or port lock file, if its supervisor lives. */
export function runningStack(file: string): StackRecord | undefined {
  const r = readRecord(file);
  return r && alive(r.pid) ? r : undefined;
}
