import { defineConfig } from "@playwright/test";

// Started by scripts/test.ts, which builds the app, starts it on a free port with its own
// database and passes the addresses here. Run the suite with `npm test` or `npm run test:e2e`.
const baseURL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const executablePath = process.env.CHROMIUM_PATH || undefined;

export default defineConfig({
  testDir: "./specs",
  outputDir: "../test-results/e2e",
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: 2,
  // Generous: a 2-core machine running the app, the executor, Postgres and two browsers at once.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: process.env.E2E_JSON_REPORT ?? "../test-results/e2e.json" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      // IsolateSandboxedIframes off: Chromium puts a sandboxed iframe (the template preview) in a
      // process of its own and routes input to it by the browser's hit-test data, which lags a
      // scroll by a frame. Playwright scrolls a target into view and clicks at once, so on a busy
      // machine a click below the preview landed in the preview (seen: "Send test" got no event at
      // all, in 3 to 5 of 12 runs). In-process, the page hit-tests with its current layout.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-features=IsolateSandboxedIframes",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
});
