"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { audienceSummary } from "@/db/queries/broadcast-audience";
import { sendableTemplate } from "@/db/queries/broadcasts";
import { attributeKeys } from "@/db/queries/templates";
import { audienceSchema } from "@/lib/broadcasts/audience";
import { broadcastDraftSchema, broadcastTagWarnings, draftFields } from "@/lib/broadcasts/draft";
import { now } from "@/lib/clock";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { BroadcastInputError, BroadcastStateError, createDraft, removeDraft, saveDraft, schedule, transition } from "@/lib/server/broadcasts/broadcasts";

const broadcastId = z.uuid("broadcast not found");
/** A template picker's value: empty is none. */
const optionalTemplateId = z
  .string()
  .optional()
  .transform((v) => (v ? v : null))
  .pipe(draftFields.templateId);

/** The shared operations' refusals, as the action client states them (the field named). */
async function refusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BroadcastInputError) throw new ActionError(err.message, err.field);
    if (err instanceof BroadcastStateError) throw new ActionError(err.message);
    throw err;
  }
}

/** A new draft with a name (and perhaps a template); opens its editor. */
export const createBroadcastAction = workspaceAction(
  "broadcasts.edit",
  z.object({
    name: broadcastDraftSchema.shape.name,
    templateId: optionalTemplateId,
  }),
  async ({ db, member, input }) => {
    const draft = broadcastDraftSchema.parse({ name: input.name, templateId: input.templateId });
    const row = await refusals(() => createDraft(db, { workspaceId: member.workspace.id, actor: { userId: member.user.id }, draft }));
    revalidatePath(`/w/${member.workspace.slug}/broadcasts`);
    redirect(`/w/${member.workspace.slug}/broadcasts/${row.id}`);
  },
);

/** Saves the editor's draft; refused once the broadcast is scheduled. Answers with the subject/preheader merge-tag warnings. */
export const saveBroadcastAction = workspaceAction(
  "broadcasts.edit",
  formFields(z.object({ broadcastId, draft: broadcastDraftSchema }), { draft: { json: "draft" } }),
  async ({ db, member, input }) => {
    const workspaceId = member.workspace.id;
    const saved = await refusals(() => saveDraft(db, { workspaceId, broadcastId: input.broadcastId, actor: { userId: member.user.id }, draft: input.draft, at: now() }));
    if (!saved) throw new ActionError("broadcast not found");
    const warnings = broadcastTagWarnings(input.draft, await attributeKeys(db, { workspaceId }));
    revalidatePath(`/w/${member.workspace.slug}/broadcasts`);
    return { ok: true, message: "Draft saved", data: { warnings: warnings.map((w) => w.message) } };
  },
);

export const deleteBroadcastAction = workspaceAction("broadcasts.edit", z.object({ broadcastId }), async ({ db, member, input }) => {
  const gone = await refusals(() => removeDraft(db, { workspaceId: member.workspace.id, broadcastId: input.broadcastId, actor: { userId: member.user.id } }));
  if (!gone) throw new ActionError("broadcast not found");
  revalidatePath(`/w/${member.workspace.slug}/broadcasts`);
  redirect(`/w/${member.workspace.slug}/broadcasts`);
});

/** Schedules the saved draft: now (no time), or at a time in the future. */
export const scheduleBroadcastAction = workspaceAction(
  "broadcasts.send",
  z.object({
    broadcastId,
    sendAt: z
      .string()
      .optional()
      .transform((v) => (v ? v : null))
      .pipe(z.iso.datetime({ offset: true, error: "the send time is not a valid time" }).nullable()),
  }),
  async ({ db, member, input }) => {
    const sendAt = input.sendAt ? new Date(input.sendAt) : null;
    const done = await refusals(() => schedule(db, { workspaceId: member.workspace.id, broadcastId: input.broadcastId, actor: { userId: member.user.id }, sendAt, now: now() }));
    if (!done) throw new ActionError("broadcast not found");
    revalidatePath(`/w/${member.workspace.slug}/broadcasts`);
    return { ok: true, message: sendAt ? `Scheduled “${done.name}”` : `Sending “${done.name}” now` };
  },
);

const outcome = { cancel: "Cancelled: nothing more is handed off", pause: "Paused: no new batch is handed off until you resume", resume: "Resumed" } as const;

function transitionAction(kind: "cancel" | "pause" | "resume") {
  return workspaceAction("broadcasts.send", z.object({ broadcastId }), async ({ db, member, input }) => {
    const done = await refusals(() => transition(db, kind, { workspaceId: member.workspace.id, broadcastId: input.broadcastId, actor: { userId: member.user.id }, now: now() }));
    if (!done) throw new ActionError("broadcast not found");
    revalidatePath(`/w/${member.workspace.slug}/broadcasts`);
    return { ok: true, message: outcome[kind] };
  });
}

export const cancelBroadcastAction = transitionAction("cancel");
export const pauseBroadcastAction = transitionAction("pause");
export const resumeBroadcastAction = transitionAction("resume");

/**
 * The editor's live count (viewers may look; nothing is written): who is in the chosen audience,
 * who gets it after consent, suppression and the template's topic, and who is left out and why.
 */
export const previewAudienceAction = workspaceAction(
  "broadcasts.read",
  z.object({
    audience: audienceSchema,
    templateId: optionalTemplateId,
  }),
  async ({ db, member, input }) => {
    const workspaceId = member.workspace.id;
    const template = input.templateId ? await sendableTemplate(db, { workspaceId, templateId: input.templateId }) : undefined;
    const s = await audienceSummary(db, { workspaceId, audience: input.audience, topicKey: template?.topic ?? null });
    return { ok: true, data: s };
  },
);
