import { z } from "zod";
import { unknownMergeTags, type MergeTagWarning } from "@/lib/email/render";
import { utmOverrideSchema } from "@/lib/flows/catalog";
import { audienceSchema } from "./audience";

/**
 * What a broadcast draft holds, as the app's form and the REST API both give it (docs/broadcasts.md).
 * A draft may be incomplete (no template, no audience yet); scheduling asks for both. The checks
 * that need the database (the template and the segments and topics exist in the workspace) are in
 * lib/server/broadcasts.
 */

/** The statuses, in the order a broadcast moves through them. */
export const BROADCAST_STATUSES = ["draft", "scheduled", "sending", "paused", "sent", "cancelled"] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/** Empty text is "not set": the template's subject, the workspace's sender. */
const optionalText = (max: number, what: string) =>
  z
    .string(`${what} is text`)
    .trim()
    .max(max, `${what} is at most ${max} characters`)
    .nullable()
    .transform((v) => (v ? v : null));

const optionalEmail = (what: string) =>
  z
    .string(`${what} is an email address`)
    .trim()
    .max(254, `${what} is at most 254 characters`)
    .nullable()
    .transform((v) => (v ? v : null))
    .pipe(z.email(`${what} is not a valid email address`).nullable());

/** Merge tags in a subject or preheader: Liquid that does not parse, or that names a file, is refused. */
const liquidText = (max: number, field: "subject" | "preheader") =>
  optionalText(max, `the ${field}`).superRefine((v, ctx) => {
    if (v === null) return;
    const error = unknownMergeTags({ subject: "", preheader: "", body: "", [field]: v }, { attributes: [] }).find((w) => w.tag === "" && w.field === field);
    if (error) ctx.addIssue({ code: "custom", message: error.message });
  });

/** Each field on its own, without defaults: the app's draft and the REST API's bodies are built from them. */
export const draftFields = {
  name: z.string("the name is text").trim().min(1, "the name is required").max(200, "the name is at most 200 characters"),
  templateId: z.uuid("the template is not one of this workspace's").nullable(),
  subject: liquidText(500, "subject"),
  preheader: liquidText(300, "preheader"),
  fromName: optionalText(120, "the from name"),
  fromEmail: optionalEmail("the from address"),
  replyTo: optionalEmail("the reply-to address"),
  utm: utmOverrideSchema.nullable(),
  /** Null while the draft has no audience yet. */
  audience: audienceSchema.nullable(),
  bypassCaps: z.boolean("bypass caps is true or false"),
};

export const broadcastDraftSchema = z.object({
  name: draftFields.name,
  templateId: draftFields.templateId.default(null),
  subject: draftFields.subject.default(null),
  preheader: draftFields.preheader.default(null),
  fromName: draftFields.fromName.default(null),
  fromEmail: draftFields.fromEmail.default(null),
  replyTo: draftFields.replyTo.default(null),
  utm: draftFields.utm.default(null),
  audience: draftFields.audience.default(null),
  bypassCaps: draftFields.bypassCaps.default(false),
});
export type BroadcastDraft = z.output<typeof broadcastDraftSchema>;

/** Merge tags in the subject and preheader that will likely render empty (warnings, not errors). */
export function broadcastTagWarnings(d: { subject: string | null; preheader: string | null }, attributes: readonly string[]): MergeTagWarning[] {
  return unknownMergeTags({ subject: d.subject ?? "", preheader: d.preheader ?? "", body: "" }, { attributes }).filter((w) => w.tag !== "");
}

/** When to send: a time in the future, or now (no time). */
export function sendTimeProblem(sendAt: Date | null, now: Date): string | null {
  if (sendAt === null) return null;
  if (Number.isNaN(sendAt.getTime())) return "the send time is not a valid time";
  if (sendAt.getTime() <= now.getTime()) return "the send time is in the past: choose a later time, or send now";
  if (sendAt.getTime() - now.getTime() > 365 * 86_400_000) return "the send time is more than a year ahead";
  return null;
}

/** Which transitions each status allows (the query layer enforces the same in SQL). */
export const TRANSITIONS = {
  schedule: ["draft"],
  cancel: ["scheduled", "sending", "paused"],
  pause: ["sending"],
  resume: ["paused"],
} as const satisfies Record<string, readonly BroadcastStatus[]>;
export type Transition = keyof typeof TRANSITIONS;

export function transitionRefusal(t: Transition, status: BroadcastStatus): string {
  const allowed = TRANSITIONS[t].join(" or ");
  return `a ${status} broadcast cannot be ${t === "schedule" ? "scheduled" : t === "cancel" ? "cancelled" : t === "pause" ? "paused" : "resumed"}: only a ${allowed} one can`;
}

/** A broadcast row as db/queries/broadcasts reads it. */
export type StoredBroadcast = {
  id: string;
  name: string;
  status: BroadcastStatus;
  templateId: string | null;
  templateVersionId: string | null;
  subject: string | null;
  preheader: string | null;
  fromName: string | null;
  fromEmail: string | null;
  replyTo: string | null;
  utm: unknown;
  audience: unknown;
  bypassCaps: boolean;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelledAt: Date | null;
  recipientCount: number | null;
  createdAt: Date;
  updatedAt: Date;
};

/** The stored draft as the schema's output (the editor's starting point; what a PATCH applies its fields over). Unreadable jsonb reads as not set. */
export function storedDraft(b: StoredBroadcast): BroadcastDraft {
  const audience = draftFields.audience.safeParse(b.audience);
  const utm = draftFields.utm.safeParse(b.utm ?? null);
  return {
    name: b.name,
    templateId: b.templateId,
    subject: b.subject,
    preheader: b.preheader,
    fromName: b.fromName,
    fromEmail: b.fromEmail,
    replyTo: b.replyTo,
    utm: utm.success ? utm.data : null,
    audience: audience.success ? audience.data : null,
    bypassCaps: b.bypassCaps,
  };
}
