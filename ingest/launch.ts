import { bundledEntry } from "../lib/bundle";

/**
 * The node arguments that start the tracking ingest as a process of its own (npm run dev and
 * start, the benchmark, the crash test): its code bundled by lib/bundle.ts and run by plain node
 * (measured under the ingest benchmark's load, the bundle takes 8–10 % less CPU per event than
 * tsx), or through tsx where the bundle cannot be written. A young generation of 32 MB halves the
 * time spent in scavenges there: every request waiting for its commit is live at each scavenge and
 * is copied, so fewer scavenges copy less.
 */
// See above: fewer scavenges copy fewer waiting requests.
const YOUNG_GENERATION = "--max-semi-space-size=32";

export function ingestNodeArgs(root: string = process.cwd(), log: (line: string) => void = console.error): string[] {
  const run = bundledEntry({ entry: "ingest/main.ts", name: "ingest", who: "tracking-ingest", root, log });
  return run.kind === "bundle" ? ["--enable-source-maps", YOUNG_GENERATION, run.file] : [YOUNG_GENERATION, "--import", "tsx", run.entry];
}
