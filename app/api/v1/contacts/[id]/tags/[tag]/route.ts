import { getContact, removeContactTag } from "@/db/queries/contacts";
import { ApiError, apiRoute, uuidParam } from "@/lib/server/api/handler";

type Params = { id: string; tag: string };

export const DELETE = apiRoute<Params>(async (_req, ctx, p) => {
  const c = await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(p.id, "contact") });
  if (!c) throw new ApiError("not_found", "contact not found");
  // Next hands the segment over decoded: decoding again would misread a tag holding "%".
  const tag = p.tag.trim();
  if (!(await removeContactTag(ctx.db, { workspaceId: ctx.workspaceId, contactId: c.id, tag }))) {
    throw new ApiError("not_found", `the contact has no tag "${tag}"`, "tag");
  }
  await ctx.audit("contact.untagged", "contact", c.id, { tag });
  return new Response(null, { status: 204 });
});
