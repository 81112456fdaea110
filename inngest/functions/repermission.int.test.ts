import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as createContactRoute } from "@/app/api/v1/contacts/route";
import { POST as repermissionRoute } from "@/app/api/v1/contacts/repermission/route";
import { GET as repermissionGet } from "@/app/api/v1/contacts/repermission/[requestId]/route";
import { replaceDb, type DbHandle } from "@/db/client";
import { createApiKey } from "@/db/queries/api-keys";
import { createContact } from "@/db/queries/contacts";
import { applyImportChunk, createImport, finishImport } from "@/db/queries/imports";
import { forwardAppOutbox } from "@/db/queries/outbox";
import { repermissionCounts, unconfirmedCount } from "@/db/queries/repermission";
import { createSegment, refreshMembership } from "@/db/queries/segments";
import { suppressAddress } from "@/db/queries/suppressions";
import { createTemplateRow } from "@/db/queries/templates";
import { appOutbox, consentEvents, contacts } from "@/db/schema/index";
import { startFlowHarness, type FlowHarness } from "@/e2e/fixtures/flow-harness";
import { seedWorkspace, type SeededWorkspace } from "@/e2e/fixtures/seed";
import { now } from "@/lib/clock";
import { confirmOptIn, recordOptIn } from "@/lib/server/consent/record";
import { grantConsent } from "@/e2e/fixtures/flows";
import { definitionSchema } from "@/lib/segments/definition";
import { createRequest, repermissionEvent } from "@/lib/server/consent/repermission";

/**
 * Re-permission end to end: an import's unconfirmed contacts asked through the real function and
 * the Resend capture, a link followed to a `confirmed` ledger event naming the import, the counts
 * the report shows, and the API's request for contacts it created.
 */

let h: FlowHarness;
let previous: DbHandle | undefined;
/**
 * Where the app's own transport (the API's sign-up confirmation mail) delivers in this file: the
 * configuration is read once per process, so it is set before any module of the file loads.
 */
const appMail = await vi.hoisted(async () => (await import("@/e2e/fixtures/app-mail")).startAppMail());
beforeAll(async () => {
  h = await startFlowHarness();
  previous = replaceDb(h.db);
  expect(h.functions).toContain("tillit-repermission");
});
afterAll(async () => {
  replaceDb(previous);
  await h?.stop();
  await appMail?.close();
});

const settings = { header: ["email", "first"], mapping: [{ target: "email" as const }, { target: "first_name" as const }], tags: [] };
const tokenOf = (text: string | undefined) => /\/f\/confirm\/([A-Za-z0-9._-]+)/.exec(text ?? "")?.[1];

async function importPeople(ws: SeededWorkspace, emails: string[]) {
  const w = ws.workspace.id;
  const imp = await createImport(h.db.db, { workspaceId: w, fileName: "fair.csv", mode: "update", statement: "Signed up at our stand at the Bergen fair, paper forms on file", settings, totalRows: emails.length, createdBy: ws.owner.id });
  await applyImportChunk(h.db.db, { workspaceId: w, importId: imp.id, firstRow: 1, rows: emails.map((e, i) => [e, `P${i}`]), actorUserId: ws.owner.id, now: now() });
  await finishImport(h.db.db, { workspaceId: w, importId: imp.id, now: now() });
  return imp.id;
}

async function ask(ws: SeededWorkspace, importId: string) {
  const r = await createRequest(h.db.db, { workspaceId: ws.workspace.id, source: "import", importId, createdBy: ws.owner.id, at: now() });
  await h.app.inngest.send(repermissionEvent(r));
  await h.settle();
  return r;
}

