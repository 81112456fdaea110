import "server-only";
import type { Db } from "@/db/client";
import {
  appendConsentEvents,
  confirmationOf,
  consentFacts,
  getConsentEvent,
  setContactStatus,
  setContactTopics,
  workspaceForConsent,
} from "@/db/queries/consent";
import { getContact } from "@/db/queries/contacts";
import { getRepermissionRequest, markAskConfirmed } from "@/db/queries/repermission";
import { activeEnrollmentsOfContact, finishEnrollment } from "@/db/queries/enrollments";
import { liftSuppression, suppressAddress } from "@/db/queries/suppressions";
import { readConfirmationToken, tokenWorkspace } from "@/lib/forms/tokens";
import { planConfirmation, planOptIn, planWithdrawal } from "@/lib/consent/lifecycle";

/**
 * The consent ledger's writers: every path that gives, confirms or withdraws consent (forms, the
 * REST API, CSV import, the preference centre, one-click unsubscribe) goes through these, so the
 * ledger and the contact's status never disagree.
 */

/** Events for Inngest, sent by the caller after the database work is committed. */
export type ConsentEmit = (events: { id?: string; name: string; data: Record<string, unknown> }[]) => Promise<void>;

export type OptInInput = {
  workspaceId: string;
  contactId: string;
  /** The address at the time (the ledger keeps it). */
  email: string;
  /** hosted_form, embedded_form, api, import, manual, preference_centre … */
  source: string;
  /** Per-form setting; undefined: the workspace default (API and CSV import). */
  doubleOptIn?: boolean;
  formId?: string | null;
  formVersion?: string | null;
  wording?: string | null;
  privacyNoticeUrl?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  actorUserId?: string | null;
  /** Topic keys opted into (unknown keys are ignored). */
  topics?: string[];
  /** Anything else worth keeping with the opt-in (e.g. the submitted fields, an import's stated source). */
  data?: Record<string, unknown>;
  at?: Date;
};

export type OptInResult = {
  optInEventId: string;
  doubleOptIn: boolean;
  /** The contact must confirm (a confirmation mail is due) before receiving marketing. */
  needsConfirmation: boolean;
  status: "unconfirmed" | "subscribed";
};

