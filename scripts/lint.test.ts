import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";

// The layer boundary rules of eslint.config.mjs (docs/layout.md), run through ESLint's own API on
// planted modules: the paths below need not exist, ESLint picks the config by path and the
// resolver resolves their imports from there. The project's config as it is, less the type-aware
// rules (the boundaries need no types, and a TypeScript program of the whole repository would cost
// this unit test seconds); `npm run lint` runs them all.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: [
    {
      files: ["**/*.ts", "**/*.tsx"],
      ...tseslint.configs.disableTypeChecked,
      languageOptions: { parserOptions: { projectService: false, project: null } },
    },
  ],
});

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
