import path from "node:path";
import { ESLint } from "eslint";
import ts from "typescript";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeKinds } from "@/lib/flows/catalog";

// The rules of eslint.config.mjs that guard the code's shape, run through ESLint's own API on
// planted modules: the paths below need not exist, ESLint picks the config by path and the
// resolver resolves their imports from there. The project's config as it is, except for types:
// - the layer boundaries (docs/layout.md) need none, so the type-aware rules are off for them (a
//   TypeScript program of the whole repository would cost this unit test many seconds);
// - the exhaustive-switch rule does: its planted files get a program of their own, made of just
//   them and what they import (the catalog, zod), with the project's compiler options less the
//   ambient @types. `npm run lint` runs every rule on everything.
const root = process.cwd();
const planted = (name: string) => ({ relative: `lib/flows/planted-${name}.ts`, absolute: path.join(root, `lib/flows/planted-${name}.ts`) });
const missingKind = planted("missing-kind");
const everyKind = planted("every-kind");
const leftOut = nodeKinds[nodeKinds.length - 1]!;

/** A switch over NodeKind, imported from the catalog as product code does, naming these kinds. */
const kindSwitch = (kinds: readonly string[]) =>
  [
    `import type { NodeKind } from "./catalog";`,
    ``,
    `export function named(kind: NodeKind): boolean {`,
    `  switch (kind) {`,
    ...kinds.map((k) => `    case ${JSON.stringify(k)}:`),
    `      return true;`,
    `  }`,
    `  return false;`,
    `}`,
    ``,
  ].join("\n");
const typedCode = new Map([
  [missingKind.absolute, kindSwitch(nodeKinds.filter((k) => k !== leftOut))],
  [everyKind.absolute, kindSwitch(nodeKinds)],
]);

function typedProgram(): ts.Program {
  const tsconfig = ts.readConfigFile(path.join(root, "tsconfig.json"), (f) => ts.sys.readFile(f));
  const { options: project } = ts.convertCompilerOptionsFromJson((tsconfig.config as { compilerOptions: unknown }).compilerOptions, root);
  const options = { ...project, incremental: false, noEmit: true, types: [] };
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => typedCode.has(f) || fileExists.call(host, f);
  host.readFile = (f) => typedCode.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const text = typedCode.get(f);
    return text === undefined ? getSourceFile.call(host, f, language, ...rest) : ts.createSourceFile(f, text, language, true);
  };
  return ts.createProgram({ rootNames: [...typedCode.keys()], options, host });
}

let eslint: ESLint;
beforeAll(async () => {
  const typedFiles = [missingKind.relative, everyKind.relative];
  eslint = new ESLint({
    cwd: root,
    overrideConfig: [
      {
        files: ["**/*.ts", "**/*.tsx"],
        ignores: typedFiles,
        ...tseslint.configs.disableTypeChecked,
        languageOptions: { parserOptions: { projectService: false, project: null } },
      },
      { files: typedFiles, languageOptions: { parserOptions: { projectService: false, programs: [typedProgram()] } } },
    ],
  });
  // Loading the config and its plugins takes seconds on a busy machine: here, not in the first test's time.
  await eslint.calculateConfigForFile("lib/planted/pure.ts");
}, 60_000);

async function lint(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => ({ rule: m.ruleId, message: m.message, line: m.line }));
}

const rules = async (filePath: string, code: string) => (await lint(filePath, code)).map((m) => m.rule);

