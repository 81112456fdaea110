// Preloaded into every process the supervisor starts (NODE_OPTIONS=--import …, so the processes
// those start inherit it too): when the process that started this one is gone (killed with -9,
// crashed), this one stops as well, instead of serving on as an orphan against a database that
// went with its supervisor. The parent's death has no event to wait for, so the parent pid is
// read twice a second; a changed one means this process was handed to another (init).
// Plain JavaScript: node loads it before any TypeScript loader. See docs/operations.md.
import { isMainThread } from "node:worker_threads";

if (isMainThread) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    console.error(`tillit: the process that started this one (pid ${parent}) is gone; stopping (pid ${process.pid})`);
    // The process's own SIGTERM handling closes what it holds; if it has none or hangs, exit.
    setTimeout(() => process.exit(1), 5_000).unref();
    process.kill(process.pid, "SIGTERM");
  }, 500);
  timer.unref();
}
