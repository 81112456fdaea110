import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { ingestNodeArgs } from "./launch";

it("bundles the ingest into one module, without tsx's per-closure name wrappers", () => {
  const args = ingestNodeArgs(process.cwd(), () => {
    throw new Error("should not fall back");
  });
  const file = args.at(-1)!;
  expect(file).toMatch(/node_modules\/\.cache\/tillit\/ingest\.mjs$/);
  const code = readFileSync(file, "utf8");
  expect(code).toContain("startIngestServer");
  expect(code).not.toMatch(/__name\(/);
  // Packages stay imports, resolved from the project's node_modules.
  expect(code).toMatch(/from "postgres"/);
});

it("runs the ingest through tsx when it cannot write the bundle, and says so", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "tillit-launch-"));
  try {
    // node_modules is a file: the cache directory cannot be made.
    writeFileSync(path.join(root, "node_modules"), "");
    const lines: string[] = [];
    const args = ingestNodeArgs(root, (l) => lines.push(l));
    expect(args).toEqual(["--max-semi-space-size=32", "--import", "tsx", path.join(root, "ingest", "main.ts")]);
    expect(lines[0]).toMatch(/could not bundle .* running it through tsx/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
