"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { updateSendingSettings } from "@/db/queries/templates";
import { formFields, workspaceAction } from "@/lib/server/auth/action";
import { now } from "@/lib/clock";
import { DEFAULT_PACE, frequencyCapSchema, paceSchema, quietHoursSchema, sendingPolicySchema } from "@/lib/email/policy";

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Keep it under ${max} characters`)
    .transform((v) => (v === "" ? null : v));
const optionalEmail = z
  .string()
  .trim()
  .transform((v) => (v === "" ? null : v))
  .pipe(z.email("Enter a valid email address").nullable());
const on = z.boolean().default(false);

const schema = z
  .object({
    fromName: optionalText(80),
    fromEmail: optionalEmail,
    replyTo: optionalEmail,
    postalAddress: optionalText(300),
    capEnabled: on,
    capMax: z.string().optional(),
    capWindowHours: z.string().optional(),
    quietEnabled: on,
    quietStart: z.string().optional(),
    quietEnd: z.string().optional(),
    trackOpens: on,
    trackClicks: on,
    utm: on,
    utmSource: z.string().trim().default("tillit"),
    utmMedium: z.string().trim().default("email"),
    paceRequestsPerSecond: z.string().trim().optional(),
  })
  .transform((v, ctx) => {
    const fail = (path: string, issues: z.core.$ZodIssue[]) => {
      ctx.addIssue({ code: "custom", path: [path], message: issues[0]?.message ?? "Invalid" });
      return z.NEVER;
    };
    let frequencyCap = null;
    if (v.capEnabled) {
      const p = frequencyCapSchema.safeParse({ max: v.capMax, windowHours: v.capWindowHours });
      if (!p.success) return fail(p.error.issues[0]?.path[0] === "max" ? "capMax" : "capWindowHours", p.error.issues);
      frequencyCap = p.data;
    }
    let quietHours = null;
    if (v.quietEnabled) {
      const p = quietHoursSchema.safeParse({ start: v.quietStart, end: v.quietEnd });
      if (!p.success) return fail(p.error.issues[0]?.path[0] === "start" ? "quietStart" : "quietEnd", p.error.issues);
      quietHours = p.data;
    }
    const pace = paceSchema.safeParse({ requestsPerSecond: v.paceRequestsPerSecond || DEFAULT_PACE.requestsPerSecond });
    if (!pace.success) return fail("paceRequestsPerSecond", pace.error.issues);
    const policy = sendingPolicySchema.safeParse({
      frequencyCap,
      quietHours,
      pace: pace.data,
      tracking: { opens: v.trackOpens, clicks: v.trackClicks, utm: v.utm, utmSource: v.utmSource || "tillit", utmMedium: v.utmMedium || "email" },
    });
    if (!policy.success) return fail(policy.error.issues[0]?.path.at(-1) === "utmMedium" ? "utmMedium" : "utmSource", policy.error.issues);
    return { fromName: v.fromName, fromEmail: v.fromEmail, replyTo: v.replyTo, postalAddress: v.postalAddress, sendingPolicy: policy.data };
  });

const checkboxes = { capEnabled: "boolean", quietEnabled: "boolean", trackOpens: "boolean", trackClicks: "boolean", utm: "boolean" } as const;

export const updateSendingAction = workspaceAction("settings.manage", formFields(schema, checkboxes), async ({ db, member, input, audit }) => {
  await updateSendingSettings(db, { workspaceId: member.workspace.id, ...input, sendingPolicy: input.sendingPolicy, at: now() });
  await audit({ action: "settings.sending_updated", targetType: "workspace", targetId: member.workspace.id, data: { ...input } });
  revalidatePath(`/w/${member.workspace.slug}/settings/sending`);
  return { ok: true, message: "Sending settings saved" };
});
