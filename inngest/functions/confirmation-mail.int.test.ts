import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as createContactRoute } from "@/app/api/v1/contacts/route";
import { replaceDb, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { forwardAppOutbox } from "@/db/queries/outbox";
import { appOutbox, consentEvents, contacts, forms, messages } from "@/db/schema/index";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { now } from "@/lib/clock";
import { confirmOptIn, type ConsentEmit } from "@/lib/server/consent/record";
import { resendTransport } from "@/lib/server/email/transport";
import { submitForm } from "@/lib/server/forms/submit";

/**
 * The double opt-in mail when the provider is down as the contact is created: the REST API still
 * answers 201 with the contact (its mail `queued`), a hosted form still accepts the signup, and the
 * `confirmation-mail` function sends the mail once the provider recovers: one mail per opt-in.
 */

let h: FlowHarness;
let previous: DbHandle | undefined;
/** The app's own transport (the API route's inline attempt): configuration is read once per process. */
const appMail = await vi.hoisted(async () => (await import("@/e2e/fixtures/app-mail")).startAppMail());
beforeAll(async () => {
  h = await startFlowHarness();
  previous = replaceDb(h.db);
  expect(h.functions).toContain("tillit-confirmation-mail");
});
afterAll(async () => {
  replaceDb(previous);
  await h?.stop();
  await appMail?.close();
});

const tokenOf = (text: string | undefined) => /\/f\/confirm\/([A-Za-z0-9._-]+)/.exec(text ?? "")?.[1];
const mailsTo = (to: string) => [...appMail.emails, ...h.capture.emails].filter((m) => m.to[0] === to);

/** Hands waiting `contacts/confirmation.requested` rows to the harness's executor (the app's own Inngest is not running here). */
async function forwardConfirmations() {
  const waiting = await h.db.db.update(appOutbox).set({ claimedUntil: null }).where(eq(appOutbox.name, "contacts/confirmation.requested")).returning({ id: appOutbox.id });
  await forwardAppOutbox(h.db.db, { limit: 10, ids: waiting.map((r) => r.id), send: (batch) => h.app.inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data }))).then(() => undefined) });
  return waiting.length;
}

/** Moves the virtual clock on (the function's retry back-off) until `to` has a mail, with a deadline. */
async function untilMailed(to: string) {
  await h.settle();
  for (let i = 0; i < 40 && mailsTo(to).length === 0; i++) await h.advance(60_000);
}

describe("confirmation mail when the provider fails", () => {
  it("POST /api/v1/contacts answers 201 with the mail queued; the mail goes out once the provider recovers, exactly once; the link confirms", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const key = (await createApiKey(h.db.db, { workspaceId: w, name: "CRM", kind: "secret", createdBy: ws.owner.id })).key;
    const email = `gro-${ws.workspace.slug}@example.com`;
    const post = () =>
      createContactRoute(
        new Request("http://localhost/api/v1/contacts", {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ email, consent: { wording: "Yes, send me the newsletter", source_description: "CRM signup" } }),
        }),
        { params: Promise.resolve({}) },
      );

    appMail.failNext({ status: 500, message: "provider down" });
    const res = await post();
    expect(res.status).toBe(201);
    const created = ((await res.json()) as { data: { id: string; status: string; confirmation_mail: string } }).data;
    expect(created).toMatchObject({ email, status: "unconfirmed", confirmation_mail: "queued" });
    expect(mailsTo(email)).toHaveLength(0);
    // The opt-in is on record, so nothing is lost and a client that retries learns the contact exists.
    const [optIn] = await h.db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.contactId, created.id), eq(consentEvents.kind, "opt_in")));
    expect(optIn).toBeTruthy();
    expect((await post()).status).toBe(409);

    // The function's first attempt fails too; its retry goes through.
    h.capture.failNext({ status: 500, message: "still down" });
    expect(await forwardConfirmations()).toBe(1);
    await untilMailed(email);
    const sent = mailsTo(email);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.idempotencyKey).toBe(`confirm:${optIn!.id}`);
    expect(h.capture.requests.filter((r) => r.path === "/emails" && r.status === 500)).toHaveLength(1);
    const [row] = await h.db.db.select().from(messages).where(and(eq(messages.workspaceId, w), eq(messages.contactId, created.id)));
    expect(row).toMatchObject({ status: "sent", class: "transactional" });

    // The same hand-over again (a forwarder that re-sends) mails nobody twice.
    await h.app.inngest.send({ id: `again:${optIn!.id}`, name: "contacts/confirmation.requested", data: { workspaceId: w, contactId: created.id, optInEventId: optIn!.id } });
    await h.settle();
    expect(mailsTo(email)).toHaveLength(1);

    const done = await confirmOptIn(h.db.db, { token: tokenOf(sent[0]!.text)!, ip: "198.51.100.4", userAgent: "Mail", at: now() });
    expect(done.outcome).toBe("confirmed");
    const [c] = await h.db.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.id, created.id)));
    expect(c!.status).toBe("subscribed");
  });

  it("a form signup is accepted when the provider fails, and its confirmation is handed on to be retried", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const [form] = await h.db.db
      .insert(forms)
      .values({
        workspaceId: w,
        name: "Newsletter",
        slug: `news-${ws.workspace.slug}`.slice(0, 60),
        status: "live",
        doubleOptIn: true,
        consentWording: "Yes, send me the newsletter.",
        wordingVersion: 1,
        config: { fields: [], topics: [], minFillSeconds: 2, plainHtmlEmbed: true },
      })
      .returning();
    const email = `hal-${ws.workspace.slug}@example.com`;
    const emitted: Parameters<ConsentEmit>[0] = [];
    appMail.failNext({ status: 503, message: "maintenance" });
    const out = await submitForm(h.db.db, {
      form: form!,
      fields: { email: [email] },
      ip: "203.0.113.20",
      userAgent: "Browser",
      source: "embedded_form",
      page: null,
      now: now(),
      transport: resendTransport({ apiKey: "re_test", baseUrl: appMail.url }),
      emit: async (evs) => void emitted.push(...evs),
    });
    expect(out).toMatchObject({ outcome: "accepted", needsConfirmation: true });
    expect(mailsTo(email)).toHaveLength(0);
    expect(emitted).toEqual([expect.objectContaining({ name: "contacts/confirmation.requested", data: expect.objectContaining({ workspaceId: w }) })]);

    await h.app.inngest.send(emitted.map((e) => ({ id: e.id, name: e.name, data: e.data })));
    await untilMailed(email);
    expect(mailsTo(email)).toHaveLength(1);
    expect(mailsTo(email)[0]!.subject).toMatch(/^Confirm/);
  });
});
