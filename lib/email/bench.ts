import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { childEnv } from "../env";
import { marketingHeaders } from "./message";
import { compiledTemplate, renderCompiled, type MergeContext } from "./render";
import { applyTracking, campaignSlug } from "./tracking";
import { resendTransport, sendBatch } from "./send";
import type { OutgoingEmail } from "./types";

/**
 * `npm run bench email`: render + hand-off of a 2 KB template with 5 merge tags to the Resend
 * capture server (the real SDK, batches of 100), against a raw baseline in the same run: the
 * hand-off of pre-rendered identical payloads. Target ≥ 10,000 messages/s.
 *
 * The capture server runs as a process of its own, as Resend's API is a remote service: it parses
 * and checks every request and counts the emails, and the run fails unless the count matches.
 * Sending runs in one worker thread per core (as a deployment runs one sender per core), each
 * with its own SDK client and a 64 MB young generation (a sender allocates ~700 KB of strings a
 * batch; the default semi-space makes it collect several times a batch); the raw baseline uses
 * the same threads.
 */

/** The capture server in a child process, counting (not keeping) what it accepts. */
async function startCaptureProcess() {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(process.cwd(), "e2e", "fixtures", "resend-capture-main.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: childEnv({}),
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (d: Buffer) => {
      seen += d.toString();
      const m = /listening (http:\/\/\S+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`capture server exited with ${code}: ${seen}`)));
  });
  const call = async (p: string, method = "GET") => (await (await fetch(`${url}${p}`, { method, headers: { authorization: "Bearer re_bench" } })).json()) as { accepted: number };
  return {
    url,
    reset: () => call("/_capture/reset", "POST"),
    accepted: async () => (await call("/_capture/stats")).accepted,
    close: () => new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}

const MARKUP = `# Hello {{ contact.first_name | default: "there" }}

Spring has arrived at {{ workspace.name }}, and with it our biggest sale of the season. Everything in the outdoor
range is reduced: tents, sleeping bags, stoves, packs and the boots people ask us about all winter long.

As a {{ contact.plan }} member you get early access, from today until Sunday evening. Your member number is
{{ contact.member_no }}; bring it to any of our shops or use it online at checkout.

**What is in the sale**

Three-season tents from our own workshop, tested on the plateau in March winds. Down sleeping bags rated to
minus fifteen, with recycled shells. Lightweight stoves and the fuel canisters that fit them. Packs from 20 to
70 litres, each with a lifetime repair promise. Waterproof boots in wide and narrow fits, resoled for free.

[button: Shop the member sale](https://shop.example/sale?member={{ contact.member_no }})

---

Last year's members bought more than twelve thousand items in the first two days, so the popular sizes go
quickly. If something is gone, reply to this email and we will tell you when it is back in stock.

Planning a trip? Our guides have written up ten routes for the first weekend of spring, from easy family walks
to a three-day traverse. [Read the route guides](https://shop.example/routes) and pick one that suits you.

Happy trails,
The team at {{ workspace.name }}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Job = { mode: "ours" | "raw"; batches: number[]; messages: number };
type Setup = { captureUrl: string; templateId: string; workspaceId: string; inFlight: number };

/** One sender: compiles the template once, then renders, tracks and hands off the batches it is given. */
async function sender(setup: Setup) {
  const transport = resendTransport({ apiKey: "re_bench", baseUrl: setup.captureUrl });
  const template = { id: setup.templateId, updatedAt: new Date(0), subject: "Spring sale for {{ contact.first_name }}", preheader: "Members first", body: { markup: MARKUP }, class: "marketing" as const };
  const compiled = await compiledTemplate(template);
  const settings = { opens: true, clicks: true, utm: true, utmSource: "tillit", utmMedium: "email" };
  const secret = "bench-secret-0123456789abcdef0123456789abcdef";
  const campaign = campaignSlug("Spring sale");
  const ctxFor = (i: number): MergeContext => ({
    contact: { first_name: `Kari${i}`, email: `kari${i}@example.com`, plan: i % 2 ? "gold" : "silver", member_no: `M${100000 + i}` },
    workspace: { name: "Acme Outdoor", postal_address: "1 Fjord Road, 5003 Bergen, Norway" },
    trigger: {},
    unsubscribe_url: `https://app.example/u/tok${i}`,
  });
  const message = (i: number, rendered: { subject: string; html: string; text: string }): OutgoingEmail => ({
    from: "Acme Outdoor <news@acme.example>",
    to: [`kari${i}@example.com`],
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers: marketingHeaders(`https://app.example/u/tok${i}`),
    tags: [{ name: "workspace", value: setup.workspaceId }],
    class: "marketing",
  });
  const sample = renderCompiled(compiled, ctxFor(0));
  const fixed = message(0, sample);
  const build = {
    raw: (): OutgoingEmail => ({ ...fixed }),
    ours: (i: number): OutgoingEmail => {
      const rendered = renderCompiled(compiled, ctxFor(i));
      const html = applyTracking(rendered.html, { appUrl: "https://app.example", secret, workspaceId: setup.workspaceId, messageId: randomUUID(), settings, campaign, content: "s1" });
      return message(i, { ...rendered, html });
    },
  };
  const run = async (job: Job) => {
    let next = 0;
    const one = async () => {
      for (;;) {
        const b = job.batches[next++];
        if (b === undefined) return;
        const batch = Array.from({ length: Math.min(100, job.messages - b * 100) }, (_, k) => build[job.mode](b * 100 + k));
        await sendBatch(transport, batch, { idempotencyKey: `bench:${b}:${randomUUID()}` });
      }
    };
    await Promise.all(Array.from({ length: setup.inFlight }, one));
  };
  return { run, htmlBytes: Buffer.byteLength(sample.html) };
}

