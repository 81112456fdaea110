import { pathToFileURL } from "node:url";
import { parentPort, Worker, workerData, type ResourceLimits } from "node:worker_threads";
import { bundledEntry, type Runnable } from "./bundle";

/**
 * A pool of worker threads for CPU work the request thread must not do itself (rendering
 * user-written templates): a job that runs away cannot block other requests, and one that runs
 * past its budget is stopped by terminating its worker, which a fresh one replaces.
 *
 * Jobs travel in batches: a worker is handed up to `maxBatch` queued jobs in one message and
 * answers them in one message, so a busy sender pays a postMessage per batch, not per job. Each
 * job has its own wall-clock budget. The worker writes which job it is on and when it started it
 * into shared memory; a timer on this thread reads it and, when the job's budget (plus a grace the
 * worker's own soft limits act within) has passed, terminates the worker. That job fails with
 * reason "budget"; the batch's other jobs go back to the front of the queue (rendering is pure, so
 * those already done are simply done again).
 */

export type JobOutcome<R> = { ok: true; value: R } | { ok: false; reason: "budget" | "crashed" | "error"; message: string };

type Task<J> = { t0: number; jobs: J[]; budgets: number[] };
/** One job's answer from the worker: its value, or what it threw. */
export type WorkerResult<R> = { ok: true; value: R } | { ok: false; message: string };
type FromWorker = { ready: true } | { results: unknown };

/**
 * How a batch's answers cross between threads. By default a structured clone; a codec may move
 * bulk data as bytes instead: decoding bytes into strings costs the receiving thread a fraction of
 * deserialising the same strings from a clone.
 *
 * The worker makes one encoder and keeps it: it hands each job's answer to `add` as soon as the
 * job is done (so what a job produced can die young rather than wait in the worker's heap for
 * the rest of the batch), and `finish` gives the batch's message. The pool decodes an answer as
 * soon as it arrives, before it hands that worker another batch, so an encoder may write each
 * batch into the same SharedArrayBuffer: memory allocated once per worker, not per batch.
 */
export type ResultCodec<R> = {
  encoder(): BatchEncoder<R>;
  decode(data: unknown): WorkerResult<R>[];
};
export type BatchEncoder<R> = {
  add(result: WorkerResult<R>): void;
  finish(): { data: unknown; transfer?: ArrayBuffer[] };
};

type Pending<J, R> = { job: J; budgetMs: number; resolve: (o: JobOutcome<R>) => void; reject: (e: Error) => void };

type Slot<J, R> = {
  worker: Worker;
  /** [index of the job in progress (jobs.length when done), its start in ms after the task's t0]. */
  progress: Int32Array;
  state: "starting" | "idle" | "busy" | "retired";
  task?: { t0: number; items: Pending<J, R>[]; timer?: NodeJS.Timeout };
};

export type PoolOptions<R> = {
  /** The worker's entry, relative to the repository root (bundled by lib/bundle.ts). */
  entry: string;
  /** The bundle's name, and who speaks in log lines. */
  name: string;
  workers: number;
  /** Most jobs handed to one worker in one message. */
  maxBatch: number;
  /** Added to a job's budget before its worker is terminated, so the worker's own soft limit acts first. */
  graceMs: number;
  resourceLimits?: ResourceLimits;
  /** The codec the worker's serveJobs encodes its answers with. */
  codec?: ResultCodec<R>;
  root?: string;
  log?: (line: string) => void;
};

export class WorkerPool<J, R> {
  private readonly slots: Slot<J, R>[] = [];
  private queue: Pending<J, R>[] = [];
  private runnable: Runnable | undefined;
  private closed = false;

  constructor(private readonly opts: PoolOptions<R>) {}

  /** Runs the jobs, each within its budget; resolves once all are done, in order. */
  run(items: { job: J; budgetMs: number }[]): Promise<JobOutcome<R>[]> {
    if (this.closed) return Promise.reject(new Error(`${this.opts.name}: the pool is closed`));
    const done = Promise.all(items.map(({ job, budgetMs }) => new Promise<JobOutcome<R>>((resolve, reject) => this.queue.push({ job, budgetMs, resolve, reject }))));
    this.drain();
    return done;
  }

  /** Workers alive now (starting, idle or busy): for tests and the health of the pool. */
  get size(): number {
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error(`${this.opts.name}: the pool closed`);
    for (const p of this.queue.splice(0)) p.reject(closing);
    const slots = this.slots.splice(0);
    for (const s of slots) {
      clearTimeout(s.task?.timer);
      for (const p of s.task?.items ?? []) p.reject(closing);
      s.task = undefined;
    }
    await Promise.all(slots.map((s) => this.retire(s)));
  }

  private drain() {
    if (this.closed || this.queue.length === 0) return;
    const idle = this.slots.filter((s) => s.state === "idle");
    for (let k = 0; k < idle.length && this.queue.length > 0; k++) {
      // Spread what waits over the idle workers; a lone job goes out at once.
      const take = Math.min(this.opts.maxBatch, Math.ceil(this.queue.length / (idle.length - k)));
      this.dispatch(idle[k]!, this.queue.splice(0, take));
    }
    try {
      while (this.queue.length > 0 && this.slots.length < this.opts.workers) this.spawn();
    } catch (err) {
      // No worker could be made at all: what waits fails rather than waiting forever.
      if (this.slots.length === 0) for (const p of this.queue.splice(0)) p.reject(new Error(`${this.opts.name}: could not start a worker: ${(err as Error).message}`));
    }
  }

