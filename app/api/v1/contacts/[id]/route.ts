import { deleteContact, getContact, patchContact } from "@/db/queries/contacts";
import { contactUpdate } from "@/lib/api/contacts";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";
import { presentContact } from "@/lib/api/present";

type Params = { id: string };

export const GET = apiRoute<Params>(async (_req, ctx, p) => {
  const c = await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(p.id, "contact") });
  if (!c) throw new ApiError("not_found", "contact not found");
  return json(200, { data: presentContact(c) });
});

export const PATCH = apiRoute<Params>(async (req, ctx, p) => {
  const contactId = uuidParam(p.id, "contact");
  const input = await body(req, contactUpdate);
  const row = await patchContact(ctx.db, {
    workspaceId: ctx.workspaceId,
    contactId,
    set: {
      ...(input.first_name !== undefined ? { firstName: input.first_name } : {}),
      ...(input.last_name !== undefined ? { lastName: input.last_name } : {}),
      ...(input.time_zone !== undefined ? { timeZone: input.time_zone } : {}),
      ...(input.external_id !== undefined ? { externalId: input.external_id } : {}),
      ...(input.attributes ? { attributes: input.attributes } : {}),
    },
  });
  if (!row) throw new ApiError("not_found", "contact not found");
  await ctx.audit("contact.updated", "contact", row.id);
  return json(200, { data: presentContact(row) });
});

export const DELETE = apiRoute<Params>(async (_req, ctx, p) => {
  const row = await deleteContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(p.id, "contact") });
  if (!row) throw new ApiError("not_found", "contact not found");
  await ctx.audit("contact.deleted", "contact", row.id);
  return new Response(null, { status: 204 });
});
