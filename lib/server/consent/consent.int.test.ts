import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { createLiveFlow, createTemplate, grantConsent, graph } from "@/e2e/fixtures/flows";
import { seedWorkspace } from "@/e2e/fixtures/seed";
import { consentEvents, contacts, enrollments, events, forms, messages, suppressions, topics, workspaces } from "@/db/schema/index";
import { getDevMail, listDevMail } from "@/db/queries/dev-mailbox";
import { suppressionsFor } from "@/db/queries/suppressions";
import { claimMessage } from "@/db/queries/messages";
import { formDailySignups } from "@/db/queries/forms";
import { devMailboxTransport } from "../email/transport";
import { submitForm } from "../forms/submit";
import { renderStamp } from "@/lib/forms/tokens";
import { checkConsent } from "./check";
import { confirmOptIn, recordOptIn, setTopicPreferences, withdrawConsent, type ConsentEmit } from "./record";
import { eraseContact, exportContact } from "./gdpr";
import { CONFIRMATION_TTL_MS } from "./confirmation";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => t.destroy());

function collector() {
  const sent: { name: string; data: Record<string, unknown> }[] = [];
  const emit: ConsentEmit = async (evs) => void sent.push(...evs);
  return { sent, emit };
}

async function makeForm(workspaceId: string, o: { doubleOptIn?: boolean; topics?: string[]; plainHtmlEmbed?: boolean } = {}) {
  const slug = `news-${Math.random().toString(36).slice(2, 8)}`;
  const [f] = await t.db
    .insert(forms)
    .values({
      workspaceId,
      name: "Newsletter",
      slug,
      status: "live",
      doubleOptIn: o.doubleOptIn ?? true,
      consentWording: "Yes, send me the Acme newsletter. I can unsubscribe at any time.",
      wordingVersion: 3,
      // Most tests here post as the plain HTML embed does, without a render stamp.
      config: { fields: [{ key: "first_name", label: "First name" }], topics: o.topics ?? [], minFillSeconds: 2, plainHtmlEmbed: o.plainHtmlEmbed ?? true },
    })
    .returning();
  return f!;
}

const fields = (email: string, extra: Record<string, string[]> = {}) => ({ email: [email], first_name: ["Frida"], ...extra });

async function submit(form: Awaited<ReturnType<typeof makeForm>>, raw: Record<string, string[]>, emit: ConsentEmit, now = new Date()) {
  return submitForm(t.db, {
    form,
    fields: raw,
    ip: "203.0.113.9",
    userAgent: "Mozilla/5.0 test",
    source: "embedded_form",
    page: "https://landing.example/spring",
    now,
    transport: devMailboxTransport(t.db),
    emit,
  });
}