export class ConsentRefusedError extends Error {
  constructor(
    readonly reason: "erased" | "missing",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Records an opt-in: appends the consent event (and one per topic), sets topic states, and moves
 * the contact to `unconfirmed` (double opt-in: a confirmation is due) or `subscribed`. A contact
 * who already holds confirmed consent stays subscribed and need not confirm again. Call from
 * forms, the API and CSV import; the caller sends the confirmation mail when `needsConfirmation`.
 */
export async function recordOptIn(db: Db, q: OptInInput): Promise<OptInResult> {
  const plan = planOptIn(await consentFacts(db, q), q.doubleOptIn);
  if (plan.refused !== null) throw new ConsentRefusedError(plan.refused, plan.refused === "erased" ? "this contact was erased" : "contact not found");
  const { doubleOptIn } = plan;
  const at = q.at ?? new Date();
  const common = {
    workspaceId: q.workspaceId,
    contactId: q.contactId,
    email: q.email,
    source: q.source,
    formId: q.formId ?? null,
    formVersion: q.formVersion ?? null,
    wording: q.wording ?? null,
    privacyNoticeUrl: q.privacyNoticeUrl ?? null,
    ip: q.ip ?? null,
    userAgent: q.userAgent ?? null,
    actorUserId: q.actorUserId ?? null,
    occurredAt: at,
  };
  const topicKeys = [...new Set(q.topics ?? [])];
  const changedTopics = await setContactTopics(db, { workspaceId: q.workspaceId, contactId: q.contactId, keys: topicKeys, subscribed: true });
  const [main] = await appendConsentEvents(db, [
    { ...common, kind: "opt_in", topic: null, data: { ...(q.data ?? {}), double_opt_in: doubleOptIn, topics: topicKeys } },
    ...changedTopics.map((topic) => ({ ...common, kind: "opt_in" as const, topic, data: { double_opt_in: doubleOptIn } })),
  ]);
  await setContactStatus(db, { workspaceId: q.workspaceId, contactId: q.contactId, status: plan.status });
  if (plan.liftSuppression) await liftSuppression(db, { workspaceId: q.workspaceId, email: q.email });
  return { optInEventId: main!.id, doubleOptIn, needsConfirmation: plan.status === "unconfirmed", status: plan.status };
}

export type ConfirmResult =
  | { outcome: "confirmed" | "already"; workspaceId: string; contactId: string; formId: string | null; fields: Record<string, unknown> }
  | { outcome: "expired" | "invalid" | "withdrawn" };

/**
 * The double opt-in confirmation (the POST behind the Confirm button; GET never calls this).
 * Appends its own `confirmed` event naming the opt-in it confirms, then the contact is
 * subscribed. A second press finds the confirmation already there and changes nothing.
 */
export async function confirmOptIn(db: Db, q: { token: string; ip: string | null; userAgent: string | null; at: Date }): Promise<ConfirmResult> {
  const workspaceId = tokenWorkspace(q.token);
  if (!workspaceId) return { outcome: "invalid" };
  const ws = await workspaceForConsent(db, { workspaceId });
  if (!ws) return { outcome: "invalid" };
  const claims = readConfirmationToken(ws.secret, q.token);
  if (!claims) return { outcome: "invalid" };
  const optIn = await getConsentEvent(db, { workspaceId, eventId: claims.optInEventId });
  const contact = await getContact(db, { workspaceId, contactId: claims.contactId });
  const alreadyConfirmed = !!optIn && !!contact && !!(await confirmationOf(db, { workspaceId, contactId: contact.id, optInEventId: optIn.id }));
  const plan = planConfirmation({ optIn: optIn && optIn.contactId ? { kind: optIn.kind, contactId: optIn.contactId } : null, contact: contact ?? null, alreadyConfirmed, nowMs: q.at.getTime(), expiresAtMs: claims.expiresAtMs });
  if (plan === "invalid" || plan === "expired" || plan === "withdrawn" || !optIn || !contact) return { outcome: plan === "confirm" || plan === "already" ? "invalid" : plan };
  const fields = (optIn.data.fields as Record<string, unknown> | undefined) ?? {};
  if (plan === "already") return { outcome: "already", workspaceId, contactId: contact.id, formId: optIn.formId, fields };
  // A re-permission link names its request: the ledger says which import, segment or API call asked.
  const request = claims.requestId ? await getRepermissionRequest(db, { workspaceId, requestId: claims.requestId }) : undefined;
  if (claims.requestId && !request) return { outcome: "invalid" };
  await appendConsentEvents(db, [
    {
      workspaceId,
      contactId: contact.id,
      kind: "confirmed",
      topic: null,
      email: contact.email,
      source: request ? `repermission_${request.source}` : "double_opt_in",
      formId: optIn.formId,
      formVersion: optIn.formVersion,
      ip: q.ip,
      userAgent: q.userAgent,
      ...(request ? { wording: request.wording } : {}),
      data: request
        ? {
            opt_in_event_id: optIn.id,
            repermission_request_id: request.id,
            ...(request.importId ? { import_id: request.importId } : {}),
            ...(request.segmentId ? { segment_id: request.segmentId } : {}),
            ...(request.apiKeyId ? { api_key_id: request.apiKeyId } : {}),
          }
        : { opt_in_event_id: optIn.id },
      occurredAt: q.at,
    },
  ]);
  if (request) await markAskConfirmed(db, { workspaceId, requestId: request.id, contactId: contact.id, at: q.at });
  await setContactStatus(db, { workspaceId, contactId: contact.id, status: "subscribed", onlyFrom: ["unconfirmed", "subscribed", "bounced"] });
  await liftSuppression(db, { workspaceId, email: contact.email });
  return { outcome: "confirmed", workspaceId, contactId: contact.id, formId: optIn.formId, fields };
}

export type WithdrawInput = {
  workspaceId: string;
  contactId: string;
  /** list_unsubscribe (RFC 8058 one-click), unsubscribe_link, preference_centre, api, manual … */
  source: string;
  ip?: string | null;
  userAgent?: string | null;
  actorUserId?: string | null;
  data?: Record<string, unknown>;
  at: Date;
  emit?: ConsentEmit;
};

/**
 * Unsubscribes from everything, at once: the withdrawal event, status `unsubscribed`, the address
 * suppressed, and every running flow of the contact ended here (so a send step about to run
 * re-checks and skips) before `contact/unsubscribed` cancels the runs. Idempotent: a replay
 * records nothing new.
 */
export async function withdrawConsent(db: Db, q: WithdrawInput): Promise<{ changed: boolean; endedEnrollments: number }> {
  const facts = await consentFacts(db, q);
  const plan = planWithdrawal(facts);
  if (plan === "none") return { changed: false, endedEnrollments: 0 };
  const contact = facts.contact!;
  const alreadyWithdrawn = plan === "already";
  if (!alreadyWithdrawn) {
    await appendConsentEvents(db, [
      {
        workspaceId: q.workspaceId,
        contactId: q.contactId,
        kind: "withdrawn",
        topic: null,
        email: contact.email,
        source: q.source,
        ip: q.ip ?? null,
        userAgent: q.userAgent ?? null,
        actorUserId: q.actorUserId ?? null,
        data: q.data ?? {},
        occurredAt: q.at,
      },
    ]);
    await setContactStatus(db, { workspaceId: q.workspaceId, contactId: q.contactId, status: "unsubscribed", onlyFrom: ["unconfirmed", "subscribed"] });
    await suppressAddress(db, { workspaceId: q.workspaceId, email: contact.email, reason: "unsubscribed" });
  }
  let ended = 0;
  for (const e of await activeEnrollmentsOfContact(db, { workspaceId: q.workspaceId, contactId: q.contactId })) {
    if (await finishEnrollment(db, { workspaceId: q.workspaceId, enrollmentId: e.id, status: "exited", reason: "unsubscribed", at: q.at })) ended++;
  }
  if ((!alreadyWithdrawn || ended > 0) && q.emit) {
    await q.emit([{ name: "contact/unsubscribed", data: { workspaceId: q.workspaceId, contactId: q.contactId, source: q.source } }]).catch((err: unknown) => {
      // The rows are already ended and every send re-checks consent: cancellation is a speed-up.
      console.error("consent: could not send contact/unsubscribed", err);
    });
  }
  return { changed: !alreadyWithdrawn, endedEnrollments: ended };
}

/**
 * Topic choices from the preference centre: leaving a topic is a withdrawal for that topic,
 * joining one an opt-in for it; both are ledger events. Only changes are recorded.
 */
export async function setTopicPreferences(
  db: Db,
  q: { workspaceId: string; contactId: string; subscribe: string[]; unsubscribe: string[]; source: string; ip?: string | null; userAgent?: string | null; at: Date },
): Promise<{ joined: string[]; left: string[] }> {
  const contact = await getContact(db, { workspaceId: q.workspaceId, contactId: q.contactId });
  if (!contact || contact.status === "erased") return { joined: [], left: [] };
  const left = await setContactTopics(db, { workspaceId: q.workspaceId, contactId: q.contactId, keys: q.unsubscribe, subscribed: false });
  const joined = await setContactTopics(db, { workspaceId: q.workspaceId, contactId: q.contactId, keys: q.subscribe, subscribed: true });
  const base = {
    workspaceId: q.workspaceId,
    contactId: q.contactId,
    email: contact.email,
    source: q.source,
    ip: q.ip ?? null,
    userAgent: q.userAgent ?? null,
    occurredAt: q.at,
  };
  await appendConsentEvents(db, [
    ...left.map((topic) => ({ ...base, kind: "withdrawn" as const, topic })),
    ...joined.map((topic) => ({ ...base, kind: "opt_in" as const, topic })),
  ]);
  return { joined, left };
}
