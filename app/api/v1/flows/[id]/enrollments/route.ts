import { randomUUID } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { getLiveFlow } from "@/db/queries/flows";
import { contacts } from "@/db/schema/index";
import { enrollmentCreate } from "@/lib/api/contacts";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";
import { emit } from "@/inngest/emit";

type Params = { id: string };

/**
 * Enrols contacts into a live flow by hand (support, a CRM, a one-off campaign). Accepted
 * asynchronously: the flow's re-entry rule decides, per contact, whether a new enrollment starts;
 * consent is checked at every send as always.
 */
export const POST = apiRoute<Params>(async (req, ctx, p) => {
  const flowId = uuidParam(p.id, "flow");
  const input = await body(req, enrollmentCreate);
  const flow = await getLiveFlow(ctx.db, { workspaceId: ctx.workspaceId, flowId });
  if (!flow) throw new ApiError("not_found", "flow not found, or not live (publish it, or resume it if paused)");
  const ids = [...new Set(input.contact_ids)];
  const found = await ctx.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, ctx.workspaceId), inArray(contacts.id, ids)));
  if (found.length !== ids.length) {
    const known = new Set(found.map((f) => f.id));
    throw new ApiError("not_found", `contact not found: ${ids.filter((i) => !known.has(i)).join(", ")}`, "contact_ids");
  }
  const requestId = randomUUID();
  await emit(ctx.db, [
    {
      id: `enrol:${requestId}`,
      name: "flow/enroll.requested",
      data: { workspaceId: ctx.workspaceId, flowId, contactIds: ids, ...(input.properties ? { trigger: input.properties } : {}) },
    },
  ]);
  await ctx.audit("flow.enrolled", "flow", flowId, { contacts: ids.length });
  return json(202, { data: { request_id: requestId, flow_id: flowId, contacts: ids.length } });
});