async function confirmationLink(to: string) {
  const [m] = await listDevMail(t.db, { to, limit: 5 });
  const mail = await getDevMail(t.db, m!.id);
  const token = /\/f\/confirm\/([^\s"<]+)/.exec(mail!.text ?? "")![1]!;
  return token;
}

describe("double opt-in through a form", () => {
  it("records the signup, mails a confirmation, and subscribes (and starts flows) only on confirmation", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id);
    const { sent, emit } = collector();
    const email = `frida-${s.workspace.slug}@example.com`;
    const r = await submit(form, fields(email), emit);
    expect(r).toMatchObject({ outcome: "accepted", needsConfirmation: true });
    const [c] = await t.db.select().from(contacts).where(eq(contacts.email, email));
    expect(c).toMatchObject({ status: "unconfirmed", firstName: "Frida", source: "embedded_form" });
    const ledger = await t.db.select().from(consentEvents).where(eq(consentEvents.contactId, c!.id));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      kind: "opt_in",
      formId: form.id,
      formVersion: "3",
      wording: form.consentWording,
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0 test",
      source: "embedded_form",
      email,
    });
    expect(sent).toEqual([]);
    expect((await checkConsent(t.db, { workspaceId: s.workspace.id, contactId: c!.id, class: "marketing" })).decision).toEqual({ allowed: false, reason: "not_subscribed" });

    const token = await confirmationLink(email);
    const done = await confirmOptIn(t.db, { token, ip: "198.51.100.4", userAgent: "Phone", at: new Date() });
    expect(done).toMatchObject({ outcome: "confirmed", contactId: c!.id, formId: form.id });
    const [after] = await t.db.select().from(contacts).where(eq(contacts.id, c!.id));
    expect(after!.status).toBe("subscribed");
    const confirmed = await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, c!.id), eq(consentEvents.kind, "confirmed")));
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]).toMatchObject({ ip: "198.51.100.4", userAgent: "Phone", formId: form.id, formVersion: "3", data: { opt_in_event_id: ledger[0]!.id } });
    // The confirmation is what permits marketing now: checkConsent names it as the receipt.
    const allowed = await checkConsent(t.db, { workspaceId: s.workspace.id, contactId: c!.id, class: "marketing" });
    expect(allowed.decision).toEqual({ allowed: true, receipt: { basis: "consent", consentEventId: confirmed[0]!.id } });
    expect(allowed.receipt).toEqual({ consentEventId: confirmed[0]!.id, permissionBasis: "consent" });
    // The confirmation mail itself needed no consent, and its row says why.
    const [mail] = await t.db.select().from(messages).where(eq(messages.contactId, c!.id));
    expect(mail).toMatchObject({ class: "transactional", status: "sent", consentEventId: null, permissionBasis: "transactional: confirmation of a sign-up request" });

    // The form's daily chart counts the signup and its confirmation today, and nothing on other days.
    const daily = await formDailySignups(t.db, { workspaceId: s.workspace.id, formId: form.id, days: 7, now: new Date() });
    expect(daily).toHaveLength(7);
    expect(daily.at(-1)).toMatchObject({ signups: 1, confirmed: 1 });
    expect(daily.slice(0, -1).every((d) => d.signups === 0 && d.confirmed === 0)).toBe(true);

    // Pressing Confirm again records nothing new.
    expect((await confirmOptIn(t.db, { token, ip: null, userAgent: null, at: new Date() })).outcome).toBe("already");
    expect(await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, c!.id), eq(consentEvents.kind, "confirmed")))).toHaveLength(1);
  });

  it("refuses expired and forged links", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id);
    const email = `late-${s.workspace.slug}@example.com`;
    await submit(form, fields(email), collector().emit);
    const token = await confirmationLink(email);
    expect((await confirmOptIn(t.db, { token, ip: null, userAgent: null, at: new Date(Date.now() + CONFIRMATION_TTL_MS + 60_000) })).outcome).toBe("expired");
    const forged = `${token.slice(0, -3)}${token.endsWith("A") ? "B" : "A"}xx`;
    expect((await confirmOptIn(t.db, { token: forged, ip: null, userAgent: null, at: new Date() })).outcome).toBe("invalid");
    expect((await confirmOptIn(t.db, { token: "garbage", ip: null, userAgent: null, at: new Date() })).outcome).toBe("invalid");
    const [c] = await t.db.select().from(contacts).where(eq(contacts.email, email));
    expect(c!.status).toBe("unconfirmed");
  });

  it("with double opt-in off, subscribes at once and starts flows with the submitted fields", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id, { doubleOptIn: false });
    const { sent, emit } = collector();
    const email = `single-${s.workspace.slug}@example.com`;
    const r = await submit(form, fields(email), emit);
    expect(r).toMatchObject({ outcome: "accepted", needsConfirmation: false });
    expect(sent).toEqual([{ name: "form/submitted", data: expect.objectContaining({ workspaceId: s.workspace.id, formId: form.id, fields: expect.objectContaining({ email, first_name: "Frida" }) }) }]);
    const contactId = (r as { contactId: string }).contactId;
    // The single opt-in is the receipt itself: there is no confirmation to name.
    const [optIn] = await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, contactId), eq(consentEvents.kind, "opt_in")));
    expect((await checkConsent(t.db, { workspaceId: s.workspace.id, contactId, class: "marketing" })).receipt).toEqual({ consentEventId: optIn!.id, permissionBasis: "consent" });
    expect(await listDevMail(t.db, { to: email })).toHaveLength(0);
  });
});

