import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb } from "../db/client";
import { freePort } from "../e2e/fixtures/ports";
import { generateInngestKeys } from "../inngest/keys";
import { childEnv, envOrExit } from "../lib/env";
import { StackError, startStack, type DatabaseChoice } from "./stack";

/**
 * `npm test`: every layer — typecheck (tsc), lint (ESLint), unit (vitest), integration (vitest,
 * real Postgres when DATABASE_URL is set, PGlite otherwise) and e2e (Playwright + Chromium against a production build). With
 * DATABASE_URL the e2e suite runs on that server and a smoke subset runs on embedded PGlite too.
 * Prints a line per layer and ends with `tests: N passed, N failed`.
 *
 *   npm test                 all layers
 *   npm test -- unit e2e     only the named layers (typecheck, lint, unit, integration, e2e)
 *   npm test -- e2e forms    e2e specs whose file name matches "forms" only (on Postgres; no smoke run)
 */

type Layer = "typecheck" | "lint" | "unit" | "integration" | "e2e";
type Count = { passed: number; failed: number; skipped: number };
/** Each failed test's name and first line of error, printed again beside the summary (a CI log's tail). */
const failures: string[] = [];
const firstLine = (m: string | undefined) => (m ?? "").split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 300) ?? "";

const e = envOrExit();
const root = process.cwd();
const resultsDir = path.join(root, "test-results");
mkdirSync(resultsDir, { recursive: true });

const allLayers: Layer[] = ["typecheck", "lint", "unit", "integration", "e2e"];
const requested = process.argv.slice(2).filter((a): a is Layer => (allLayers as string[]).includes(a));
const layers: Layer[] = requested.length ? requested : allLayers;
/** Anything else on the command line filters e2e spec files (Playwright's file filter). */
const specFilter = process.argv.slice(2).filter((a) => !(allLayers as string[]).includes(a));
const results: { name: string; count: Count; seconds: number }[] = [];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = childEnv({})): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function vitestLayer(project: "unit" | "integration"): Promise<Count> {
  const out = path.join(resultsDir, `${project}.json`);
  rmSync(out, { force: true });
  const code = await run(process.execPath, [
    path.join(root, "node_modules", "vitest", "vitest.mjs"),
    "run",
    "--project",
    project,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  const r = readJson(out);
  if (!r) return { passed: 0, failed: 1, skipped: 0 }; // the runner itself broke
  const count = {
    passed: Number(r.numPassedTests ?? 0),
    failed: Number(r.numFailedTests ?? 0),
    skipped: Number(r.numPendingTests ?? 0) + Number(r.numTodoTests ?? 0),
  };
  type FileResult = { name?: string; message?: string; assertionResults?: { status?: string; fullName?: string; failureMessages?: string[] }[] };
  for (const f of (r.testResults ?? []) as FileResult[]) {
    const file = path.relative(root, f.name ?? "");
    const failed = (f.assertionResults ?? []).filter((a) => a.status === "failed");
    for (const a of failed) failures.push(`${project}: ${file} › ${a.fullName ?? "?"}: ${firstLine(a.failureMessages?.[0])}`);
    if (failed.length === 0 && f.message) failures.push(`${project}: ${file}: ${firstLine(f.message)}`);
  }
  // A file that failed to load has no failed test but a non-zero exit: count it.
  if (code !== 0 && count.failed === 0) count.failed = 1;
  return count;
}

type PwSuite = { title?: string; file?: string; suites?: PwSuite[]; specs?: { title?: string; ok?: boolean; tests?: { results?: { error?: { message?: string } }[] }[] }[] };
function playwrightFailures(suites: PwSuite[], layer: string, trail: string[] = []): void {
  for (const s of suites) {
    const here = s.file && trail.length === 0 ? [s.file] : [...trail, s.title ?? ""];
    for (const spec of s.specs ?? []) {
      if (spec.ok !== false) continue;
      const error = spec.tests?.flatMap((t) => t.results ?? []).find((res) => res.error)?.error?.message;
      failures.push(`${layer}: ${[...here, spec.title].filter(Boolean).join(" › ")}: ${firstLine(error)}`);
    }
    playwrightFailures(s.suites ?? [], layer, here);
  }
}

/** CHROMIUM_PATH, then Debian's /usr/bin/chromium, then Playwright's own browser. */
async function findChromium(): Promise<string | undefined> {
  if (e.CHROMIUM_PATH) {
    if (existsSync(e.CHROMIUM_PATH)) return e.CHROMIUM_PATH;
    console.error(`tillit: CHROMIUM_PATH points at ${e.CHROMIUM_PATH}, which does not exist`);
    return undefined;
  }
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  const { chromium } = await import("playwright-core");
  const own = chromium.executablePath();
  if (own && existsSync(own)) return own;
  // A laptop with internet can fetch Playwright's browser; a closed network cannot.
  console.log("tillit: no Chromium found; trying `npx playwright install chromium`…");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "@playwright", "test", "cli.js"), "install", "chromium"], {
    stdio: "inherit",
  });
  const fetched = chromium.executablePath();
  if (r.status === 0 && fetched && existsSync(fetched)) return fetched;
  console.error(
    "tillit: no Chromium for the e2e tests — install one (Debian/Ubuntu: `apt-get install chromium`; elsewhere: `npx playwright install chromium`) or set CHROMIUM_PATH",
  );
  return undefined;
}

