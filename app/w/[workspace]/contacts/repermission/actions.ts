"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getImport } from "@/db/queries/imports";
import { unconfirmedCount } from "@/db/queries/repermission";
import { getSegment } from "@/db/queries/segments";
import { emit } from "@/inngest/emit";
import { now } from "@/lib/clock";
import { ActionError, workspaceAction } from "@/lib/server/auth/action";
import { createRequest, repermissionEvent, RepermissionTemplateError } from "@/lib/server/consent/repermission";

/**
 * "Ask N unconfirmed contacts to confirm" on an import's page or a segment's: editor or above,
 * audited. The request runs in the background (docs/forms-and-consent.md#re-permission).
 */
export const requestRepermissionAction = workspaceAction(
  "contacts.edit",
  z
    .object({
      importId: z.uuid("import not found").optional(),
      segmentId: z.uuid("segment not found").optional(),
      templateId: z.union([z.literal(""), z.uuid("choose a template")]).optional(),
    })
    .refine((i) => (i.importId === undefined) !== (i.segmentId === undefined), { message: "name an import or a segment", path: ["importId"] }),
  async ({ db, member, input, audit }) => {
    const workspaceId = member.workspace.id;
    if (input.importId && !(await getImport(db, { workspaceId, importId: input.importId }))) throw new ActionError("import not found", "importId");
    if (input.segmentId && !(await getSegment(db, { workspaceId, segmentId: input.segmentId }))) throw new ActionError("segment not found", "segmentId");
    const waiting = await unconfirmedCount(db, { workspaceId, importId: input.importId, segmentId: input.segmentId });
    if (waiting === 0) throw new ActionError("nobody here is waiting to confirm", input.importId ? "importId" : "segmentId");
    let request;
    try {
      request = await createRequest(db, {
        workspaceId,
        source: input.importId ? "import" : "segment",
        importId: input.importId,
        segmentId: input.segmentId,
        templateId: input.templateId || null,
        createdBy: member.user.id,
        at: now(),
      });
    } catch (err) {
      if (err instanceof RepermissionTemplateError) throw new ActionError(`templateId: ${err.message}`, "templateId");
      throw err;
    }
    await audit({ action: "repermission.requested", targetType: "repermission_request", targetId: request.id, data: { source: request.source, importId: input.importId, segmentId: input.segmentId, templateId: request.templateId, unconfirmed: waiting } });
    await emit(db, [repermissionEvent(request)]);
    revalidatePath(input.importId ? `/w/${member.workspace.slug}/contacts/import/${input.importId}` : `/w/${member.workspace.slug}/segments/${input.segmentId}`);
    return { ok: true, message: `Asking ${waiting.toLocaleString("en")} unconfirmed contacts to confirm: contacts suppressed or asked in the last 7 days are skipped` };
  },
);