describe("spam defences and bad input", () => {
  it("drops honeypot submissions silently, refuses too-fast and forged stamps, and names bad fields", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id, { topics: ["news"] });
    const { emit } = collector();
    const [ws] = await t.db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, s.workspace.id));
    const bot = `bot-${s.workspace.slug}@example.com`;
    expect(await submit(form, fields(bot, { website: ["http://spam.example"] }), emit)).toEqual({ outcome: "discarded" });
    const now = Date.now();
    expect(await submit(form, fields(bot, { _t: [renderStamp(ws!.secret, form.id, now - 500)] }), emit, new Date(now))).toMatchObject({ outcome: "refused", status: 422, field: "_t" });
    expect(await submit(form, fields(bot, { _t: ["bm9wZQ.forged"] }), emit)).toMatchObject({ outcome: "refused", status: 400, field: "_t" });
    expect(await submit(form, { email: ["not-an-address"] }, emit)).toMatchObject({ outcome: "refused", status: 400, field: "email" });
    expect(await submit(form, {}, emit)).toMatchObject({ outcome: "refused", status: 400, field: "email", message: "email is required" });
    expect(await submit(form, fields(bot, { topics: ["secret-list"] }), emit)).toMatchObject({ outcome: "refused", status: 400, field: "topics" });
    expect(await t.db.select().from(contacts).where(eq(contacts.email, bot))).toHaveLength(0);
    // A human who took their time gets through.
    const ok = await submit(form, fields(bot, { _t: [renderStamp(ws!.secret, form.id, now - 5000)] }), emit, new Date(now));
    expect(ok.outcome).toBe("accepted");
  });

  it("refuses a submission without a render stamp unless the form accepts the plain HTML embed", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const [ws] = await t.db.select({ secret: workspaces.secret }).from(workspaces).where(eq(workspaces.id, s.workspace.id));
    const stamped = await makeForm(s.workspace.id, { plainHtmlEmbed: false });
    const { emit } = collector();
    const now = Date.now();
    const email = `stampless-${s.workspace.slug}@example.com`;
    // A bot that drops the stamp skips nothing: the stamp is required.
    expect(await submit(stamped, fields(email), emit, new Date(now))).toEqual({
      outcome: "refused",
      status: 400,
      field: "_t",
      message: "this form takes signups only from its own page and embeds: reload the page and try again",
    });
    expect(await submit(stamped, fields(email, { _t: [""] }), emit, new Date(now))).toMatchObject({ outcome: "refused", status: 400, field: "_t" });
    expect(await t.db.select().from(contacts).where(eq(contacts.email, email))).toHaveLength(0);
    expect(await submit(stamped, fields(email, { _t: [renderStamp(ws!.secret, stamped.id, now - 500)] }), emit, new Date(now))).toMatchObject({ outcome: "refused", status: 422, field: "_t" });
    // A stamp for another form does not do.
    const other = await makeForm(s.workspace.id, { plainHtmlEmbed: false });
    expect(await submit(stamped, fields(email, { _t: [renderStamp(ws!.secret, other.id, now - 5000)] }), emit, new Date(now))).toMatchObject({ outcome: "refused", status: 400, field: "_t" });
    expect((await submit(stamped, fields(email, { _t: [renderStamp(ws!.secret, stamped.id, now - 5000)] }), emit, new Date(now))).outcome).toBe("accepted");

    // A form that accepts the plain HTML embed takes stampless signups; a stamp, when sent, still counts.
    const plain = await makeForm(s.workspace.id, { plainHtmlEmbed: true });
    expect(await submit(plain, fields(`plain-${s.workspace.slug}@example.com`, { _t: [renderStamp(ws!.secret, plain.id, now - 500)] }), emit, new Date(now))).toMatchObject({ outcome: "refused", status: 422 });
    expect((await submit(plain, fields(`plain-${s.workspace.slug}@example.com`), emit, new Date(now))).outcome).toBe("accepted");
  });

  it("limits submissions per address so nobody can flood someone's inbox with confirmations", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id);
    const email = `victim-${s.workspace.slug}@example.com`;
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await submit(form, fields(email), collector().emit)).outcome);
    expect(outcomes).toEqual(["accepted", "accepted", "accepted", "refused", "refused"]);
  });
});

