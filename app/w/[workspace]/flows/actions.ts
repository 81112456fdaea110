"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getFlowDraft, publishCompiled } from "../../../../db/queries/flows";
import { ActionError, workspaceAction } from "../../../../lib/auth/action";
import { compile } from "../../../../lib/flows/compile";
import { canonicalJson } from "../../../../lib/flows/plan";

/** Publishes a flow's draft as a new immutable version, if it compiles. */
export const publishFlowAction = workspaceAction(
  "flows.publish",
  z.object({ flowId: z.uuid("flow not found") }),
  async ({ db, member, input, audit }) => {
    const flow = await getFlowDraft(db, { workspaceId: member.workspace.id, flowId: input.flowId });
    if (!flow) throw new ActionError("flow not found");
    const compiled = compile(flow.draft);
    if (!compiled.ok) {
      const shown = compiled.errors.slice(0, 3).map((e) => (e.nodeId ? `${e.nodeId}: ${e.message}` : e.message));
      throw new ActionError(`The draft cannot be published: ${shown.join("; ")}${compiled.errors.length > 3 ? ` (and ${compiled.errors.length - 3} more)` : ""}`);
    }
    const version = await publishCompiled(db, {
      workspaceId: member.workspace.id,
      flowId: flow.id,
      plan: compiled.plan,
      canonicalPlan: canonicalJson(compiled.plan),
      graph: flow.draft,
      publishedBy: member.user.id,
    });
    await audit({ action: "flow.published", targetType: "flow", targetId: flow.id, data: { version: version.number, name: flow.name } });
    revalidatePath(`/w/${member.workspace.slug}/flows`);
    return { ok: true, message: `Published “${flow.name}” as version ${version.number}` };
  },
);
