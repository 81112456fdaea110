import { z } from "zod";

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