describe("withdrawal and topics", () => {
  it("unsubscribes at once, ends running flows, and a replay records nothing more", async () => {
    const s = await seedWorkspace(t.db, { contacts: 1 });
    const c = s.contacts[0]!;
    await grantConsent(t.db, s.workspace.id, [c]);
    const templateId = await createTemplate(t.db, s.workspace.id, "Hello");
    const flow = await createLiveFlow(t.db, {
      workspaceId: s.workspace.id,
      graph: graph(
        [["t", "manual-enrol"], ["w", "delay", { durationMs: 3 * 86_400_000 }], ["m", "send-email", { templateId }], ["x", "exit"]],
        [["t", "next", "w"], ["w", "next", "m"], ["m", "next", "x"]],
      ),
    });
    await t.db.insert(enrollments).values({ workspaceId: s.workspace.id, flowId: flow.flowId, flowVersionId: flow.versionId, contactId: c.id, status: "active" });
    const { sent, emit } = collector();
    const r1 = await withdrawConsent(t.db, { workspaceId: s.workspace.id, contactId: c.id, source: "list_unsubscribe", at: new Date(), emit });
    expect(r1).toEqual({ changed: true, endedEnrollments: 1 });
    expect(sent).toEqual([{ name: "contact/unsubscribed", data: { workspaceId: s.workspace.id, contactId: c.id, source: "list_unsubscribe" } }]);
    const r2 = await withdrawConsent(t.db, { workspaceId: s.workspace.id, contactId: c.id, source: "list_unsubscribe", at: new Date(), emit });
    expect(r2).toEqual({ changed: false, endedEnrollments: 0 });
    expect(sent).toHaveLength(1);
    const withdrawn = await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, c.id), eq(consentEvents.kind, "withdrawn")));
    expect(withdrawn).toHaveLength(1);
    const [e] = await t.db.select().from(enrollments).where(eq(enrollments.contactId, c.id));
    expect(e).toMatchObject({ status: "exited", exitReason: "unsubscribed" });
    expect((await checkConsent(t.db, { workspaceId: s.workspace.id, contactId: c.id, class: "marketing" })).decision.allowed).toBe(false);
    expect((await suppressionsFor(t.db, { workspaceId: s.workspace.id, emails: [c.email] })).get(c.email)).toBe("unsubscribed");
  });

  it("a contact who leaves a topic gets no mail of that topic and still gets the rest", async () => {
    const s = await seedWorkspace(t.db, { contacts: 1 });
    const c = s.contacts[0]!;
    await grantConsent(t.db, s.workspace.id, [c]);
    await t.db.insert(topics).values([
      { workspaceId: s.workspace.id, key: "offers", name: "Offers" },
      { workspaceId: s.workspace.id, key: "news", name: "News" },
    ]);
    await setTopicPreferences(t.db, { workspaceId: s.workspace.id, contactId: c.id, subscribe: ["news"], unsubscribe: ["offers"], source: "preference_centre", at: new Date() });
    const check = async (topic?: string) => (await checkConsent(t.db, { workspaceId: s.workspace.id, contactId: c.id, class: "marketing", topic })).decision;
    expect(await check("offers")).toEqual({ allowed: false, reason: "topic_unsubscribed" });
    // A topic the contact chose can refuse mail, but the receipt stays the list-wide confirmation.
    const [listWide] = await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, c.id), eq(consentEvents.kind, "confirmed"), sql`${consentEvents.topic} is null`));
    expect(await check("news")).toEqual({ allowed: true, receipt: { basis: "consent", consentEventId: listWide!.id } });
    expect(await check()).toEqual({ allowed: true, receipt: { basis: "consent", consentEventId: listWide!.id } });
    const topicEvents = await t.db.select({ kind: consentEvents.kind, topic: consentEvents.topic }).from(consentEvents).where(and(eq(consentEvents.contactId, c.id), sql`${consentEvents.topic} is not null`));
    expect(topicEvents.sort((a, b) => a.topic!.localeCompare(b.topic!))).toEqual([
      { kind: "opt_in", topic: "news" },
      { kind: "withdrawn", topic: "offers" },
    ]);
  });
});