describe("layer boundaries (eslint.config.mjs)", () => {
  it("refuses a pure module importing the database, whatever the spelling", async () => {
    const alias = await lint("lib/planted/pure.ts", `import { openDb } from "@/db/client";\nexport const open = openDb;\n`);
    expect(alias.map((m) => m.rule)).toEqual(["import/no-restricted-paths"]);
    expect(alias[0]!.message).toMatch(/pure module may not import db\//);
    expect(alias[0]!.line).toBe(1);
    expect(await rules("lib/planted/pure.ts", `import { openDb } from "../../db/client";\nexport const open = openDb;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("lib/planted/pure.ts", `export { openDb } from "@/db/client";\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("lib/planted/pure.ts", `export const load = () => import("@/db/queries/contacts");\n`)).toEqual(["import/no-restricted-paths"]);
  });

  it("refuses a pure module importing lib/server, inngest/ or app/", async () => {
    expect(await rules("lib/flows/planted.ts", `import { healthCheck } from "../server/health";\nexport const h = healthCheck;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("lib/planted.ts", `import { healthCheck } from "./server/health";\nexport const h = healthCheck;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("lib/flows/planted.ts", `import { inngest } from "@/inngest/client";\nexport const i = inngest;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("lib/flows/planted.ts", `import { postForm } from "@/app/_components/post-form";\nexport const p = postForm;\n`)).toEqual(["import/no-restricted-paths"]);
  });

  it("refuses a pure module importing Next, next-auth, server-only or the Inngest SDK", async () => {
    const code = [
      `import "server-only";`,
      `import { headers } from "next/headers";`,
      `import NextAuth from "next-auth";`,
      `import { Inngest } from "inngest";`,
      `export const all = [headers, NextAuth, Inngest];`,
    ].join("\n");
    const found = await lint("lib/segments/planted.ts", code);
    expect(found.map((m) => [m.line, m.rule])).toEqual([
      [1, "no-restricted-imports"],
      [2, "no-restricted-imports"],
      [3, "no-restricted-imports"],
      [4, "no-restricted-imports"],
    ]);
  });

  it("refuses a db/ module importing lib/server, inngest/, app/ or Next", async () => {
    const server = await lint("db/queries/planted.ts", `import { currentUser } from "@/lib/server/auth/member";\nexport const who = currentUser;\n`);
    expect(server.map((m) => m.rule)).toEqual(["import/no-restricted-paths"]);
    expect(server[0]!.message).toMatch(/db\/ imports only pure modules, not lib\/server\//);
    expect(await rules("db/queries/planted.ts", `import { currentUser } from "../../lib/server/auth/member";\nexport const who = currentUser;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("db/queries/planted.ts", `import { inngest } from "../../inngest/client";\nexport const i = inngest;\n`)).toEqual(["import/no-restricted-paths"]);
    expect(await rules("db/planted.ts", `import { cookies } from "next/headers";\nimport "server-only";\nexport const c = cookies;\n`)).toEqual([
      "no-restricted-imports",
      "no-restricted-imports",
    ]);
  });

  it("passes clean modules: pure code on zod, its siblings and other pure folders; db/ on pure modules; lib/server on anything", async () => {
    expect(await lint("lib/flows/planted.ts", `import { z } from "zod";\nimport { nodeCatalog } from "./catalog";\nimport { uuidv7 } from "../ids";\nimport { can } from "@/lib/auth/permissions";\nexport const all = [z, nodeCatalog, uuidv7, can];\n`)).toEqual([]);
    expect(await lint("db/queries/planted.ts", `import { eq } from "drizzle-orm";\nimport type { Db } from "../client";\nimport { evaluate } from "@/lib/segments/evaluate";\nexport const all = [eq, evaluate];\nexport type D = Db;\n`)).toEqual([]);
    expect(await lint("lib/server/planted.ts", `import "server-only";\nimport { openDb } from "@/db/client";\nimport { inngest } from "@/inngest/client";\nexport const all = [openDb, inngest];\n`)).toEqual([]);
  });
});

// The first type-aware lint makes the checker work out the catalog's types (zod's inference of
// every config): seconds, more on a machine shared with other work.
describe("exhaustive switches (eslint.config.mjs)", { timeout: 60_000 }, () => {
  const lintPlanted = (file: { relative: string; absolute: string }) => lint(file.relative, typedCode.get(file.absolute)!);

  it("refuses a switch over the node kinds that leaves one out, naming it", async () => {
    const found = await lintPlanted(missingKind);
    expect(found.map((m) => m.rule)).toEqual(["@typescript-eslint/switch-exhaustiveness-check"]);
    expect(found[0]!.message).toContain(`"${leftOut}"`);
    expect(found[0]!.line).toBe(4);
  });

  it("passes the same switch once it names every kind", async () => {
    expect(await lintPlanted(everyKind)).toEqual([]);
  });
});
