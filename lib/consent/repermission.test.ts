import { describe, expect, it } from "vitest";
import { decideAsk, repermissionTemplateProblem } from "./repermission";

const base = { class: "transactional" as const, subject: "Still want our mail?", preheader: "", body: { markup: "Press [confirm]({{ confirm_url }})" }, archivedAt: null };

describe("re-permission template", () => {
  it("accepts a transactional template with {{ confirm_url }}, with filters or whitespace control", () => {
    expect(repermissionTemplateProblem(base)).toBeNull();
    expect(repermissionTemplateProblem({ ...base, body: { html: '<a href="{{- confirm_url | escape -}}">Yes</a>' } })).toBeNull();
  });
  it("refuses one without {{ confirm_url }}, a marketing one and an archived one, saying why", () => {
    expect(repermissionTemplateProblem({ ...base, body: { markup: "Hi {{ contact.first_name }} {{ unsubscribe_url }}" } })).toMatch(/\{\{ confirm_url \}\}/);
    expect(repermissionTemplateProblem({ ...base, body: { markup: "confirm_url without braces" } })).toMatch(/no \{\{ confirm_url \}\}/);
    expect(repermissionTemplateProblem({ ...base, class: "marketing" })).toMatch(/transactional/);
    expect(repermissionTemplateProblem({ ...base, archivedAt: new Date(0) })).toMatch(/archived/);
  });
});

describe("who is asked", () => {
  const ok = { status: "unconfirmed", suppressed: null, askedRecently: false, optInEventId: "e1" };
  it("asks an unconfirmed contact with an opt-in on record", () => {
    expect(decideAsk(ok)).toEqual({ ask: true, optInEventId: "e1" });
  });
  it("never asks a suppressed, withdrawn, bounced, complained, erased or subscribed contact, nor one asked within the week", () => {
    expect(decideAsk({ ...ok, suppressed: "unsubscribed" })).toEqual({ ask: false, reason: "suppressed (unsubscribed)" });
    for (const status of ["unsubscribed", "bounced", "complained", "erased"]) expect(decideAsk({ ...ok, status })).toEqual({ ask: false, reason: status });
    expect(decideAsk({ ...ok, status: "subscribed" })).toEqual({ ask: false, reason: "already confirmed" });
    expect(decideAsk({ ...ok, askedRecently: true })).toEqual({ ask: false, reason: "asked in the last 7 days" });
    expect(decideAsk({ ...ok, optInEventId: null })).toEqual({ ask: false, reason: "no opt-in on record" });
  });
});