describe("the workspace default for the API and CSV import", () => {
  it("follows double_opt_in_default when the caller does not choose", async () => {
    const s = await seedWorkspace(t.db, { contacts: 2 });
    const [a, b] = s.contacts as [{ id: string; email: string }, { id: string; email: string }];
    await t.db.update(contacts).set({ status: "unconfirmed" }).where(eq(contacts.workspaceId, s.workspace.id));
    expect(await recordOptIn(t.db, { workspaceId: s.workspace.id, contactId: a.id, email: a.email, source: "api" })).toMatchObject({ doubleOptIn: true, needsConfirmation: true, status: "unconfirmed" });
    await t.db.update(workspaces).set({ doubleOptInDefault: false }).where(eq(workspaces.id, s.workspace.id));
    expect(await recordOptIn(t.db, { workspaceId: s.workspace.id, contactId: b.id, email: b.email, source: "import", data: { lawful_source: "trade fair list" } })).toMatchObject({ doubleOptIn: false, needsConfirmation: false, status: "subscribed" });
    const [optIn] = await t.db.select().from(consentEvents).where(eq(consentEvents.contactId, b.id));
    expect((await checkConsent(t.db, { workspaceId: s.workspace.id, contactId: b.id, class: "marketing" })).decision).toEqual({ allowed: true, receipt: { basis: "consent", consentEventId: optIn!.id } });
  });
});

