"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { countSegment, createSegment, deleteSegment, segmentMembersPage, updateSegment } from "@/db/queries/segments";
import { inngest } from "@/inngest/client";
import { segmentRefreshRequested } from "@/inngest/events";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { now } from "@/lib/clock";
import { definitionSchema } from "@/lib/segments/definition";

/** The builder's form posts its definition as JSON; a message names the first problem in it. */
const definitionField = { json: "the definition", maxLength: 100_000 } as const;

/**
 * Asks for a full membership refresh, without making the person wait for the event bus (the
 * SDK retries a failed send with back-off); if it is down, the 15-minute schedule refreshes the
 * segment anyway.
 */
function requestRefresh(workspaceId: string, segmentId: string) {
  void inngest.send({ name: segmentRefreshRequested.name, data: { workspaceId, segmentId } }).catch(() => undefined);
}

export const saveSegmentAction = workspaceAction(
  "segments.edit",
  formFields(
    z.object({
      segmentId: z.union([z.literal(""), z.uuid("segment not found")]).optional(),
      name: z.string().trim().min(1, "name the segment").max(120, "at most 120 characters"),
      definition: definitionSchema,
    }),
    { definition: definitionField },
  ),
  async ({ db, member, input, audit }) => {
    if (input.segmentId) {
      const row = await updateSegment(db, { workspaceId: member.workspace.id, segmentId: input.segmentId, name: input.name, definition: input.definition, now: now() });
      if (!row) throw new ActionError("segment not found");
      await audit({ action: "segment.updated", targetType: "segment", targetId: row.id });
      requestRefresh(member.workspace.id, row.id);
      revalidatePath(`/w/${member.workspace.slug}/segments/${row.id}`);
      return { ok: true, message: "Segment saved" };
    }
    const { id } = await createSegment(db, { workspaceId: member.workspace.id, name: input.name, definition: input.definition, createdBy: member.user.id });
    await audit({ action: "segment.created", targetType: "segment", targetId: id });
    requestRefresh(member.workspace.id, id);
    redirect(`/w/${member.workspace.slug}/segments/${id}`);
  },
);

export const deleteSegmentAction = workspaceAction("segments.edit", z.object({ segmentId: z.uuid("segment not found") }), async ({ db, member, input, audit }) => {
  if (!(await deleteSegment(db, { workspaceId: member.workspace.id, segmentId: input.segmentId }))) throw new ActionError("segment not found");
  await audit({ action: "segment.deleted", targetType: "segment", targetId: input.segmentId });
  redirect(`/w/${member.workspace.slug}/segments`);
});

/** The builder's live count (and a few members) while editing: read-only, so viewers may use it. */
export const previewSegmentAction = workspaceAction("workspace.read", formFields(z.object({ definition: definitionSchema }), { definition: definitionField }), async ({ db, member, input }) => {
  const at = now();
  const [count, page] = await Promise.all([
    countSegment(db, { workspaceId: member.workspace.id, definition: input.definition, now: at }),
    segmentMembersPage(db, { workspaceId: member.workspace.id, definition: input.definition, now: at, limit: 5 }),
  ]);
  return { ok: true, data: { count, sample: page.rows.map((r) => r.email) } };
});
