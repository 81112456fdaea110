import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The two layers (docs/layout.md): lib/<area> and lib/*.ts are pure, lib/server/<area> may touch
// the database, Inngest, Next and server-only. ESLint enforces it (eslint.config.mjs); this checks
// the tree itself, every file of every pure folder, without ESLint's resolver in between.

const lib = path.dirname(new URL(import.meta.url).pathname);
const root = path.dirname(lib);

/** Every .ts/.tsx file under `dir`, recursively, as paths relative to lib/, lib/server left out. */
function pureFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return full === path.join(lib, "server") ? [] : pureFiles(full);
    return /\.tsx?$/.test(e.name) ? [path.relative(lib, full)] : [];
  });
}

/** What a module imports: `import … from`, `export … from`, `import "x"` and `import("x")`. */
function specifiers(text: string): string[] {
  const found = text.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|\bimport\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g);
  return [...found].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** Folders of the repository a pure module may not reach, and packages it may not load. */
const serverFolders = ["db", "inngest", "app", "lib/server"];
const serverPackages = /^(next|next-auth|server-only|inngest)(\/|$)/;

/** Why `spec`, imported from lib/`file`, breaks the layering; undefined when it does not. */
function violation(file: string, spec: string): string | undefined {
  if (serverPackages.test(spec)) return `the package ${spec}`;
  const target = spec.startsWith("@/") ? path.join(root, spec.slice(2)) : spec.startsWith(".") ? path.resolve(lib, path.dirname(file), spec) : undefined;
  if (target === undefined) return undefined;
  const inRepo = path.relative(root, target).split(path.sep).join("/");
  const folder = serverFolders.find((f) => inRepo === f || inRepo.startsWith(`${f}/`));
  return folder && `${folder}/ (${spec})`;
}

describe("pure lib/ folders", () => {
  // This file quotes server imports as samples; it is the checker, not a module.
  const files = pureFiles(lib).filter((f) => f !== "purity.test.ts");

  it("finds the pure folders (all of lib/ but lib/server)", () => {
    expect(files).toContain("flows/compile.ts");
    expect(files).toContain("ids.ts");
    expect(files.some((f) => f.startsWith("server/"))).toBe(false);
  });

  it.each(files)("lib/%s imports nothing from db, inngest, app, lib/server, Next or server-only", (file) => {
    const text = readFileSync(path.join(lib, file), "utf8");
    const broken = specifiers(text).flatMap((s) => violation(file, s) ?? []);
    expect(broken, `lib/${file} imports ${broken.join(", ")}`).toEqual([]);
  });

  it("tells a server import in any spelling from a pure one", () => {
    expect(violation("flows/compile.ts", "@/db/client")).toBe("db/ (@/db/client)");
    expect(violation("flows/compile.ts", "../../db/client")).toBe("db/ (../../db/client)");
    expect(violation("flows/compile.ts", "../server/health")).toBe("lib/server/ (../server/health)");
    expect(violation("ids.ts", "./server/health")).toBe("lib/server/ (./server/health)");
    expect(violation("flows/compile.ts", "@/inngest/client")).toBe("inngest/ (@/inngest/client)");
    expect(violation("flows/compile.ts", "next/headers")).toBe("the package next/headers");
    expect(violation("flows/compile.ts", "server-only")).toBe("the package server-only");
    expect(violation("flows/compile.ts", "../segments/definition")).toBeUndefined();
    expect(violation("flows/compile.ts", "@/lib/auth/permissions")).toBeUndefined();
    expect(violation("flows/compile.ts", "zod")).toBeUndefined();
    expect(violation("flows/compile.ts", "./database")).toBeUndefined();
    expect(specifiers(`import "server-only";\nimport { a } from "./a";\nexport { b } from "../b";\nconst c = await import("@/db/client");`)).toEqual([
      "server-only",
      "./a",
      "../b",
      "@/db/client",
    ]);
  });
});

// lib/flows runs in the editor (client components) and in the runner: it may import zod and
// its own files, nothing from the project and no I/O. This keeps that true as the folder grows.
describe("lib/flows purity", () => {
  const dir = path.join(lib, "flows");
  const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

  it.each(sources)("%s imports only zod and its siblings", (file) => {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const s of specifiers(text)) expect(s === "zod" || /^\.\/[a-z0-9-]+$/.test(s), `${file} imports ${s}`).toBe(true);
    expect(text).not.toMatch(/\bprocess\.env\b|\bfetch\(|\brequire\(/);
  });

  it("has no barrel file", () => {
    expect(sources).not.toContain("index.ts");
  });
});
