import os from "node:os";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { openDb } from "@/db/client";
import { broadcasts, workspaces } from "@/db/schema/index";
import { freePort } from "@/e2e/fixtures/ports";
import { mergeContext, marketingHeaders } from "@/lib/email/message";
import type { MergeContext } from "@/lib/email/render";
import { parseSendingPolicy } from "@/lib/email/policy";
import { campaignSlug } from "@/lib/email/tracking";
import type { OutgoingEmail } from "@/lib/email/types";
import { startCaptureProcess } from "@/lib/server/email/bench";
import { closeRenderPool, renderMessages } from "@/lib/server/email/render-pool";
import { resendTransport, sendBatch } from "@/lib/server/email/send";
import { startLocalExecutor } from "../local/server";
import { executorClient, waitFor } from "../local/test-app";
import type { BenchDatabase } from "../local/bench";
import { startBroadcastApp } from "./broadcast-app";
import { scheduledBroadcast, seedAudience, sendRequested, setPace } from "./broadcast-fixture";

/**
 * `npm run bench broadcast [--recipients=N]`: a broadcast to N recipients (100k by default) at
 * the fastest pace a plan allows (1,000 requests/s), timed from the send event until the capture
 * server has accepted every message — sender run, snapshot, fan-out, and per batch the consent
 * re-check, claim, render, frozen batch and hand-off — against the raw hand-off of the same
 * messages, pre-rendered, to the same capture server in the same run (batches of 100, as many in
 * flight as the broadcast's batch runs). The app serving the functions and the capture server are
 * processes of their own; the executor runs here. Target: ≥ 0.35 of raw and under 30 s.
 */

const IN_FLIGHT = 8; // the batch function's concurrency per broadcast

