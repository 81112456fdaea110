import { describe, expect, it } from "vitest";
import { renderEmail, type MergeContext, type TemplateInput } from "./render";
import { renderResultCodec, runRenderJob, type RenderResult } from "./render-jobs";
import { applyTracking } from "./tracking";

const ctx: MergeContext = { contact: { first_name: "Kari", plan: "gold" }, workspace: { name: "Acme", postal_address: "1 Fjord Road" }, trigger: {}, unsubscribe_url: "https://app.example/u/t" };
const template: TemplateInput = { id: "00000000-0000-4000-8000-000000000001", updatedAt: new Date(0), subject: "Hi {{ contact.first_name }}", body: { markup: "Your plan: {{ contact.plan }}\n\n[Shop](https://shop.example/sale)" }, class: "marketing" };
const RUNAWAY = "{% for a in (1..4000) %}{% for b in (1..4000) %}{{ b }}{% endfor %}{% endfor %}";
const tracking = {
  appUrl: "https://app.example",
  secret: "s".repeat(32),
  workspaceId: "00000000-0000-4000-8000-000000000002",
  messageId: "00000000-0000-4000-8000-000000000003",
  settings: { opens: true, clicks: true, utm: false, utmSource: "tillit", utmMedium: "email" },
  campaign: null,
  content: null,
};

describe("render jobs (what the render pool's workers run)", () => {
  it("render a message as the send path did, its links tracked", async () => {
    const direct = await renderEmail(template, ctx);
    expect(await runRenderJob({ kind: "email", template, ctx })).toEqual({ ok: true, value: direct });
    expect(await runRenderJob({ kind: "email", template, ctx, tracking })).toEqual({ ok: true, value: { ...direct, html: applyTracking(direct.html, tracking) } });
  });

  it("preview a draft with its merge-tag warnings, and check one being saved", async () => {
    const r = await runRenderJob({ kind: "preview", template: { ...template, id: undefined, subject: "{{ contact.nickname }}" }, ctx, attributes: ["plan"] });
    expect(r).toMatchObject({ ok: true, value: { rendered: { subject: "(no subject)" }, warnings: [{ tag: "contact.nickname" }] } });
    expect(await runRenderJob({ kind: "check", template })).toEqual({ ok: true, value: true });
    expect(await runRenderJob({ kind: "check", template: { ...template, subject: "{% if %}" } })).toMatchObject({ ok: false, field: "subject", overBudget: false });
  });

  it("report a render stopped at its deadline as over budget, for messages, previews and webhook bodies", async () => {
    const runaway = { ...template, id: undefined, body: { markup: RUNAWAY } };
    for (const job of [
      { kind: "email" as const, template: runaway, ctx },
      { kind: "preview" as const, template: runaway, ctx, attributes: [] },
      { kind: "text" as const, source: RUNAWAY, ctx, escape: false },
    ]) {
      expect(await runRenderJob(job, performance.now() + 50)).toMatchObject({ ok: false, field: "body", overBudget: true, message: expect.stringMatching(/render limit exceeded/) });
    }
  });

  it("name the field of a template error, and the tag of a file it may not read", async () => {
    expect(await runRenderJob({ kind: "text", source: "{% include 'package.json' %}", ctx, escape: false })).toMatchObject({ ok: false, field: "body", overBudget: false, message: expect.stringContaining("{% include %}") });
    expect(await runRenderJob({ kind: "email", template: { ...template, id: undefined, subject: "{% render 'package.json' %}" }, ctx })).toMatchObject({ ok: false, field: "subject", message: expect.stringContaining("{% render %}") });
  });

  it("carry rendered messages across threads as bytes and everything else as it is, unchanged either way", async () => {
    const rendered = (await runRenderJob({ kind: "email", template, ctx })) as Extract<RenderResult, { ok: true }>;
    const results = [
      { ok: true as const, value: rendered },
      { ok: true as const, value: { ok: true as const, value: { subject: "Hei 🌷", html: "<p>x</p>", text: "Åse" } } },
      { ok: true as const, value: { ok: false as const, field: "body" as const, message: "body: nope", overBudget: false } },
      { ok: false as const, message: "thrown" },
      { ok: true as const, value: await runRenderJob({ kind: "text", source: "{{ contact.first_name }}", ctx, escape: false }) },
      { ok: true as const, value: { ok: true as const, value: { subject: "", html: "æøå", text: "" } } },
    ];
    const encoder = renderResultCodec.encoder();
    for (const r of results) encoder.add(r);
    const { data } = encoder.finish();
    // Two messages travel as bytes in shared memory (the one with an emoji is cloned).
    expect((data as { shells: unknown[] }).shells.filter((s) => s === 0)).toHaveLength(2);
    expect((data as { bytes?: unknown }).bytes).toBeInstanceOf(SharedArrayBuffer);
    expect(renderResultCodec.decode(structuredClone(data))).toEqual(results);
    encoder.add(results[3]!);
    expect((encoder.finish().data as { bytes?: unknown }).bytes).toBeUndefined();
  });

  it("reuse one shared buffer batch after batch, growing it for a batch that needs more, each batch decoded whole before the next is written", async () => {
    const message = (i: number, size: number) => ({ ok: true as const, value: { ok: true as const, value: { subject: `S${i}`, html: `<p>${"x".repeat(size)}${i}</p>`, text: `t${i}` } } });
    const encoder = renderResultCodec.encoder();
    const buffers = new Set<unknown>();
    for (const [batch, size] of [[0, 10], [1, 5000], [2, 700_000], [3, 10]] as const) {
      const results = Array.from({ length: 3 }, (_, i) => message(batch * 10 + i, size));
      for (const r of results) encoder.add(r);
      const { data } = encoder.finish();
      buffers.add((data as { bytes: unknown }).bytes);
      expect(renderResultCodec.decode(structuredClone(data))).toEqual(results);
    }
    // Batches 0 and 1 share a buffer; batch 2 needs 2 MB and grows it, batch 3 keeps the grown one.
    expect(buffers.size).toBe(2);
  });
});
