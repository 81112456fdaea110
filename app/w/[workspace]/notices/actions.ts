"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { markNoticesRead } from "@/db/queries/notifications";
import { now } from "@/lib/clock";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";

/** Marks one notice read, or all of the workspace's (owners and admins; the read state is shared). */
export const markNoticesReadAction = workspaceAction(
  "notices.read",
  formFields(z.object({ noticeId: z.uuid("notice not found").optional(), all: z.boolean().default(false) }), { all: "boolean" }),
  async ({ db, member, input }) => {
    if (!input.noticeId && !input.all) throw new ActionError("Pick a notice, or mark all read", "noticeId");
    const n = await markNoticesRead(db, { workspaceId: member.workspace.id, ids: input.noticeId ? [input.noticeId] : undefined, at: now() });
    if (n === 0 && input.noticeId) throw new ActionError("notice not found, or already read");
    // The header's unread count lives in the workspace layout.
    revalidatePath(`/w/${member.workspace.slug}`, "layout");
    return { ok: true, message: n === 1 ? "Marked read" : `${n} notices marked read` };
  },
);
