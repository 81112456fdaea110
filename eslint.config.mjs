// ESLint (flat config): `npm run lint`, and the `lint` layer of `npm test`. See docs/layout.md for the
// two layers the boundary rules below keep apart, and docs/testing.md for the lint layer.
import inngest from "@inngest/eslint-plugin";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;
const sources = ["**/*.ts", "**/*.tsx"];
/** Tests and the e2e suite: every rule but the type-aware ones (see below). */
const tests = ["**/*.test.ts", "**/*.test.tsx", "e2e/**"];

/** Packages that only run on the server or inside Next: never in a pure module (nor in db/). */
const serverPackages = [
  { name: "next", message: "Next belongs in app/ or lib/server/ (docs/layout.md)." },
  { name: "next-auth", message: "next-auth belongs in lib/server/auth (docs/layout.md)." },
  { name: "server-only", message: "A server-only module belongs in lib/server/ (docs/layout.md)." },
  { name: "inngest", message: "The Inngest SDK belongs in inngest/ or lib/server/ (docs/layout.md)." },
];
const nextSubpaths = { group: ["next/*", "next-auth/*", "inngest/*"], message: "Next, next-auth and the Inngest SDK belong in app/, inngest/ or lib/server/ (docs/layout.md)." };

/**
 * The project's own folders, resolved (the `@/` alias, relative paths: any spelling), so
 * `@/db/client`, `../../db/client` and `../server/x` are the same import to the rule.
 */
const zone = (target, from, message) => ({ target, from, message });

/** A layer's rules: none of the server packages, and none of the folders in `from` ([folder, message]). */
const boundary = (files, ignores, target, from) => ({
  files,
  ignores,
  rules: {
    "no-restricted-imports": ["error", { paths: serverPackages, patterns: [nextSubpaths] }],
    "import/no-restricted-paths": ["error", { basePath: root, zones: from.map(([folder, message]) => zone(target, folder, message)) }],
  },
});

export default defineConfig([
  globalIgnores([
    ".next/**",
    "node_modules/**",
    "test-results/**",
    "playwright-report/**",
    ".data/**",
    ".test-data/**",
    "coverage/**",
    "scratch/**",
    "next-env.d.ts",
  ]),
  ...nextVitals,
  // Type-aware rules on the product's TypeScript (tsconfig.json covers it all). Not on tests and the
  // e2e suite: typing them too costs a fifth more time, and whole-tree lint stays under 40 s on two
  // cores (docs/testing.md); their other rules still apply. Plain JS configs and scripts keep the
  // syntactic rules only. Before next/typescript, so its warnings stay warnings.
  {
    files: sources,
    ignores: tests,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // A switch over a union (a node kind, a trigger, an operator) names every member, or says with
      // `default` that the rest is meant; a kind added to the catalog then shows every switch it
      // must join (docs/flows.md, "Adding a node kind").
      "@typescript-eslint/switch-exhaustiveness-check": "error",
    },
  },
  ...nextTs,
  {
    rules: {
      // Destructuring a field away (`const { secret, ...rest } = row`) is how a value is left out.
      "@typescript-eslint/no-unused-vars": ["warn", { ignoreRestSiblings: true }],
    },
  },
  {
    // Playwright fixtures hand their value over by calling `use(...)`, which is not React's `use`.
    files: ["e2e/**"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },

  // Inngest functions: no nested steps, no mutation of outer variables inside a step, await send().
  {
    files: ["inngest/**/*.ts"],
    plugins: { "@inngest": inngest },
    rules: inngest.configs.recommended.rules,
  },

  // Pure modules (lib/ except lib/server/): zod, their siblings and other pure folders; never the
  // database, Inngest, Next or lib/server.
  boundary(["lib/**/*.{ts,tsx}"], ["lib/server/**"], "./lib", [
    ["./db", "A pure module may not import db/: move it to lib/server/ (docs/layout.md)."],
    ["./inngest", "A pure module may not import inngest/: move it to lib/server/ (docs/layout.md)."],
    ["./lib/server", "A pure module may not import lib/server/: move it to lib/server/ too (docs/layout.md)."],
    ["./app", "A pure module may not import app/ (docs/layout.md)."],
  ]),

  // db/ imports only pure modules: never lib/server, inngest, app, Next or server-only.
  boundary(["db/**/*.{ts,tsx}"], [], "./db", [
    ["./lib/server", "db/ imports only pure modules, not lib/server/ (docs/layout.md)."],
    ["./inngest", "db/ imports only pure modules, not inngest/ (docs/layout.md)."],
    ["./app", "db/ imports only pure modules, not app/ (docs/layout.md)."],
  ]),
]);
