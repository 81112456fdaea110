import { repermissionCounts } from "@/db/queries/repermission";
import { emit } from "@/inngest/emit";
import { repermissionCreate } from "@/lib/api/contacts";
import { presentRepermission } from "@/lib/api/present";
import { now } from "@/lib/clock";
import { createRequest, repermissionEvent, RepermissionTemplateError } from "@/lib/server/consent/repermission";
import { ApiError, apiRoute, body, json } from "@/lib/server/api/handler";

/**
 * POST /api/v1/contacts/repermission: asks the named contacts that are still unconfirmed to
 * confirm (the workspace's confirmation mail, or a transactional template with {{ confirm_url }}).
 * Answers 202 with the request; GET …/repermission/{id} follows its counts.
 */
export const POST = apiRoute(async (req, ctx) => {
  const input = await body(req, repermissionCreate);
  let request;
  try {
    request = await createRequest(ctx.db, {
      workspaceId: ctx.workspaceId,
      source: "api",
      contactIds: [...new Set(input.contact_ids)],
      templateId: input.template_id ?? null,
      apiKeyId: ctx.apiKeyId,
      at: now(),
    });
  } catch (err) {
    if (err instanceof RepermissionTemplateError) throw new ApiError("validation_failed", `template_id: ${err.message}`, "template_id");
    throw err;
  }
  await ctx.audit("repermission.requested", "repermission_request", request.id, { source: "api", contacts: input.contact_ids.length, template_id: request.templateId });
  await emit(ctx.db, [repermissionEvent(request)]);
  return json(202, { data: presentRepermission(request, await repermissionCounts(ctx.db, { workspaceId: ctx.workspaceId, requestId: request.id })) });
});
