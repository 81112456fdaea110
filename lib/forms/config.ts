import { z } from "zod";

/**
 * A signup form's configuration (forms.config), and how a submission is read against it. Pure:
 * the hosted page, the embeds, the submit handler and the builder share it.
 */

export const attributeKey = z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, "lower-case letters, digits and _, starting with a letter");
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour like #2563eb");
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

export const formField = z.object({
  /** first_name / last_name fill the contact's name; anything else is a custom attribute. */
  key: attributeKey,
  label: z.string().trim().min(1, "a label is required").max(100),
  type: z.enum(["text", "number", "date", "checkbox"]).default("text"),
  required: z.boolean().default(false),
});
export type FormField = z.infer<typeof formField>;

export const formConfig = z.object({
  heading: z.string().max(200).default("Subscribe to our newsletter"),
  intro: z.string().max(1000).default(""),
  fields: z.array(formField).max(20).default([]),
  /** Topic keys offered as checkboxes, never pre-ticked. */
  topics: z.array(attributeKey).max(20).default([]),
  submitLabel: z.string().trim().min(1).max(60).default("Subscribe"),
  successMessage: z.string().max(1000).default("Thanks! Check your inbox to confirm your subscription."),
  /** Where a browser goes after a successful submission instead of the success message. */
  redirectUrl: httpUrl.nullable().default(null),
  privacyNoticeUrl: httpUrl.nullable().default(null),
  style: z
    .object({ colour: colour.default("#2563eb"), logoUrl: httpUrl.nullable().default(null) })
    .default({ colour: "#2563eb", logoUrl: null }),
  /** Submissions faster than this after the page was rendered are refused (bots fill instantly). */
  minFillSeconds: z.number().int().min(0).max(60).default(2),
  /**
   * Accept signups without a render stamp, as the static plain HTML embed sends them: it cannot
   * carry a fresh stamp, so the minimum fill time does not apply to them. Off unless chosen.
   */
  plainHtmlEmbed: z.boolean().default(false),
});
export type FormConfig = z.infer<typeof formConfig>;

/** Reads a stored config; anything unreadable falls back to the defaults rather than breaking the page. */
export function readFormConfig(raw: unknown): FormConfig {
  const r = formConfig.safeParse(raw ?? {});
  return r.success ? r.data : formConfig.parse({});
}

/** Names of the fields the public endpoint reserves. */
export const HONEYPOT_FIELD = "website";
export const STAMP_FIELD = "_t";
export const TOPICS_FIELD = "topics";

export type RawFields = Record<string, string[]>;

export type Submission = {
  email: string;
  firstName: string | null;
  lastName: string | null;
  attributes: Record<string, string | number | boolean>;
  topics: string[];
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

const email = z.email("must be an email address").max(254, "must be an email address of at most 254 characters");
const truthy = new Set(["on", "true", "1", "yes"]);

export function parseSubmission(config: FormConfig, raw: RawFields): Parsed<Submission> {
  const one = (k: string) => raw[k]?.[0]?.trim() ?? "";
  const e = email.safeParse(one("email"));
  if (!one("email")) return { ok: false, field: "email", message: "email is required" };
  if (!e.success) return { ok: false, field: "email", message: `email ${e.error.issues[0]!.message}` };
  const out: Submission = { email: e.data.toLowerCase(), firstName: null, lastName: null, attributes: {}, topics: [] };
  for (const f of config.fields) {
    const v = one(f.key);
    if (v.length > 500) return { ok: false, field: f.key, message: `${f.key} must be at most 500 characters` };
    if (f.type === "checkbox") {
      if (f.required && !truthy.has(v.toLowerCase())) return { ok: false, field: f.key, message: `${f.key} must be ticked` };
      if (v !== "") out.attributes[f.key] = truthy.has(v.toLowerCase());
      continue;
    }
    if (v === "") {
      if (f.required) return { ok: false, field: f.key, message: `${f.key} is required` };
      continue;
    }
    if (f.key === "first_name" || f.key === "last_name") {
      if (v.length > 100) return { ok: false, field: f.key, message: `${f.key} must be at most 100 characters` };
      if (f.key === "first_name") out.firstName = v;
      else out.lastName = v;
      continue;
    }
    if (f.type === "number") {
      const n = Number(v);
      if (!Number.isFinite(n)) return { ok: false, field: f.key, message: `${f.key} must be a number` };
      out.attributes[f.key] = n;
    } else if (f.type === "date") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) return { ok: false, field: f.key, message: `${f.key} must be a date (YYYY-MM-DD)` };
      out.attributes[f.key] = v;
    } else {
      out.attributes[f.key] = v;
    }
  }
  const topics = [...new Set((raw[TOPICS_FIELD] ?? []).map((t) => t.trim()).filter((t) => t !== ""))];
  for (const t of topics) {
    if (!config.topics.includes(t)) return { ok: false, field: TOPICS_FIELD, message: `topics: this form does not offer "${t.slice(0, 50)}"` };
  }
  out.topics = topics;
  return { ok: true, value: out };
}