  private spawn() {
    this.runnable ??= bundledEntry({ entry: this.opts.entry, name: this.opts.name, who: this.opts.name, root: this.opts.root, log: this.opts.log });
    const shared = new SharedArrayBuffer(8);
    const options = { workerData: { progress: shared }, resourceLimits: this.opts.resourceLimits };
    const worker =
      this.runnable.kind === "bundle"
        ? new Worker(this.runnable.file, options)
        : new Worker(`import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(pathToFileURL(this.runnable.entry).href)}); })`, { ...options, eval: true });
    const slot: Slot<J, R> = { worker, progress: new Int32Array(shared), state: "starting" };
    this.slots.push(slot);
    worker.on("message", (m: FromWorker) => this.onMessage(slot, m));
    worker.on("error", (err) => this.onFailure(slot, err.message));
    worker.on("exit", (code) => this.onFailure(slot, `the worker exited (code ${code})`));
  }

  private onMessage(slot: Slot<J, R>, m: FromWorker) {
    if (slot.state === "retired") return;
    if ("ready" in m) {
      slot.state = "idle";
    } else {
      const task = slot.task!;
      clearTimeout(task.timer);
      slot.task = undefined;
      slot.state = "idle";
      const results = this.opts.codec ? this.opts.codec.decode(m.results) : (m.results as WorkerResult<R>[]);
      results.forEach((r, i) => task.items[i]!.resolve(r.ok ? r : { ok: false, reason: "error", message: r.message }));
    }
    this.drain();
    // An idle worker never keeps the process alive; a starting or busy one does (jobs wait on it).
    if (slot.state === "idle") slot.worker.unref();
  }

  private onFailure(slot: Slot<J, R>, message: string) {
    if (slot.state === "retired") return;
    const wasStarting = slot.state === "starting";
    const task = slot.task;
    void this.retire(slot);
    if (task) {
      clearTimeout(task.timer);
      const at = Math.max(0, Math.min(Atomics.load(slot.progress, 0), task.items.length - 1));
      this.requeueAllBut(task.items, at);
      task.items[at]!.resolve({ ok: false, reason: "crashed", message });
    } else if (wasStarting) {
      // A worker that cannot even start (a broken bundle): what waits fails rather than waiting forever.
      for (const p of this.queue.splice(0)) p.reject(new Error(`${this.opts.name}: a worker could not start: ${message}`));
      return;
    }
    this.drain();
  }

  private dispatch(slot: Slot<J, R>, items: Pending<J, R>[]) {
    const t0 = Date.now();
    Atomics.store(slot.progress, 1, 0);
    Atomics.store(slot.progress, 0, 0);
    slot.state = "busy";
    slot.task = { t0, items };
    slot.worker.ref();
    slot.worker.postMessage({ t0, jobs: items.map((i) => i.job), budgets: items.map((i) => i.budgetMs) } satisfies Task<J>);
    this.arm(slot, items[0]!.budgetMs + this.opts.graceMs);
  }

  private arm(slot: Slot<J, R>, ms: number) {
    const task = slot.task!;
    task.timer = setTimeout(() => this.check(slot), Math.max(1, ms));
    task.timer.unref();
  }

  /** The watchdog: is the job in progress past its budget? */
  private check(slot: Slot<J, R>) {
    const task = slot.task;
    if (!task || slot.state !== "busy") return;
    const at = Atomics.load(slot.progress, 0);
    // Every job is done and the answer is on its way.
    if (at >= task.items.length) return;
    const started = task.t0 + Atomics.load(slot.progress, 1);
    const item = task.items[at]!;
    const limit = item.budgetMs + this.opts.graceMs;
    const elapsed = Date.now() - started;
    if (elapsed < limit) return this.arm(slot, limit - elapsed);
    slot.task = undefined;
    void this.retire(slot);
    this.requeueAllBut(task.items, at);
    item.resolve({ ok: false, reason: "budget", message: `stopped after ${elapsed} ms (the budget is ${item.budgetMs} ms)` });
    this.drain();
  }

  private requeueAllBut(items: Pending<J, R>[], at: number) {
    this.queue = [...items.filter((_, k) => k !== at), ...this.queue];
  }

  private async retire(slot: Slot<J, R>) {
    slot.state = "retired";
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    await slot.worker.terminate();
  }
}

/**
 * The worker's side: answers each batch the pool sends, one job after another, writing progress
 * where the pool's watchdog reads it. `handle` gets the job and its deadline (performance.now()
 * time) for limits of its own; what it throws becomes that job's error.
 */
export function serveJobs<J, R>(handle: (job: J, deadline: number) => R | Promise<R>, codec?: ResultCodec<R>): void {
  if (!parentPort) throw new Error("serveJobs runs in a worker thread");
  const port = parentPort;
  const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);
  const results: WorkerResult<R>[] = [];
  const encoder: BatchEncoder<R> = codec?.encoder() ?? { add: (r) => results.push(r), finish: () => ({ data: results.splice(0) }) };
  const answer = async (task: Task<J>) => {
    for (let i = 0; i < task.jobs.length; i++) {
      Atomics.store(progress, 1, Date.now() - task.t0);
      Atomics.store(progress, 0, i);
      try {
        const out = handle(task.jobs[i]!, performance.now() + task.budgets[i]!);
        encoder.add({ ok: true, value: out instanceof Promise ? await out : out });
      } catch (err) {
        encoder.add({ ok: false, message: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
      }
    }
    Atomics.store(progress, 0, task.jobs.length);
    const out = encoder.finish();
    port.postMessage({ results: out.data } satisfies FromWorker, out.transfer ?? []);
  };
  // One batch at a time (the pool sends no other before this one's answer), in order regardless.
  let last = Promise.resolve();
  port.on("message", (task: Task<J>) => void (last = last.then(() => answer(task))));
  port.postMessage({ ready: true } satisfies FromWorker);
}
