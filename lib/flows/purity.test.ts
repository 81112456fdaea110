import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// lib/flows runs in the editor (client components) and in the runner: it may import zod and
// its own files, nothing from the project and no I/O. This keeps that true as the folder grows.
describe("lib/flows purity", () => {
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

  it.each(sources)("%s imports only zod and its siblings", (file) => {
    const text = readFileSync(path.join(dir, file), "utf8");
    const specifiers = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
    for (const s of specifiers) expect(s === "zod" || /^\.\/[a-z0-9-]+$/.test(s ?? ""), `${file} imports ${s}`).toBe(true);
    expect(text).not.toMatch(/\bprocess\.env\b|\bfetch\(|\brequire\(/);
  });

  it("has no barrel file", () => {
    expect(sources).not.toContain("index.ts");
  });
});
