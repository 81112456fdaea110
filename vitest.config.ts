import path from "node:path";
import { defineConfig } from "vitest/config";

// "server-only" throws outside React Server Components; in tests the modules run on the server anyway.
// "@/…" is the repository root, as tsconfig.json's paths say.
const alias = [
  { find: "server-only", replacement: path.resolve("e2e/fixtures/server-only-stub.ts") },
  { find: /^@\//, replacement: `${path.resolve(".")}/` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["{lib,db,inngest,ingest,app,scripts}/**/*.test.{ts,tsx}"],
          exclude: ["**/*.int.test.{ts,tsx}", "node_modules/**"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["{lib,db,inngest,ingest,app,scripts}/**/*.int.test.{ts,tsx}"],
          exclude: ["node_modules/**"],
          environment: "node",
          globalSetup: ["e2e/fixtures/db-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: two files at a time, each with a database of its own.
          maxWorkers: 2,
        },
      },
    ],
  },
});
