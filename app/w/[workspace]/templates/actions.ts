"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { createTemplateRow, deleteTemplateRow, getSendingSettings, getTemplateById, setTemplateArchived, updateTemplateRow } from "@/db/queries/templates";
import { ActionError, workspaceAction } from "@/lib/server/auth/action";
import { now } from "@/lib/clock";
import { previewTemplate, sendTestEmail } from "@/lib/server/email/studio";
import { TemplateError } from "@/lib/email/render";
import { checkTemplate } from "@/lib/server/email/render-pool";
import { configuredTransport } from "@/lib/server/email/transport";
import { env } from "@/lib/env";

const draftSchema = z.object({
  name: z.string().trim().min(1, "Give the template a name").max(120, "Keep it under 120 characters"),
  class: z.enum(["marketing", "transactional"], "Choose marketing or transactional"),
  topic: z
    .string()
    .trim()
    .max(60)
    .transform((v) => (v === "" ? null : v))
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "Topic keys use lower-case letters, digits, _ and -").nullable()),
  subject: z.string().trim().min(1, "The subject is required").max(500, "Keep the subject under 500 characters"),
  preheader: z.string().trim().max(300, "Keep the preheader under 300 characters").default(""),
  // Browsers post textarea line breaks as CRLF; templates keep plain LF.
  markup: z
    .string()
    .max(100_000, "The body is too long (100,000 characters at most)")
    .transform((v) => v.replace(/\r\n?/g, "\n")),
});
const contactField = z
  .string()
  .optional()
  .transform((v) => (v ? v : null))
  .pipe(z.uuid("Pick a contact from the list").nullable());

type Draft = z.infer<typeof draftSchema>;
const toInput = (d: Draft) => ({ subject: d.subject, preheader: d.preheader, body: { markup: d.markup }, class: d.class });

async function assertCompiles(d: Draft) {
  try {
    await checkTemplate(toInput(d));
  } catch (err) {
    if (err instanceof TemplateError) throw new ActionError(err.message, err.field === "body" ? "markup" : err.field);
    throw err;
  }
}

export const saveTemplateAction = workspaceAction(
  "templates.edit",
  draftSchema.extend({ templateId: z.union([z.literal(""), z.uuid("Template not found")]).optional() }),
  async ({ db, member, input, audit }) => {
    await assertCompiles(input);
    const values = { workspaceId: member.workspace.id, name: input.name, class: input.class, topic: input.topic, subject: input.subject, preheader: input.preheader, body: { markup: input.markup } };
    if (input.templateId) {
      const row = await updateTemplateRow(db, { ...values, templateId: input.templateId, at: now() });
      if (!row) throw new ActionError("Template not found");
      await audit({ action: "template.updated", targetType: "template", targetId: row.id, data: { name: input.name } });
      revalidatePath(`/w/${member.workspace.slug}/templates`);
      return { ok: true, message: "Template saved" };
    }
    const row = await createTemplateRow(db, values);
    await audit({ action: "template.created", targetType: "template", targetId: row.id, data: { name: input.name } });
    revalidatePath(`/w/${member.workspace.slug}/templates`);
    redirect(`/w/${member.workspace.slug}/templates/${row.id}?created=1`);
  },
);

/** Deletes a template no published flow version sends; one that is sent is refused, naming the flows (archive it instead). */
export const deleteTemplateAction = workspaceAction("templates.edit", z.object({ templateId: z.uuid("Template not found") }), async ({ db, member, input, audit }) => {
  const r = await deleteTemplateRow(db, { workspaceId: member.workspace.id, templateId: input.templateId });
  if (!r) throw new ActionError("Template not found");
  if ("usedBy" in r) throw new ActionError(`Used by published flows: ${r.usedBy.join(", ")} — archive it instead`);
  await audit({ action: "template.deleted", targetType: "template", targetId: r.deleted.id, data: { name: r.deleted.name } });
  revalidatePath(`/w/${member.workspace.slug}/templates`);
  redirect(`/w/${member.workspace.slug}/templates`);
});