describe("GDPR", () => {
  it("exports everything held, then erase leaves nothing personal, keeps the ledger's skeleton, and flags the address", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id);
    const email = `gdpr-${s.workspace.slug}@example.com`;
    const r = await submit(form, fields(email), collector().emit);
    const contactId = (r as { contactId: string }).contactId;
    await confirmOptIn(t.db, { token: await confirmationLink(email), ip: "198.51.100.77", userAgent: "Phone UA", at: new Date() });
    await t.db.insert(events).values({ workspaceId: s.workspace.id, contactId, name: "Viewed Product", properties: { sku: "TENT-1", email }, occurredAt: new Date() });

    const exported = await exportContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() });
    const text = JSON.stringify(exported);
    expect(exported!.contact.email).toBe(email);
    expect(exported!.consent.map((e) => e.kind).sort()).toEqual(["confirmed", "opt_in"]);
    expect(text).toContain("203.0.113.9");
    expect(text).toContain("198.51.100.77");
    expect(text).toContain("TENT-1");
    expect(exported!.messages.map((m) => m.subject)).toEqual([expect.stringMatching(/Confirm your subscription/)]);

    const { sent, emit } = collector();
    expect(await eraseContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date(), emit })).toEqual({ alreadyErased: false, endedEnrollments: 0 });
    expect(sent.map((e) => e.name)).toEqual(["contact/unsubscribed"]);
    const after = JSON.stringify(await exportContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() }));
    for (const personal of [email, "Frida", "203.0.113.9", "198.51.100.77", "Mozilla/5.0 test", "Phone UA", "TENT-1"]) expect(after).not.toContain(personal);
    // Nothing in the whole database still holds the address (the dev mailbox aside, which is not product data).
    const hits = await t.db.execute(sql`select 1 from contacts where email ilike ${email}
      union all select 1 from consent_events where email ilike ${email}
      union all select 1 from messages where to_email ilike ${email}`);
    expect(hits).toHaveLength(0);
    const ledger = await t.db.select().from(consentEvents).where(eq(consentEvents.contactId, contactId));
    expect(ledger.map((e) => e.kind).sort()).toEqual(["confirmed", "erased", "opt_in"]);
    for (const e of ledger) expect(e).toMatchObject({ email: null, ip: null, userAgent: null, data: {} });
    expect(ledger.find((e) => e.kind === "opt_in")).toMatchObject({ formId: form.id, formVersion: "3" });
    const [c] = await t.db.select().from(contacts).where(eq(contacts.id, contactId));
    expect(c!.status).toBe("erased");
    expect((await suppressionsFor(t.db, { workspaceId: s.workspace.id, emails: [email.toUpperCase()] })).get(email)).toBe("erased");
    const [sup] = await t.db.select().from(suppressions).where(eq(suppressions.workspaceId, s.workspace.id));
    expect(sup!.emailHash).not.toContain("gdpr");
    // The ledger stays append-only apart from that redaction.
    await expect(t.db.update(consentEvents).set({ kind: "opt_in" }).where(eq(consentEvents.contactId, contactId))).rejects.toThrow();
    await expect(t.db.delete(consentEvents).where(eq(consentEvents.contactId, contactId))).rejects.toThrow();
    // Erasing twice is harmless; an erased contact cannot opt back in through the old row.
    expect(await eraseContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() })).toEqual({ alreadyErased: true, endedEnrollments: 0 });
    await expect(recordOptIn(t.db, { workspaceId: s.workspace.id, contactId, email, source: "api" })).rejects.toThrow(/erased/);
    expect(await t.db.select().from(messages).where(eq(messages.toEmail, email))).toHaveLength(0);
  });

  it("exports each message's consent receipt, and after erasure what is left of it", async () => {
    const s = await seedWorkspace(t.db, { contacts: 0 });
    const form = await makeForm(s.workspace.id);
    const email = `receipt-${s.workspace.slug}@example.com`;
    const r = await submit(form, fields(email), collector().emit);
    const contactId = (r as { contactId: string }).contactId;
    await confirmOptIn(t.db, { token: await confirmationLink(email), ip: "198.51.100.78", userAgent: "Phone UA", at: new Date() });
    const [confirmation] = await t.db.select().from(consentEvents).where(and(eq(consentEvents.contactId, contactId), eq(consentEvents.kind, "confirmed")));
    // A marketing message claimed under the receipt the check gives.
    const { receipt } = await checkConsent(t.db, { workspaceId: s.workspace.id, contactId, class: "marketing" });
    expect(receipt).toEqual({ consentEventId: confirmation!.id, permissionBasis: "consent" });
    const spring = await claimMessage(t.db, {
      workspaceId: s.workspace.id,
      idempotencyKey: `receipt-test:${contactId}`,
      contactId,
      templateId: null,
      flowId: null,
      enrollmentId: null,
      nodeId: null,
      class: "marketing",
      toEmail: email,
      subject: "Spring, Frida",
      unsubscribeToken: null,
      ...receipt!,
    });

    const exported = await exportContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() });
    const byId = new Map(exported!.messages.map((m) => [m.id, m]));
    expect(byId.get(spring.id)!.receipt).toEqual({
      consentEventId: confirmation!.id,
      permissionBasis: "consent",
      consentEvent: { kind: "confirmed", occurredAt: confirmation!.occurredAt, source: "double_opt_in", formId: form.id, formVersion: "3" },
    });
    const confirmMail = exported!.messages.find((m) => m.id !== spring.id)!;
    expect(confirmMail.receipt).toEqual({ consentEventId: null, permissionBasis: "transactional: confirmation of a sign-up request", consentEvent: null });

    await eraseContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() });
    const after = await exportContact(t.db, { workspaceId: s.workspace.id, contactId, at: new Date() });
    // The receipt outlives the erasure: the ledger row's skeleton still proves the permission.
    expect(after!.messages.find((m) => m.id === spring.id)!.receipt).toEqual(byId.get(spring.id)!.receipt);
    expect(JSON.stringify(after)).not.toContain("198.51.100.78");
  });

  it("exports nothing of another workspace's contact", async () => {
    const a = await seedWorkspace(t.db, { contacts: 1 });
    const b = await seedWorkspace(t.db, { contacts: 0 });
    expect(await exportContact(t.db, { workspaceId: b.workspace.id, contactId: a.contacts[0]!.id, at: new Date() })).toBeUndefined();
  });
});
