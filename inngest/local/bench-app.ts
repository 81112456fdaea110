import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Inngest } from "inngest";
import { sdkFetch } from "../sdk-fetch";
import { startTestApp, waitFor } from "./test-app";

/**
 * The app side of the executor benchmarks: the real SDK serve handler serving one 5-step
 * function. "inline" serves it from the benchmark's own process, so the SDK's work and the
 * executor's share one thread; "process" runs it as a process of its own, as the app and the
 * executor run under `npm run dev` (the Next server and the executor child).
 * Run as a script it is that process: `bench-app.ts <executorUrl> <appId> <fnId> <eventName>`,
 * printing "serving <serveUrl>", exiting when its stdin closes (the benchmark ended or died).
 */

export const BENCH_STEPS = 5;

export type BenchAppMode = "process" | "inline";

export type BenchApp = {
  serveUrl: string;
  send: (events: { name: string; data: Record<string, unknown> }[]) => Promise<unknown>;
  close: () => Promise<void>;
};

function serveFiveSteps(executorUrl: string, appId: string, fnId: string, eventName: string) {
  return startTestApp(appId, executorUrl, (inngest) => [
    inngest.createFunction({ id: fnId, retries: 0, triggers: [{ event: eventName }] }, async ({ step, event }) => {
      let acc = Number(event.data.n);
      for (let i = 0; i < BENCH_STEPS; i++) acc = await step.run(`s${i}`, () => acc + 1);
      return acc;
    }),
  ]);
}

export async function startBenchApp(mode: BenchAppMode, executorUrl: string, appId: string, fnId: string, eventName: string): Promise<BenchApp> {
  if (mode === "inline") {
    const app = await serveFiveSteps(executorUrl, appId, fnId, eventName);
    return { serveUrl: app.serveUrl, send: (events) => app.inngest.send(events), close: app.close };
  }
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), executorUrl, appId, fnId, eventName], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const serveUrl = await waitFor(
    "the benchmark app to serve",
    async () => {
      if (child.exitCode !== null) throw new Error(`the benchmark app exited (${child.exitCode}): ${out}`);
      return /serving (\S+)/.exec(out)?.[1];
    },
    60_000,
  );
  // Events come from this process, as an app's own sends would from any of its processes.
  const sender = new Inngest({ id: `${appId}-sender`, isDev: true, baseUrl: executorUrl, fetch: sdkFetch });
  return {
    serveUrl,
    send: (events) => sender.send(events),
    close: async () => {
      child.stdin!.end();
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
  const app = await serveFiveSteps(executorUrl, appId, fnId, eventName);
  process.stdin.on("end", () => void app.close().then(() => process.exit(0)));
  process.stdin.resume();
  console.log(`serving ${app.serveUrl}`);
}