/**
 * Archive: the template leaves the pickers and cannot be published again, while flow versions
 * that pinned it keep sending it. Unarchive brings it back.
 */
export const archiveTemplateAction = workspaceAction("templates.edit", z.object({ templateId: z.uuid("Template not found") }), async ({ db, member, input, audit }) => {
  const row = await setTemplateArchived(db, { workspaceId: member.workspace.id, templateId: input.templateId, archived: true, at: now() });
  if (!row) throw new ActionError("Template not found");
  await audit({ action: "template.archived", targetType: "template", targetId: row.id, data: { name: row.name } });
  revalidatePath(`/w/${member.workspace.slug}/templates`);
  return { ok: true, message: `Archived “${row.name}”: flows already sending it carry on; it is no longer offered for new sends` };
});

export const unarchiveTemplateAction = workspaceAction("templates.edit", z.object({ templateId: z.uuid("Template not found") }), async ({ db, member, input, audit }) => {
  const row = await setTemplateArchived(db, { workspaceId: member.workspace.id, templateId: input.templateId, archived: false, at: now() });
  if (!row) throw new ActionError("Template not found");
  await audit({ action: "template.unarchived", targetType: "template", targetId: row.id, data: { name: row.name } });
  revalidatePath(`/w/${member.workspace.slug}/templates`);
  return { ok: true, message: `“${row.name}” is back among the templates to send` };
});

/** Live preview: viewers may look too, nothing is written. */
export const previewTemplateAction = workspaceAction("workspace.read", draftSchema.extend({ contactId: contactField }), async ({ db, member, input }) => {
  const ws = await getSendingSettings(db, { workspaceId: member.workspace.id });
  const p = await previewTemplate(db, {
    workspaceId: member.workspace.id,
    workspaceName: member.workspace.name,
    postalAddress: ws?.postalAddress ?? null,
    contactId: input.contactId,
    draft: toInput(input),
  });
  if (!p.ok) return { ok: false, message: p.message, fieldErrors: { [p.field === "body" ? "markup" : p.field]: p.message } };
  return {
    ok: true,
    message: `Preview for ${p.contact}`,
    data: { subject: p.rendered.subject, html: p.rendered.html, text: p.rendered.text, warnings: p.warnings.map((w) => w.message) },
  };
});

const recipients = z
  .string()
  .trim()
  .transform((v) => v.split(/[\s,;]+/).filter(Boolean))
  .pipe(z.array(z.email("Each test recipient must be an email address")).min(1, "Add at least one test recipient").max(10, "At most 10 test recipients"));

export const testSendTemplateAction = workspaceAction(
  "templates.edit",
  draftSchema.extend({ contactId: contactField, testTo: recipients, templateId: z.union([z.literal(""), z.uuid("Template not found")]).optional() }),
  async ({ db, member, input, audit }) => {
    if (input.templateId) {
      // An archived template is out of the senders' reach, tests included.
      const t = await getTemplateById(db, { workspaceId: member.workspace.id, templateId: input.templateId });
      if (!t) throw new ActionError("Template not found");
      if (t.archivedAt) throw new ActionError("This template is archived: unarchive it to send tests");
    }
    const ws = await getSendingSettings(db, { workspaceId: member.workspace.id });
    const from = ws?.fromEmail ? (ws.fromName ? `${ws.fromName} <${ws.fromEmail}>` : ws.fromEmail) : env().MAIL_FROM;
    const r = await sendTestEmail(db, configuredTransport(db), {
      workspaceId: member.workspace.id,
      workspaceName: member.workspace.name,
      postalAddress: ws?.postalAddress ?? null,
      from,
      replyTo: ws?.replyTo ?? null,
      contactId: input.contactId,
      draft: toInput(input),
      to: input.testTo,
    });
    if (!r.ok) throw new ActionError(r.message, r.field === "body" ? "markup" : r.field);
    await audit({ action: "template.test_sent", targetType: "workspace", targetId: member.workspace.id, data: { to: input.testTo } });
    return { ok: true, message: `Test sent to ${input.testTo.join(", ")}` };
  },
);