if (!isMainThread && (workerData as { emailBench?: Setup } | null)?.emailBench) {
  const s = await sender((workerData as { emailBench: Setup }).emailBench);
  parentPort!.on("message", (job: Job) => {
    s.run(job).then(
      () => parentPort!.postMessage({ ok: true }),
      (err: unknown) => parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  parentPort!.postMessage({ ready: s.htmlBytes });
}

export async function benchEmail(opts: { messages: number; reps: number; inFlight: number; threads?: number }) {
  const capture = await startCaptureProcess();
  const threads = opts.threads ?? availableParallelism();
  const setup: Setup = { captureUrl: capture.url, templateId: randomUUID(), workspaceId: randomUUID(), inFlight: opts.inFlight };
  const workers: Worker[] = [];
  try {
    let htmlBytes = 0;
    for (let t = 0; t < threads; t++) {
      // Each thread registers the TypeScript loader and the server-only resolve hook the benchmark runs under.
      const hook = pathToFileURL(path.join(process.cwd(), "scripts", "allow-server-only.mjs")).href;
      const boot = `import(${JSON.stringify(hook)}).then(() => import("tsx/esm/api")).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const w = new Worker(boot, { eval: true, workerData: { emailBench: setup }, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      workers.push(w);
      htmlBytes = await new Promise<number>((resolve, reject) => {
        w.once("message", (m: { ready: number }) => resolve(m.ready));
        w.once("error", reject);
      });
    }
    console.log(`email: template ${MARKUP.length} B markup, ${htmlBytes} B HTML, 5 merge tags; ${opts.messages} messages per rep, batches of 100, ${threads} sender threads with ${opts.inFlight} batches in flight each`);

    const run = async (mode: Job["mode"]) => {
      await capture.reset();
      const batches = Math.ceil(opts.messages / 100);
      const t0 = performance.now();
      await Promise.all(
        workers.map(
          (w, t) =>
            new Promise<void>((resolve, reject) => {
              w.once("message", (m: { ok: boolean; error?: string }) => (m.ok ? resolve() : reject(new Error(m.error))));
              w.postMessage({ mode, messages: opts.messages, batches: Array.from({ length: batches }, (_, b) => b).filter((b) => b % threads === t) } satisfies Job);
            }),
        ),
      );
      const secs = (performance.now() - t0) / 1000;
      const got = await capture.accepted();
      if (got !== opts.messages) throw new Error(`capture got ${got} of ${opts.messages}`);
      return opts.messages / secs;
    };

    await run("ours"); // warm-up: JIT, connections
    const ours: number[] = [];
    const raw: number[] = [];
    for (let r = 0; r < opts.reps; r++) {
      raw.push(await run("raw"));
      ours.push(await run("ours"));
      console.log(`email: rep ${r + 1}: render+hand-off ${Math.round(ours[r]!)} msgs/s, raw hand-off ${Math.round(raw[r]!)} msgs/s`);
    }
    const value = median(ours);
    const baseline = median(raw);
    console.log(`email: ${value >= 10_000 ? "meets" : "below"} the 10,000 msgs/s target (${Math.round(value)} msgs/s)`);
    console.log(`BENCH email value=${Math.round(value)} unit=msgs/s baseline=${Math.round(baseline)} ratio=${(value / baseline).toFixed(2)} target=10000`);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await capture.close();
  }
}