describe("re-permission of an import", () => {
  it("asks each unconfirmed, unsuppressed contact once; a confirmation names the import; the report counts asked, confirmed and pending; asking again sends nothing", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const s = ws.workspace.slug;
    const emails = [`ann-${s}@example.com`, `bo-${s}@example.com`, `cy-${s}@example.com`, `dee-${s}@example.com`];
    const importId = await importPeople(ws, emails);
    // Dee unsubscribed elsewhere after the import: suppressed, never asked.
    await suppressAddress(h.db.db, { workspaceId: w, email: emails[3]!, reason: "unsubscribed" });
    const before = h.capture.emails.length;

    const r = await ask(ws, importId);
    const mails = h.capture.emails.slice(before);
    expect(mails.map((m) => m.to[0]).sort()).toEqual(emails.slice(0, 3).sort());
    for (const m of mails) expect(m.tags).toContainEqual({ name: "kind", value: "repermission" });
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: r.id })).toMatchObject({ total: 4, asked: 3, confirmed: 0, pending: 3, skipped: 1, skippedBy: { "suppressed (unsubscribed)": 1 } });

    const ann = mails.find((m) => m.to[0] === emails[0])!;
    const token = tokenOf(ann.text)!;
    expect(token).toBeTruthy();
    const done = await confirmOptIn(h.db.db, { token, ip: "198.51.100.7", userAgent: "Phone/1.0", at: now() });
    expect(done.outcome).toBe("confirmed");
    const [annRow] = await h.db.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.email, emails[0]!)));
    expect(annRow!.status).toBe("subscribed");
    const confirmed = await h.db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.contactId, annRow!.id), eq(consentEvents.kind, "confirmed")));
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]).toMatchObject({ source: "repermission_import", ip: "198.51.100.7", userAgent: "Phone/1.0", wording: r.wording });
    expect(confirmed[0]!.wording).toMatch(ws.workspace.name);
    expect(confirmed[0]!.data).toMatchObject({ repermission_request_id: r.id, import_id: importId });
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: r.id })).toMatchObject({ asked: 3, confirmed: 1, pending: 2 });

    // Replayed: nothing new. Tampered or expired: refused.
    expect((await confirmOptIn(h.db.db, { token, ip: null, userAgent: null, at: now() })).outcome).toBe("already");
    const [head, body, sig] = token.split(".");
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, "base64url").toString()), c: annRow!.id.replace(/.$/, "0") })).toString("base64url")}.${sig}`;
    expect((await confirmOptIn(h.db.db, { token: forged, ip: null, userAgent: null, at: now() })).outcome).toBe("invalid");
    expect((await confirmOptIn(h.db.db, { token: `${token}x`, ip: null, userAgent: null, at: now() })).outcome).toBe("invalid");
    const bo = tokenOf(mails.find((m) => m.to[0] === emails[1])!.text)!;
    expect((await confirmOptIn(h.db.db, { token: bo, ip: null, userAgent: null, at: new Date(now().getTime() + 8 * 86_400_000) })).outcome).toBe("expired");
    expect((await h.db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.kind, "confirmed")))).length).toBe(1);

    // Asking again within the week: nobody is mailed twice.
    const again = await ask(ws, importId);
    expect(h.capture.emails.length).toBe(before + 3);
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: again.id })).toMatchObject({ total: 3, asked: 0, skipped: 3, skippedBy: { "asked in the last 7 days": 2, "suppressed (unsubscribed)": 1 } });
  });
});

describe("re-permission of a segment", () => {
  it("asks only the segment's unconfirmed members with an opt-in; a confirmation names the segment; counts are right; asking again sends nothing", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const s = ws.workspace.slug;
    const person = async (name: string, plan: string) => {
      const email = `${name}-${s}@example.com`;
      const { id } = await createContact(h.db.db, { workspaceId: w, email, firstName: name, lastName: null, timeZone: null, attributes: { plan }, source: "api" });
      return { id, email };
    };
    // Members (plan = trial): two unconfirmed with an opt-in, one subscribed, one unconfirmed but
    // suppressed since, one unconfirmed with no opt-in on record. Outside: an unconfirmed non-member.
    const ann = await person("ann", "trial");
    const bo = await person("bo", "trial");
    const cy = await person("cy", "trial");
    const dee = await person("dee", "trial");
    await person("eli", "trial");
    const fay = await person("fay", "pro");
    for (const c of [ann, bo, dee, fay]) {
      const r = await recordOptIn(h.db.db, { workspaceId: w, contactId: c.id, email: c.email, source: "api" });
      expect(r.status).toBe("unconfirmed");
    }
    await grantConsent(h.db.db, w, [cy]);
    await h.db.db.update(contacts).set({ status: "subscribed" }).where(and(eq(contacts.workspaceId, w), eq(contacts.id, cy.id)));
    await suppressAddress(h.db.db, { workspaceId: w, email: dee.email, reason: "unsubscribed" });
    const definition = definitionSchema.parse({ type: "group", match: "all", children: [{ type: "attribute", field: "plan", comparison: { op: "eq", value: "trial" } }] });
    const seg = await createSegment(h.db.db, { workspaceId: w, name: "Trials", definition, createdBy: ws.owner.id });
    await refreshMembership(h.db.db, { workspaceId: w, segmentId: seg.id, definition, now: now(), afterId: null, limit: 1000 });
    expect(await unconfirmedCount(h.db.db, { workspaceId: w, segmentId: seg.id })).toBe(4);

    const before = h.capture.emails.length;
    const r = await createRequest(h.db.db, { workspaceId: w, source: "segment", segmentId: seg.id, createdBy: ws.owner.id, at: now() });
    await h.app.inngest.send(repermissionEvent(r));
    await h.settle();
    const mails = h.capture.emails.slice(before);
    expect(mails.map((m) => m.to[0]).sort()).toEqual([ann.email, bo.email].sort());
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: r.id })).toEqual({
      total: 4,
      queued: 0,
      asked: 2,
      confirmed: 0,
      pending: 2,
      skipped: 2,
      skippedBy: { "suppressed (unsubscribed)": 1, "no opt-in on record": 1 },
    });

    const token = tokenOf(mails.find((m) => m.to[0] === bo.email)!.text)!;
    expect((await confirmOptIn(h.db.db, { token, ip: "192.0.2.44", userAgent: "Tablet/2", at: now() })).outcome).toBe("confirmed");
    const confirmed = await h.db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.contactId, bo.id), eq(consentEvents.kind, "confirmed")));
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]).toMatchObject({ source: "repermission_segment", ip: "192.0.2.44", wording: r.wording });
    expect(confirmed[0]!.data).toMatchObject({ repermission_request_id: r.id, segment_id: seg.id });
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: r.id })).toMatchObject({ asked: 2, confirmed: 1, pending: 1, skipped: 2 });
    const [boRow] = await h.db.db.select().from(contacts).where(and(eq(contacts.workspaceId, w), eq(contacts.id, bo.id)));
    expect(boRow!.status).toBe("subscribed");

    // Asking again: Bo has confirmed, Ann was asked this week, the rest are still skipped: no mail.
    const again = await createRequest(h.db.db, { workspaceId: w, source: "segment", segmentId: seg.id, createdBy: ws.owner.id, at: now() });
    await h.app.inngest.send(repermissionEvent(again));
    await h.settle();
    expect(h.capture.emails.length).toBe(before + 2);
    expect(await repermissionCounts(h.db.db, { workspaceId: w, requestId: again.id })).toMatchObject({ total: 3, asked: 0, skipped: 3, skippedBy: { "asked in the last 7 days": 1, "suppressed (unsubscribed)": 1, "no opt-in on record": 1 } });
  });
});

describe("re-permission through the REST API", () => {
  it("API-created contacts stay unconfirmed under double opt-in; the API's request mails them with a custom template; bad input names the field", async () => {
    const ws = await seedWorkspace(h.db.db, { contacts: 0 });
    const w = ws.workspace.id;
    const key = (await createApiKey(h.db.db, { workspaceId: w, name: "CRM", kind: "secret", createdBy: ws.owner.id })).key;
    const post = (path: string, body: unknown, k = key) =>
      (path === "contacts" ? createContactRoute : repermissionRoute)(
        new Request(`http://localhost/api/v1/${path}`, { method: "POST", headers: { authorization: `Bearer ${k}`, "content-type": "application/json" }, body: JSON.stringify(body) }),
        { params: Promise.resolve({}) },
      );
    const ids: string[] = [];
    for (const name of ["eva", "finn"]) {
      const res = await post("contacts", { email: `${name}-${ws.workspace.slug}@example.com`, consent: { wording: "Yes, send me the newsletter", source_description: "CRM signup" } });
      expect(res.status).toBe(201);
      const c = ((await res.json()) as { data: { id: string; status: string } }).data;
      expect(c.status).toBe("unconfirmed");
      ids.push(c.id);
    }
    // Their sign-up confirmation went out when they were created; the re-permission mail is a second, separate ask.
    expect(appMail.emails.filter((m) => m.to[0]!.endsWith(`-${ws.workspace.slug}@example.com`)).map((m) => m.subject)).toEqual([expect.stringMatching(/^Confirm/), expect.stringMatching(/^Confirm/)]);
    const good = await createTemplateRow(h.db.db, { workspaceId: w, name: "Still with us?", class: "transactional", topic: null, subject: "Still want to hear from us?", preheader: "", body: { markup: "Hi {{ contact.first_name | default: \"there\" }}, [yes please]({{ confirm_url }})" } });
    const noLink = await createTemplateRow(h.db.db, { workspaceId: w, name: "No link", class: "transactional", topic: null, subject: "Hello", preheader: "", body: { markup: "No link here" } });
    const marketing = await createTemplateRow(h.db.db, { workspaceId: w, name: "News", class: "marketing", topic: null, subject: "News", preheader: "", body: { markup: "{{ confirm_url }}" } });

    // Abuse: no key, bad ids, a template without the link, a marketing template.
    expect((await post("repermission", { contact_ids: ids }, "tk_sec_made_up")).status).toBe(401);
    const bad = await post("repermission", { contact_ids: ["not-an-id"] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("contact_ids.0");
    const empty = await post("repermission", { contact_ids: [] });
    expect(((await empty.json()) as { error: { field: string } }).error.field).toBe("contact_ids");
    const missing = await post("repermission", { contact_ids: ids, template_id: noLink.id });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { field: "template_id", message: expect.stringMatching(/\{\{ confirm_url \}\}/) } });
    const wrongClass = await post("repermission", { contact_ids: ids, template_id: marketing.id });
    expect(await wrongClass.json()).toMatchObject({ error: { field: "template_id", message: expect.stringMatching(/transactional/) } });

    const before = h.capture.emails.length;
    const res = await post("repermission", { contact_ids: ids, template_id: good.id });
    expect(res.status).toBe(202);
    const requestId = ((await res.json()) as { data: { id: string; source: string } }).data.id;
    // The route's hand-over failed here (no Inngest of the app's in this test) and leased the row;
    // once the lease lapses the forwarder (the ingest process, the sweep) hands it over.
    const waiting = await h.db.db.update(appOutbox).set({ claimedUntil: null }).where(eq(appOutbox.name, "contacts/repermission.requested")).returning({ id: appOutbox.id });
    expect(waiting).toHaveLength(1);
    await forwardAppOutbox(h.db.db, { limit: 10, ids: waiting.map((r) => r.id), send: (batch) => h.app.inngest.send(batch.map((e) => ({ id: e.id, name: e.name, data: e.data }))).then(() => undefined) });
    await h.settle();
    const mails = h.capture.emails.slice(before).filter((m) => m.subject === "Still want to hear from us?");
    expect(mails).toHaveLength(2);
    expect(tokenOf(mails[0]!.html)).toBeTruthy();
    const got = await repermissionGet(new Request(`http://localhost/api/v1/contacts/repermission/${requestId}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({ requestId }) });
    expect(await got.json()).toMatchObject({ data: { id: requestId, source: "api", status: "completed", asked: 2, confirmed: 0, pending: 2 } });
    const done = await confirmOptIn(h.db.db, { token: tokenOf(mails[0]!.html)!, ip: "203.0.113.9", userAgent: "Mail", at: now() });
    expect(done.outcome).toBe("confirmed");
    const [ev] = await h.db.db.select().from(consentEvents).where(and(eq(consentEvents.workspaceId, w), eq(consentEvents.kind, "confirmed")));
    expect(ev).toMatchObject({ source: "repermission_api", ip: "203.0.113.9" });
  });
});
