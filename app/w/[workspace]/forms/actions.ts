"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { createForm, SlugTakenError, updateForm } from "@/db/queries/forms";
import { listTopics } from "@/db/queries/consent";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { fieldText } from "@/lib/form-text";
import { formConfig, formField, type FormField } from "@/lib/forms/config";

const RESERVED = new Set(["confirm", "new", "embed"]);
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "2–63 lower-case letters, digits and dashes")
  .refine((s) => !RESERVED.has(s), "this address is reserved: choose another");
const name = z.string().trim().min(1, "a name is required").max(100);
const defaultWording = "Yes, I want to receive email from you. I can unsubscribe at any time with the link in every message.";

export const createFormAction = workspaceAction("forms.edit", z.object({ name, slug }), async ({ db, member, input, audit }) => {
  let id: string;
  try {
    ({ id } = await createForm(db, {
      workspaceId: member.workspace.id,
      name: input.name,
      slug: input.slug,
      consentWording: defaultWording,
      doubleOptIn: true,
      config: formConfig.parse({ fields: [{ key: "first_name", label: "First name" }] }),
    }));
  } catch (err) {
    if (err instanceof SlugTakenError) throw new ActionError(err.message, "slug");
    throw err;
  }
  await audit({ action: "form.created", targetType: "form", targetId: id });
  redirect(`/w/${member.workspace.slug}/forms/${id}`);
});

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === "" ? null : v))
  .pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).nullable());

const saveSchema = z
  .object({
    formId: z.uuid("form not found"),
    name,
    slug,
    status: z.enum(["draft", "live", "archived"]),
    doubleOptIn: z.boolean().default(false),
    consentWording: z.string().trim().min(1, "consent wording is required: say what people sign up for").max(2000),
    heading: z.string().trim().min(1, "a heading is required").max(200),
    intro: z.string().trim().max(1000),
    submitLabel: z.string().trim().min(1, "a button label is required").max(60),
    successMessage: z.string().trim().min(1, "a success message is required").max(1000),
    redirectUrl: optionalUrl,
    privacyNoticeUrl: optionalUrl,
    colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour like #2563eb"),
    logoUrl: optionalUrl,
    minFillSeconds: z.number("0 to 60 seconds").int("whole seconds").min(0, "0 to 60 seconds").max(60, "0 to 60 seconds"),
    plainHtmlEmbed: z.boolean().default(false),
  })
  .passthrough();

/** Field rows arrive as field_key_N / field_label_N / field_type_N / field_required_N; empty rows are dropped. */
function fieldRows(raw: Record<string, unknown>): FormField[] {
  const out: FormField[] = [];
  for (let i = 0; i < 20; i++) {
    const key = fieldText(raw[`field_key_${i}`]).trim();
    const lbl = fieldText(raw[`field_label_${i}`]).trim();
    if (!key && !lbl) continue;
    const r = formField.safeParse({ key, label: lbl || key, type: raw[`field_type_${i}`] ?? "text", required: raw[`field_required_${i}`] === "on" });
    if (!r.success) throw new ActionError(`field ${i + 1} (${key || "no key"}): ${r.error.issues[0]!.message}`, `field_key_${i}`);
    if (key === "email") throw new ActionError(`field ${i + 1}: the email field is always there`, `field_key_${i}`);
    if (out.some((f) => f.key === key)) throw new ActionError(`field ${i + 1}: "${key}" is used twice`, `field_key_${i}`);
    out.push(r.data);
  }
  return out;
}

export const updateFormAction = workspaceAction("forms.edit", formFields(saveSchema, { doubleOptIn: "boolean", minFillSeconds: "number", plainHtmlEmbed: "boolean" }), async ({ db, member, input, audit }) => {
  const raw = input as Record<string, unknown>;
  const known = new Set((await listTopics(db, { workspaceId: member.workspace.id })).map((t) => t.key));
  const topicKeys = Object.keys(raw)
    .filter((k) => k.startsWith("topic_") && raw[k] === "on")
    .map((k) => k.slice(6))
    .filter((k) => known.has(k));
  const config = formConfig.parse({
    heading: input.heading,
    intro: input.intro,
    fields: fieldRows(raw),
    topics: topicKeys,
    submitLabel: input.submitLabel,
    successMessage: input.successMessage,
    redirectUrl: input.redirectUrl,
    privacyNoticeUrl: input.privacyNoticeUrl,
    style: { colour: input.colour, logoUrl: input.logoUrl },
    minFillSeconds: input.minFillSeconds,
    plainHtmlEmbed: input.plainHtmlEmbed,
  });
  let row;
  try {
    row = await updateForm(db, {
      workspaceId: member.workspace.id,
      formId: input.formId,
      name: input.name,
      slug: input.slug,
      status: input.status,
      consentWording: input.consentWording,
      doubleOptIn: input.doubleOptIn,
      config,
    });
  } catch (err) {
    if (err instanceof SlugTakenError) throw new ActionError(err.message, "slug");
    throw err;
  }
  if (!row) throw new ActionError("form not found");
  await audit({ action: "form.updated", targetType: "form", targetId: row.id, data: { status: input.status, wordingVersion: row.wordingVersion } });
  revalidatePath(`/w/${member.workspace.slug}/forms/${row.id}`);
  return { ok: true, message: `Form saved (consent wording version ${row.wordingVersion})` };
});
