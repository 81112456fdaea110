import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { env } from "./env";

/**
 * The only source of "now" in app code. In production it is the system clock. In tests the local
 * Inngest executor runs on a virtual clock (real time plus an offset that tests advance, so a
 * 3-day sleep fires at once), and app code must see the same time:
 *
 *  - same process (executor started in a test with a VirtualClock): `setClock(clock)`;
 *  - other processes (Next app beside an executor child): the executor writes its offset to
 *    TILLIT_CLOCK_FILE on every advance, and this module reads it (re-read only when the file
 *    changes). The write happens before the executor acknowledges the advance, so anything the
 *    test does afterwards sees the new time.
 *
 * Time is an offset, not a frozen instant, so timeouts and leases keep moving between advances.
 */

export type Clock = { nowMs(): number };

export const systemClock: Clock = { nowMs: () => Date.now() };

export class VirtualClock implements Clock {
  private offset: number;
  constructor(opts: { offsetMs?: number; file?: string } = {}) {
    this.offset = opts.offsetMs ?? 0;
    this.file = opts.file;
    this.persist();
  }
  readonly file: string | undefined;
  nowMs(): number {
    return Date.now() + this.offset;
  }
  get offsetMs(): number {
    return this.offset;
  }
  /** Moves time forward (never back: due timers must not un-fire). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError("the virtual clock only moves forward");
    this.offset += ms;
    this.persist();
  }
  /** Restores a persisted offset (executor restart); ignored if it would move time back. */
  restore(offsetMs: number): void {
    if (offsetMs > this.offset) {
      this.offset = offsetMs;
      this.persist();
    }
  }
  private persist() {
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ offsetMs: this.offset }));
    renameSync(tmp, this.file);
  }
}

/** Follows an executor's clock file from another process. A missing or torn file reads as offset 0. */
export class FileClock implements Clock {
  private seen = "";
  private offset = 0;
  constructor(readonly file: string) {}
  nowMs(): number {
    try {
      // Every write is a rename, so the inode changes even when two writes share an mtime.
      const st = statSync(this.file);
      const m = `${st.ino}:${st.mtimeMs}`;
      if (m !== this.seen) {
        const parsed = JSON.parse(readFileSync(this.file, "utf8")) as { offsetMs?: unknown };
        this.offset = typeof parsed.offsetMs === "number" ? parsed.offsetMs : 0;
        this.seen = m;
      }
    } catch {
      // No executor yet: real time.
    }
    return Date.now() + this.offset;
  }
}

let current: Clock | undefined;

/** Installs the clock of this process (tests: the executor's VirtualClock); undefined resets. */
export function setClock(clock: Clock | undefined): void {
  current = clock;
}

function clock(): Clock {
  if (!current) {
    const file = env().TILLIT_CLOCK_FILE;
    current = file ? new FileClock(file) : systemClock;
  }
  return current;
}

export function nowMs(): number {
  return clock().nowMs();
}

export function now(): Date {
  return new Date(clock().nowMs());
}
