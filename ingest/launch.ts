import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";

/**
 * The node arguments that start the tracking ingest as a process of its own (npm run dev and
 * start, the benchmark, the crash test): its code bundled into one ES module by esbuild (a few
 * tens of milliseconds) and run by plain node, with packages left as imports resolved from the
 * project's node_modules.
 *
 * Not `node --import tsx`: tsx compiles with esbuild's keepNames, which wraps every function the
 * code creates in a `__name()` call, an Object.defineProperty on the new closure. On the ingest's
 * path that is a dozen closures per request (promise executors, callbacks); measured under the
 * ingest benchmark's load, the bundle takes 8–10 % less CPU per event. A young generation of
 * 32 MB halves the time spent in scavenges there: every request waiting for its commit is live
 * at each scavenge and is copied, so fewer scavenges copy less.
 */
// See above: fewer scavenges copy fewer waiting requests.
const YOUNG_GENERATION = "--max-semi-space-size=32";

export function ingestNodeArgs(root: string = process.cwd(), log: (line: string) => void = console.error): string[] {
  const entry = path.join(root, "ingest", "main.ts");
  const dir = path.join(root, "node_modules", ".cache", "tillit");
  const out = path.join(dir, "ingest.mjs");
  // Written under a name of its own, then renamed: processes starting together (test workers)
  // never run a half-written file.
  const tmp = `${out}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    bundle(entry, tmp);
    renameSync(tmp, out);
  } catch (err) {
    // A read-only install: the same code through tsx, slower.
    log(`tracking-ingest: could not bundle into ${dir} (${(err as Error).message.split("\n")[0]}); running it through tsx`);
    return [YOUNG_GENERATION, "--import", "tsx", entry];
  }
  return ["--enable-source-maps", YOUNG_GENERATION, out];
}

function bundle(entry: string, outfile: string) {
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    outfile,
    logLevel: "silent",
  });
}
