import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { renderEmail, TemplateError, type MergeContext, type TemplateInput } from "@/lib/email/render";
import { checkTemplate, closeRenderPool, defaultRenderWorkers, RenderBudgetError, renderLiquidText, renderMessage, renderMessages, renderPool, renderPreview } from "./render-pool";

/**
 * The render pool as the app uses it: the real worker entry, bundled and run in worker threads,
 * with the configured budgets (a preview's for all it renders, a message's each at send time).
 */

afterAll(() => closeRenderPool());

const ctxFor = (i: number): MergeContext => ({ contact: { first_name: `Kari${i}`, plan: i % 2 ? "gold" : "silver" }, workspace: { name: "Acme", postal_address: "1 Fjord Road" }, trigger: {}, unsubscribe_url: `https://app.example/u/t${i}` });
const template = (): TemplateInput => ({ id: randomUUID(), updatedAt: new Date(0), subject: "Hi {{ contact.first_name }}", body: { markup: "Plan: {% if contact.plan == 'gold' %}Gold{% else %}{{ contact.plan }}{% endif %}" }, class: "marketing" });
const RUNAWAY = "{% for a in (1..4000) %}{% for b in (1..4000) %}{{ b }}{% endfor %}{% endfor %}";

describe("the render pool", () => {
  it("renders a batch of messages exactly as this thread would, spread over its workers", async () => {
    const t = template();
    const out = await renderMessages(Array.from({ length: 250 }, (_, i) => ({ template: t, ctx: ctxFor(i) })));
    expect(out).toEqual(await Promise.all(Array.from({ length: 250 }, (_, i) => renderEmail(t, ctxFor(i)))));
    expect(renderPool().size).toBe(env().TILLIT_RENDER_WORKERS ?? defaultRenderWorkers());
  });

  it("keeps every message of many batches in flight at once intact, as each worker reuses its buffer batch after batch and grows it for large ones", async () => {
    const t = template();
    // Every seventh contact brings 300 KB of text (three of them outgrow a worker's first megabyte), every eleventh a name beyond Latin-1.
    const ctx = (i: number): MergeContext => ({ ...ctxFor(i), contact: { first_name: i % 11 ? `Kari${i}` : `Kåri 🌷${i}`, plan: i % 7 ? `p${i}` : "x".repeat(300_000) } });
    const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: 100 }, (_, k) => ({ template: t, ctx: ctx(b * 100 + k) })));
    const out = await Promise.all(batches.map((items) => renderMessages(items)));
    const direct = await Promise.all(batches.map((items) => Promise.all(items.map((m) => renderEmail(t, m.ctx)))));
    expect(out).toEqual(direct);
  });

  it("stops a message past the send budget, renders the rest of its batch, and after three overruns fails that template version at once", async () => {
    const bad: TemplateInput = { ...template(), body: { markup: RUNAWAY } };
    const good = template();
    const out = await renderMessages([
      { template: good, ctx: ctxFor(1) },
      { template: bad, ctx: ctxFor(2) },
      { template: good, ctx: ctxFor(3) },
    ]);
    expect(out[0]).toMatchObject({ subject: "Hi Kari1" });
    expect(out[1]).toBeInstanceOf(RenderBudgetError);
    expect((out[1] as Error).message).toBe(`This message took longer than its ${env().TILLIT_RENDER_SEND_BUDGET_MS} ms budget to render and was stopped: simplify its loops`);
    expect(out[2]).toMatchObject({ subject: "Hi Kari3" });

    await expect(renderMessage({ template: bad, ctx: ctxFor(4) })).rejects.toBeInstanceOf(RenderBudgetError);
    await expect(renderMessage({ template: bad, ctx: ctxFor(5) })).rejects.toBeInstanceOf(RenderBudgetError);
    const fast = await renderMessage({ template: bad, ctx: ctxFor(6) }).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(TemplateError);
    expect((fast as Error).message).toMatch(/3 times; its messages are not rendered until it is edited and its flows are published again/);
    // The template edited (a new version): rendered again.
    expect(await renderMessage({ template: { ...good, id: bad.id, updatedAt: new Date(1) }, ctx: ctxFor(7) })).toMatchObject({ subject: "Hi Kari7" });
  });

  it("gives a preview one budget for all it renders, and names the field of a template error", async () => {
    const err = await renderPreview({ ...template(), id: undefined, subject: "{% for i in (1..3) %}{{ i }}{% endfor %}", body: { markup: RUNAWAY } }, ctxFor(1), []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderBudgetError);
    expect((err as Error).message).toMatch(/^The preview took longer than its \d+ ms budget/);
    const bad = await checkTemplate({ ...template(), subject: "{% include 'package.json' %}" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ field: "subject", message: expect.stringContaining("{% include %}") });
    expect(await renderPreview({ ...template(), id: undefined }, ctxFor(1), ["plan"])).toMatchObject({ rendered: { subject: "Hi Kari1" }, warnings: [] });
  });

  it("renders webhook bodies within the send budget, refusing file tags", async () => {
    expect(await renderLiquidText('{"name": "{{ contact.first_name }}"}', ctxFor(9), false)).toBe('{"name": "Kari9"}');
    await expect(renderLiquidText("{% layout 'package.json' %}", ctxFor(9), false)).rejects.toThrow(/\{% layout %\} tag is not available/);
    await expect(renderLiquidText(RUNAWAY, ctxFor(9), false)).rejects.toBeInstanceOf(RenderBudgetError);
  });
});
