import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { env, serviceEnv } from "@/lib/env";
import { executorClient, startTestApp, waitFor, type ExecutorTarget } from "./test-app";

/**
 * The app side of the executor benchmarks: the real SDK serve handler serving one 5-step
 * function. "inline" serves it from the benchmark's own process, so the SDK's work and the
 * executor's share one thread; "process" runs it as a process of its own, as the app and the
 * executor run under `npm run dev` (the Next server and the executor child).
 * Run as a script it is that process: `bench-app.ts <executorUrl> <appId> <fnId> <eventName>` with
 * the executor's keys in INNGEST_EVENT_KEY / INNGEST_SIGNING_KEY, printing "serving <serveUrl>",
 * exiting when its stdin closes (the benchmark ended or died).
 */

export const BENCH_STEPS = 5;

export type BenchAppMode = "process" | "inline";

export type BenchApp = {
  serveUrl: string;
  send: (events: { name: string; data: Record<string, unknown> }[]) => Promise<unknown>;
  close: () => Promise<void>;
};

function serveFiveSteps(executor: ExecutorTarget, appId: string, fnId: string, eventName: string) {
  return startTestApp(appId, executor, (inngest) => [
    inngest.createFunction({ id: fnId, retries: 0, triggers: [{ event: eventName }] }, async ({ step, event }) => {
      let acc = Number(event.data.n);
      for (let i = 0; i < BENCH_STEPS; i++) acc = await step.run(`s${i}`, () => acc + 1);
      return acc;
    }),
  ]);
}

export async function startBenchApp(mode: BenchAppMode, executor: ExecutorTarget, appId: string, fnId: string, eventName: string): Promise<BenchApp> {
  if (mode === "inline") {
    const app = await serveFiveSteps(executor, appId, fnId, eventName);
    return { serveUrl: app.serveUrl, send: (events) => app.inngest.send(events), close: app.close };
  }
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), executor.url, appId, fnId, eventName], {
    stdio: ["pipe", "pipe", "inherit"],
    env: serviceEnv({ INNGEST_EVENT_KEY: executor.keys.eventKey, INNGEST_SIGNING_KEY: executor.keys.signingKey }),
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const serveUrl = await waitFor(
    "the benchmark app to serve",
    () => {
      if (child.exitCode !== null) throw new Error(`the benchmark app exited (${child.exitCode}): ${out}`);
      return /serving (\S+)/.exec(out)?.[1];
    },
    60_000,
  );
  // Events come from this process, as an app's own sends would from any of its processes.
  const sender = executorClient(`${appId}-sender`, executor);
  return {
    serveUrl,
    send: (events) => sender.send(events),
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [executorUrl, appId, fnId, eventName] = process.argv.slice(2);
  if (!executorUrl || !appId || !fnId || !eventName) {
    console.error("usage: bench-app.ts <executorUrl> <appId> <fnId> <eventName>");
    process.exit(2);
  }
  const { INNGEST_EVENT_KEY: eventKey, INNGEST_SIGNING_KEY: signingKey } = env();
  if (!eventKey || !signingKey) {
    console.error("bench-app.ts: INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY must name the executor's keys");
    process.exit(2);
  }
  const app = await serveFiveSteps({ url: executorUrl, keys: { eventKey, signingKey } }, appId, fnId, eventName);
  process.stdin.on("end", () => void app.close().then(() => process.exit(0)));
  process.stdin.resume();
  console.log(`serving ${app.serveUrl}`);
}
