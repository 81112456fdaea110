import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { buildSync, stop as stopEsbuild } from "esbuild";

/**
 * A TypeScript entry of ours made runnable by plain node: bundled into one ES module by esbuild
 * (a few tens of milliseconds) under node_modules/.cache/tillit/, with packages left as imports
 * resolved from the project's node_modules. Used for the tracking ingest's process and the render
 * pool's worker threads, whose entry must exist as a file when the app runs from a production
 * build (Next bundles the app, not these entries).
 *
 * Not tsx: tsx compiles with esbuild's keepNames, which wraps every function the code creates in
 * a `__name()` call, an Object.defineProperty on the new closure; on a hot path (the ingest's
 * requests) the bundle takes 8–10 % less CPU. Where the bundle cannot be written (a read-only
 * install) the entry runs through tsx instead, slower, and `log` says so.
 */
export type Runnable = { kind: "bundle"; file: string } | { kind: "tsx"; entry: string };

export function bundledEntry(opts: {
  /** The entry, relative to `root`, e.g. "ingest/main.ts". */
  entry: string;
  /** The bundle's file name without extension. */
  name: string;
  /** Who is speaking in the fallback's log line. */
  who: string;
  root?: string;
  log?: (line: string) => void;
}): Runnable {
  const root = opts.root ?? process.cwd();
  const entry = path.join(root, opts.entry);
  const dir = path.join(root, "node_modules", ".cache", "tillit");
  const out = path.join(dir, `${opts.name}.mjs`);
  // Written under a name of its own, then renamed: processes starting together (test workers)
  // never run a half-written file.
  const tmp = `${out}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      sourcemap: "inline",
      outfile: tmp,
      logLevel: "silent",
    });
    renameSync(tmp, out);
  } catch (err) {
    (opts.log ?? console.error)(`${opts.who}: could not bundle into ${dir} (${(err as Error).message.split("\n")[0]}); running it through tsx`);
    return { kind: "tsx", entry };
  } finally {
    // buildSync leaves esbuild's service process running for the next call; there is none, and a
    // supervisor that then stops at once would leave it behind for a moment (a zombie).
    void stopEsbuild();
  }
  return { kind: "bundle", file: out };
}