export async function benchBroadcast(db: BenchDatabase, opts: { recipients: number }) {
  const capture = await startCaptureProcess();
  const executor = await startLocalExecutor({ databaseUrl: db.url, embedded: db.embedded, port: 0, workers: 8, log: () => {} });
  const served = await startBroadcastApp({ executor, db, captureUrl: capture.url, port: await freePort() });
  const h = openDb(db.url, { embedded: db.embedded, max: 4 });
  try {
    await executor.sync(served.serveUrl);
    const [ws] = await h.db
      .insert(workspaces)
      .values({ name: "Bench Outdoor", slug: `bench-${Date.now().toString(36)}`, fromName: "Bench Outdoor", fromEmail: "news@bench.example", postalAddress: "1 Fjord Road, Bergen" })
      .returning({ id: workspaces.id, secret: workspaces.secret });
    const workspaceId = ws!.id;
    await setPace(h.db, workspaceId, 1000);
    const t0seed = performance.now();
    const { segmentId } = await seedAudience(h.db, { workspaceId, n: opts.recipients, prefix: "bench" });
    await h.sql`analyze`;
    console.log(`broadcast: ${opts.recipients} recipients seeded in ${((performance.now() - t0seed) / 1000).toFixed(1)} s; load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    const audience = { everyone: false, segmentIds: [segmentId], topicIds: [], excludeSegmentIds: [] };

    // Ours: from the send event until the capture server accepted every message.
    await capture.reset();
    const { broadcastId } = await scheduledBroadcast(h.db, { workspaceId, audience, name: "Spring bench" });
    const sender = executorClient("tillit-bench", executor);
    const t0 = performance.now();
    await sender.send(sendRequested(workspaceId, broadcastId));
    let snapshotSecs: number | null = null;
    let firstSecs: number | null = null;
    await waitFor(
      "every message accepted",
      async () => {
        const got = await capture.accepted();
        if (firstSecs === null && got > 0) firstSecs = (performance.now() - t0) / 1000;
        if (snapshotSecs === null) {
          const [row] = await h.db.select({ n: broadcasts.recipientCount }).from(broadcasts).where(eq(broadcasts.id, broadcastId));
          if (row?.n != null) snapshotSecs = (performance.now() - t0) / 1000;
        }
        return got >= opts.recipients;
      },
      30 * 60_000,
    );
    const oursSecs = (performance.now() - t0) / 1000;
    console.log(`broadcast: snapshot taken by ${snapshotSecs ?? "?"} s, first message accepted at ${firstSecs ?? "?"} s`);
    await waitFor("the broadcast to be marked sent", async () => (await h.db.select({ s: broadcasts.status }).from(broadcasts).where(eq(broadcasts.id, broadcastId)))[0]!.s === "sent", 60_000);
    const accepted = await capture.accepted();
    if (accepted !== opts.recipients) throw new Error(`capture got ${accepted} of ${opts.recipients}`);
    console.log(`broadcast: ours ${oursSecs.toFixed(1)} s (${Math.round(opts.recipients / oursSecs)} msgs/s); load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

    // Raw: the same messages, rendered beforehand (untimed), handed off in batches of 100.
    const [b] = await h.db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId));
    const contacts = await h.sql<{ id: string; email: string; first_name: string | null }[]>`
      select id, email, first_name from contacts where workspace_id = ${workspaceId}::uuid order by id`;
    const version = (await h.sql<{ subject: string; preheader: string; body: unknown; created_at: Date }[]>`
      select subject, preheader, body, created_at from template_versions where id = ${b!.templateVersionId}::uuid`)[0]!;
    const template = { id: randomUUID(), updatedAt: new Date(version.created_at), class: "marketing" as const, subject: b!.subject ?? version.subject, preheader: version.preheader, body: version.body };
    const settings = parseSendingPolicy({}).tracking;
    const emails: OutgoingEmail[] = [];
    for (let i = 0; i < contacts.length; i += 1000) {
      const slice = contacts.slice(i, i + 1000);
      const rendered = await renderMessages(
        slice.map((c) => {
          const ctx: MergeContext = mergeContext(
            { email: c.email, firstName: c.first_name, lastName: null, attributes: {}, workspaceName: "Bench Outdoor", postalAddress: "1 Fjord Road, Bergen" },
            { contactId: c.id, trigger: {}, unsubscribeUrl: `https://app.example/u/${c.id}`, viewUrl: `https://app.example/v/${c.id}` },
          );
          return { template, ctx, tracking: { appUrl: "https://app.example", secret: ws!.secret, workspaceId, messageId: randomUUID(), settings, campaign: campaignSlug(b!.name), content: null } };
        }),
      );
      rendered.forEach((r, k) => {
        if (r instanceof Error) throw r;
        const c = slice[k]!;
        emails.push({
          from: "Bench Outdoor <news@bench.example>",
          to: [c.email],
          subject: r.subject,
          html: r.html,
          text: r.text,
          headers: marketingHeaders(`https://app.example/u/${c.id}`),
          tags: [{ name: "workspace", value: workspaceId }, { name: "broadcast", value: broadcastId }, { name: "contact", value: c.id }],
          class: "marketing",
        });
      });
    }
    await capture.reset();
    const transport = resendTransport({ apiKey: "re_bench", baseUrl: capture.url });
    const batches = Math.ceil(emails.length / 100);
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < batches; i = next++) await sendBatch(transport, emails.slice(i * 100, i * 100 + 100), { idempotencyKey: `raw:${i}:${randomUUID()}` });
      }),
    );
    const rawSecs = (performance.now() - t1) / 1000;
    const rawAccepted = await capture.accepted();
    if (rawAccepted !== opts.recipients) throw new Error(`raw: capture got ${rawAccepted} of ${opts.recipients}`);
    const value = opts.recipients / oursSecs;
    const baseline = opts.recipients / rawSecs;
    console.log(`broadcast: raw hand-off ${rawSecs.toFixed(1)} s (${Math.round(baseline)} msgs/s); load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    const meets = value / baseline >= 0.35 && oursSecs < 30;
    console.log(`broadcast: ${meets ? "meets" : "below"} the target (≥ 0.35 of raw and under 30 s): ${(value / baseline).toFixed(2)} of raw, ${oursSecs.toFixed(1)} s`);
    console.log(`BENCH broadcast value=${Math.round(value)} unit=msgs/s baseline=${Math.round(baseline)} ratio=${(value / baseline).toFixed(2)} target=0.35 seconds=${oursSecs.toFixed(1)}`);
  } finally {
    await h.close();
    await new Promise<void>((resolve) => {
      served.child.once("exit", () => resolve());
      served.child.kill("SIGTERM");
    });
    await executor.stop();
    await closeRenderPool();
    await capture.close();
  }
}
