import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { childEnv } from "@/lib/env";
import { marketingHeaders } from "@/lib/email/message";
import type { MergeContext } from "@/lib/email/render";
import { closeRenderPool, renderMessages, renderPool } from "./render-pool";
import { campaignSlug } from "@/lib/email/tracking";
import { resendTransport, sendBatch } from "./send";
import type { OutgoingEmail } from "@/lib/email/types";

/**
 * `npm run bench email`: render + hand-off of a 2 KB template with 5 merge tags to the Resend
 * capture server (the real SDK, batches of 100), against a raw baseline in the same run: the
 * hand-off of pre-rendered identical payloads. Target ≥ 10,000 messages/s.
 *
 * Rendering (Liquid, then the tracked links) goes through the render pool the flow sends use —
 * its worker threads, a batch of messages per task, each message within the send budget — and
 * the hand-off runs on the main thread, as in the app. The raw baseline hands off from the same
 * thread with the same number of batches in flight.
 *
 * The capture server runs as a process of its own, as Resend's API is a remote service: it parses
 * and checks every request and counts the emails, and the run fails unless the count matches.
 */

/** The capture server in a child process, counting (not keeping) what it accepts. */
export async function startCaptureProcess() {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(process.cwd(), "e2e", "fixtures", "resend-capture-main.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: childEnv({}),
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (d: Buffer) => {
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

/**
 * CPU time of the main thread so far in µs, where Linux tells it (/proc; Node 20 has no per-thread
 * figure of its own), else null: the hand-off's thread, which limits the rate, apart from the
 * render workers and V8's collector threads that process.cpuUsage() counts with it.
 */
function mainThreadCpu(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchEmail(opts: { messages: number; reps: number; inFlight: number }) {
  const capture = await startCaptureProcess();
  try {
    const transport = resendTransport({ apiKey: "re_bench", baseUrl: capture.url });
    const workspaceId = randomUUID();
    const template = { id: randomUUID(), updatedAt: new Date(0), subject: "Spring sale for {{ contact.first_name }}", preheader: "Members first", body: { markup: MARKUP }, class: "marketing" as const };
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
      tags: [{ name: "workspace", value: workspaceId }],
      class: "marketing",
    });
    const render = async (first: number, count: number) => {
      const rendered = await renderMessages(
        Array.from({ length: count }, (_, k) => ({
          template,
          ctx: ctxFor(first + k),
          tracking: { appUrl: "https://app.example", secret, workspaceId, messageId: randomUUID(), settings, campaign, content: "s1" },
        })),
      );
      return rendered.map((r, k) => {
        if (r instanceof Error) throw r;
        return message(first + k, r);
      });
    };
    const [sample] = await render(0, 1);
    const build = {
      raw: (_first: number, count: number): Promise<OutgoingEmail[]> => Promise.resolve(Array.from({ length: count }, () => ({ ...sample! }))),
      ours: render,
    };
    console.log(
      `email: template ${MARKUP.length} B markup, ${Buffer.byteLength(sample!.html ?? "")} B HTML, 5 merge tags; ${opts.messages} messages per rep, batches of 100 rendered in the render pool (${renderPool().size} worker threads), handed off from the main thread with ${opts.inFlight} batches in flight`,
    );

    const run = async (mode: keyof typeof build) => {
      await capture.reset();
      const batches = Math.ceil(opts.messages / 100);
      let next = 0;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadCpu();
      const one = async () => {
        for (let b = next++; b < batches; b = next++) {
          const batch = await build[mode](b * 100, Math.min(100, opts.messages - b * 100));
          await sendBatch(transport, batch, { idempotencyKey: `bench:${b}:${randomUUID()}` });
        }
      };
      await Promise.all(Array.from({ length: opts.inFlight }, one));
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpuPerMessage[mode] = (cpu.user + cpu.system) / opts.messages;
      const main1 = mainThreadCpu();
      mainPerMessage[mode] = main0 === null || main1 === null ? null : (main1 - main0) / opts.messages;
      const got = await capture.accepted();
      if (got !== opts.messages) throw new Error(`capture got ${got} of ${opts.messages}`);
      return opts.messages / secs;
    };

    // CPU of every thread of this process (main, render workers or senders) per message, by mode.
    const cpuPerMessage = { ours: 0, raw: 0 };
    const mainPerMessage: Record<keyof typeof build, number | null> = { ours: null, raw: null };
    await run("ours"); // warm-up: JIT, connections, every worker's compiled template
    const ours: number[] = [];
    const raw: number[] = [];
    for (let r = 0; r < opts.reps; r++) {
      raw.push(await run("raw"));
      ours.push(await run("ours"));
      console.log(`email: rep ${r + 1}: render+hand-off ${Math.round(ours[r]!)} msgs/s, raw hand-off ${Math.round(raw[r]!)} msgs/s; CPU of this process per message ${Math.round(cpuPerMessage.ours)} µs / ${Math.round(cpuPerMessage.raw)} µs${mainPerMessage.ours === null || mainPerMessage.raw === null ? "" : ` (its main thread ${Math.round(mainPerMessage.ours)} µs / ${Math.round(mainPerMessage.raw)} µs)`}`);
    }
    const value = median(ours);
    const baseline = median(raw);
    console.log(`email: ${value >= 10_000 ? "meets" : "below"} the 10,000 msgs/s target (${Math.round(value)} msgs/s)`);
    console.log(`BENCH email value=${Math.round(value)} unit=msgs/s baseline=${Math.round(baseline)} ratio=${(value / baseline).toFixed(2)} target=10000`);
  } finally {
    await closeRenderPool();
    await capture.close();
  }
}
