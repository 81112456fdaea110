import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { freePort } from "../e2e/fixtures/ports";
import { env } from "../lib/env";
import { generateInngestKeys } from "../inngest/keys";
import { startStack } from "./stack";

/**
 * `npm run bench editor`: p95 frame time while dragging one node of a generated 500-node,
 * 500-edge flow in the real editor, against plain React Flow with 450 default nodes (its stress
 * example's shape), both served by the production build and measured in the same Chromium, in
 * alternating repetitions. Frames are timed with requestAnimationFrame with the frame-rate cap
 * off, so a frame takes as long as its work does rather than a fixed 16.7 ms; only frames that
 * handled a pointer move are counted.
 */

const root = process.cwd();

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestSource(p) : s.mtimeMs);
  }
  return newest;
}

function ensureBuild() {
  const id = path.join(root, ".next", "BUILD_ID");
  const stale = !existsSync(id) || ["app", "lib"].some((d) => newestSource(path.join(root, d)) > statSync(id).mtimeMs);
  if (!stale) return;
  console.log("bench editor: building the app (next build)…");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("next build failed");
}

function chromiumPath(): string | undefined {
  const configured = env().CHROMIUM_PATH;
  if (configured) return configured;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  return undefined;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const median = (xs: number[]) => percentile(xs, 50);

/** Drags the node nearest the canvas centre around a loop; returns the frame durations seen meanwhile. */
async function dragFrames(page: Page, moves: number): Promise<number[]> {
  // Scripts go to the page as text: tsx would wrap named functions in a helper the page lacks.
  const target = await page.evaluate<{ x: number; y: number } | null>(`(() => {
    const canvas = document.querySelector(".react-flow").getBoundingClientRect();
    const cx = canvas.x + canvas.width / 2;
    const cy = canvas.y + canvas.height / 2;
    let best = null;
    for (const el of document.querySelectorAll(".react-flow__node")) {
      const r = el.getBoundingClientRect();
      const x = r.x + Math.min(20, r.width / 2);
      const y = r.y + Math.min(8, r.height / 2);
      const d = (x - cx) ** 2 + (y - cy) ** 2;
      if (!best || d < best.d) best = { x, y, d };
    }
    return best;
  })()`);
  if (!target) throw new Error("no node on the canvas");
  // Only frames that handled a pointer move count: idle frames between two moves would
  // otherwise dilute the percentile with the cost of doing nothing.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__on = true;
    let moved = false;
    window.addEventListener("pointermove", () => { moved = true; }, { capture: true });
    let last = performance.now();
    const tick = (t) => {
      if (moved) window.__frames.push(t - last);
      moved = false;
      last = t;
      if (window.__on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  await page.mouse.move(target.x, target.y);
  await page.mouse.down();
  for (let i = 1; i <= moves; i++) {
    const a = (i / moves) * Math.PI * 4;
    await page.mouse.move(target.x + Math.sin(a) * 120 + i * 0.2, target.y + (1 - Math.cos(a)) * 60);
  }
  await page.mouse.up();
  const frames = await page.evaluate<number[]>(`(() => { window.__on = false; return window.__frames; })()`);
  // The first frame's delta spans pressing the button, not a drag frame.
  return frames.slice(1);
}

export async function benchEditor(db: { url: string; embedded: boolean }, opts: { reps: number; moves: number }) {
  ensureBuild();
  const executablePath = chromiumPath();
  const logDir = mkdtempSync(path.join(os.tmpdir(), "tillit-bench-editor-"));
  const port = await freePort();
  // No flows run here, so no executor; the app still needs the keys to start.
  const keys = generateInngestKeys();
  const stack = await startStack({
    mode: "start",
    port,
    executor: false,
    trackingPort: await freePort(),
    database: { kind: "url", url: db.url },
    devMailbox: true,
    env: {
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      APP_URL: `http://localhost:${port}`,
      AUTH_URL: `http://localhost:${port}`,
      RESEND_API_KEY: undefined,
      INNGEST_EVENT_KEY: keys.eventKey,
      INNGEST_SIGNING_KEY: keys.signingKey,
    },
    output: { file: path.join(logDir, "app.log") },
  });
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu-vsync", "--disable-frame-rate-limit", "--disable-background-timer-throttling", "--disable-renderer-backgrounding"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const open = async (which: "editor" | "baseline") => {
      const res = await page.goto(`${stack.appUrl}/dev/bench/${which}`);
      if (!res?.ok()) throw new Error(`/dev/bench/${which} answered ${res?.status()}`);
      await page.waitForFunction((n) => document.querySelectorAll(".react-flow__node").length >= n, which === "editor" ? 500 : 450);
      await page.waitForTimeout(300); // let fitView and the first measurements settle before timing
    };
    const p95 = { editor: [] as number[], baseline: [] as number[] };
    // One warm-up drag each, then alternate so drift on a shared machine hits both alike.
    for (const which of ["baseline", "editor"] as const) {
      await open(which);
      await dragFrames(page, 20);
    }
    for (let r = 0; r < opts.reps; r++) {
      for (const which of r % 2 === 0 ? (["baseline", "editor"] as const) : (["editor", "baseline"] as const)) {
        await open(which);
        const frames = await dragFrames(page, opts.moves);
        p95[which].push(percentile(frames, 95));
        console.log(`bench editor: rep ${r + 1} ${which}: ${frames.length} frames, p95 ${percentile(frames, 95).toFixed(2)} ms, median ${median(frames).toFixed(2)} ms`);
      }
    }
    const value = median(p95.editor);
    const baseline = median(p95.baseline);
    console.log(
      `BENCH editor value=${value.toFixed(2)} unit=ms_p95_frame baseline=${baseline.toFixed(2)} ratio=${(value / baseline).toFixed(2)} target=<=1.25`,
    );
  } finally {
    await browser.close();
    await stack.stop();
  }
}
