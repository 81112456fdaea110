import { z } from "zod";
import { storableTime, UNSTORABLE_TIME_MESSAGE } from "../storable";

/** The REST API's contact shapes, shared by the routes and the OpenAPI document. */

const attributeValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
const attributes = z.record(z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, "attribute names are lower-case letters, digits and _"), attributeValue);
const timeZone = z
  .string()
  .refine((tz) => tz === "UTC" || Intl.supportedValuesOf("timeZone").includes(tz), "unknown time zone")
  .nullable();

export const contactCreate = z.object({
  email: z.email("must be an email address").max(254),
  first_name: z.string().max(100).nullable().optional(),
  last_name: z.string().max(100).nullable().optional(),
  time_zone: timeZone.optional(),
  external_id: z.string().max(255).nullable().optional(),
  attributes: attributes.optional(),
  /**
   * The person's opt-in, when the caller collected one. Recorded in the consent ledger; the
   * workspace's double opt-in default decides whether a confirmation mail goes out first.
   */
  consent: z
    .object({
      wording: z.string().max(2000).optional(),
      source_description: z.string().max(500).optional(),
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
      user_agent: z.string().max(500).optional(),
      topics: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, "topic keys are lower-case letters, digits and _")).max(20).optional(),
    })
    .optional(),
});

export const contactUpdate = contactCreate.omit({ email: true, consent: true }).partial();

export type ContactOut = {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  time_zone: string | null;
  external_id: string | null;
  status: string;
  attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

/** Tag names as people type them: trimmed, 1–64 characters. */
export const tagName = z.string().trim().min(1, "tag names cannot be empty").max(64, "tag names are at most 64 characters");
export const tagsAdd = z.object({ tags: z.array(tagName).min(1, "give at least one tag").max(50, "at most 50 tags a call") });

export const subscriptionsPut = z.object({
  topics: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "topic keys are lower-case letters, digits, - and _"), z.boolean())
    .refine((t) => Object.keys(t).length > 0, "name at least one topic"),
});

/** POST /api/v1/events: one behaviour event for a known contact. */
export const eventCreate = z
  .object({
    contact_id: z.uuid("must be a contact id").optional(),
    email: z.email("must be an email address").optional(),
    name: z.string().trim().min(1, "name is required").max(200),
    properties: z.record(z.string(), z.unknown()).default({}),
    timestamp: z.iso
      .datetime({ offset: true, message: "must be an ISO-8601 date-time" })
      .refine((t) => storableTime(new Date(t)), UNSTORABLE_TIME_MESSAGE)
      .optional(),
    message_id: z.string().min(1).max(200).optional(),
  })
  .refine((e) => e.contact_id !== undefined || e.email !== undefined, { message: "give contact_id or email", path: ["contact_id"] })
  .refine((e) => JSON.stringify(e.properties).length <= 32_000, { message: "properties must be under 32 KB", path: ["properties"] });

/** POST /api/v1/flows/{id}/enrollments */
export const enrollmentCreate = z.object({
  contact_ids: z.array(z.uuid("must be contact ids")).min(1, "give at least one contact").max(1000, "at most 1000 contacts a call"),
  properties: z.record(z.string(), z.unknown()).optional(),
});

/** POST /api/v1/contacts/repermission: ask unconfirmed contacts to confirm (docs/rest-api.md). */
export const repermissionCreate = z.object({
  contact_ids: z.array(z.uuid("must be contact ids")).min(1, "give at least one contact").max(1000, "at most 1000 contacts a call"),
  /** A transactional template with {{ confirm_url }}; absent or null: the standard confirmation mail. */
  template_id: z.uuid("must be a template id").nullable().optional(),
});

export type RepermissionOut = {
  id: string;
  source: string;
  status: string;
  template_id: string | null;
  total: number;
  asked: number;
  confirmed: number;
  pending: number;
  skipped: number;
  skipped_by: Record<string, number>;
  created_at: string;
  finished_at: string | null;
};