async function buildApp(): Promise<boolean> {
  console.log("\n▶ e2e: building the app (next build)…");
  const code = await run(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], childEnv({
    NEXT_TELEMETRY_DISABLED: "1",
  }));
  return code === 0;
}

async function e2eTarget(name: string, database: DatabaseChoice, grep?: string): Promise<Count> {
  console.log(`\n▶ e2e on ${name}${grep ? ` (${grep})` : ""}`);
  const port = await freePort();
  const log = path.join(resultsDir, `app-${name}.log`);
  rmSync(log, { force: true });
  // Resend's webhook answers 503 until it has a secret; the specs sign with this one.
  const webhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
  let stack;
  try {
    stack = await startStack({
      mode: "start",
      port,
      executor: { port: await freePort(), keys: generateInngestKeys() },
      trackingPort: await freePort(),
      database,
      devMailbox: true,
      output: { file: log },
      // The tests play a reverse proxy from loopback (X-Forwarded-For), e.g. to tell flood sources apart.
      env: { AUTH_SECRET: randomBytes(32).toString("base64url"), APP_URL: `http://localhost:${port}`, AUTH_URL: `http://localhost:${port}`, RESEND_API_KEY: undefined, RESEND_WEBHOOK_SECRET: webhookSecret, TRUSTED_PROXIES: "127.0.0.1,::1" },
    });
  } catch (err) {
    console.error(`tillit: the app did not start for e2e on ${name}: ${err instanceof StackError ? err.message : String(err)}`);
    console.error(`  (its output: ${path.relative(root, log)})`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const report = path.join(resultsDir, `e2e-${name}.json`);
  rmSync(report, { force: true });
  try {
    const code = await run(
      process.execPath,
      [
        path.join(root, "node_modules", "@playwright", "test", "cli.js"),
        "test",
        "--config",
        "e2e/playwright.config.ts",
        ...(grep ? ["--grep", grep] : []),
        ...specFilter,
      ],
      childEnv({
        E2E_BASE_URL: stack.appUrl,
        E2E_DATABASE_URL: stack.databaseUrl,
        E2E_DATABASE_EMBEDDED: database.kind === "embedded" ? "1" : "0",
        E2E_TRACKING_URL: stack.trackingUrl,
        E2E_EXECUTOR_URL: stack.executorUrl,
        RESEND_WEBHOOK_SECRET: webhookSecret,
        E2E_JSON_REPORT: report,
        CHROMIUM_PATH: chromiumPath,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
      }),
    );
    const r = readJson(report);
    const stats = (r?.stats ?? {}) as Record<string, number>;
    const count = {
      passed: (stats.expected ?? 0) + (stats.flaky ?? 0),
      failed: stats.unexpected ?? 0,
      skipped: stats.skipped ?? 0,
    };
    playwrightFailures((r?.suites ?? []) as PwSuite[], `e2e ${name}`);
    if (code !== 0 && count.failed === 0) count.failed = 1;
    return count;
  } finally {
    await stack.stop();
  }
}

let chromiumPath: string | undefined;

async function e2eLayer(): Promise<void> {
  const started = Date.now();
  chromiumPath = await findChromium();
  if (!chromiumPath || !(await buildApp())) {
    results.push({ name: "e2e", count: { passed: 0, failed: 1, skipped: 0 }, seconds: (Date.now() - started) / 1000 });
    return;
  }
  const embeddedDir = mkdtempSync(path.join(os.tmpdir(), "tillit-e2e-"));
  const embedded: DatabaseChoice = { kind: "embedded", dataDir: embeddedDir, port: await freePort() };
  try {
    if (!e.embeddedDatabase) {
      // A database of this run's own on the real server, dropped afterwards.
      const name = `tillit_e2e_${randomBytes(4).toString("hex")}`;
      const admin = openDb(e.databaseUrl, { max: 1 });
      await admin.sql.unsafe(`create database ${name}`);
      const url = new URL(e.databaseUrl);
      url.pathname = `/${name}`;
      try {
        const t0 = Date.now();
        const count = await e2eTarget("postgres", { kind: "url", url: url.toString() });
        results.push({ name: "e2e (postgres)", count, seconds: (Date.now() - t0) / 1000 });
      } finally {
        await admin.sql.unsafe(`drop database if exists ${name} with (force)`);
        await admin.close();
      }
      if (specFilter.length) return;
      const t1 = Date.now();
      const smoke = await e2eTarget("pglite", embedded, "@smoke");
      results.push({ name: "e2e smoke (pglite)", count: smoke, seconds: (Date.now() - t1) / 1000 });
    } else {
      const t0 = Date.now();
      const count = await e2eTarget("pglite", embedded);
      results.push({ name: "e2e (pglite)", count, seconds: (Date.now() - t0) / 1000 });
    }
  } finally {
    rmSync(embeddedDir, { recursive: true, force: true });
  }
}

/**
 * The layers that are one command over the whole repository, each one check that passes or fails:
 * TypeScript strict, and ESLint as `npm run lint` runs it (eslint.config.mjs; warnings pass).
 */
const checks = {
  typecheck: { title: "tsc --noEmit", args: [path.join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "tsconfig.json"] },
  lint: {
    title: "eslint .",
    args: [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), ".", "--cache", "--cache-location", "node_modules/.cache/eslint/"],
  },
};

async function checkLayer(args: string[]): Promise<Count> {
  const code = await run(process.execPath, args);
  return code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
}

for (const layer of layers) {
  const t0 = Date.now();
  if (layer === "typecheck" || layer === "lint") {
    console.log(`\n▶ ${layer} (${checks[layer].title})`);
    results.push({ name: layer, count: await checkLayer(checks[layer].args), seconds: (Date.now() - t0) / 1000 });
    continue;
  }
  if (layer === "e2e") {
    await e2eLayer();
    continue;
  }
  console.log(`\n▶ ${layer} tests${layer === "integration" ? ` on ${e.embeddedDatabase ? "embedded PGlite" : "Postgres at " + new URL(e.databaseUrl).host}` : ""}`);
  results.push({ name: layer, count: await vitestLayer(layer), seconds: (Date.now() - t0) / 1000 });
}

const total = results.reduce(
  (a, r) => ({ passed: a.passed + r.count.passed, failed: a.failed + r.count.failed, skipped: a.skipped + r.count.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
if (failures.length > 0) {
  console.log("\nfailed:");
  for (const f of failures) console.log(`  ✗ ${f}`);
}
console.log("\nlayer                 passed  failed  skipped   time");
for (const r of results) {
  console.log(
    `${r.name.padEnd(20)} ${String(r.count.passed).padStart(7)} ${String(r.count.failed).padStart(7)} ${String(r.count.skipped).padStart(8)} ${r.seconds.toFixed(1).padStart(6)}s`,
  );
}
console.log(`tests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
process.exit(total.failed > 0 ? 1 : 0);
