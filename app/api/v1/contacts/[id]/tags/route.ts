import { addContactTag, contactTagNames, getContact } from "@/db/queries/contacts";
import { tagsAdd } from "@/lib/api/contacts";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";
import { emit } from "@/inngest/emit";

type Params = { id: string };

async function contactOr404(ctx: { db: Parameters<typeof getContact>[0]; workspaceId: string }, id: string) {
  const c = await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(id, "contact") });
  if (!c) throw new ApiError("not_found", "contact not found");
  return c;
}

export const GET = apiRoute<Params>(async (_req, ctx, p) => {
  const c = await contactOr404(ctx, p.id);
  return json(200, { data: (await contactTagNames(ctx.db, { workspaceId: ctx.workspaceId, contactId: c.id })).sort() });
});

/** Adds tags; each tag the contact did not have yet starts the flows triggered by it. */
export const POST = apiRoute<Params>(async (req, ctx, p) => {
  const c = await contactOr404(ctx, p.id);
  const input = await body(req, tagsAdd);
  const added: string[] = [];
  for (const tag of new Set(input.tags)) {
    if (await addContactTag(ctx.db, { workspaceId: ctx.workspaceId, contactId: c.id, tag })) added.push(tag);
  }
  if (added.length) {
    await emit(
      ctx.db,
      added.map((tag) => ({
        id: `tag:${c.id}:${tag.toLowerCase()}:${Date.now()}`,
        name: "contact/tag.added",
        data: { workspaceId: ctx.workspaceId, contactId: c.id, tag },
      })),
    );
    await ctx.audit("contact.tagged", "contact", c.id, { tags: added });
  }
  return json(200, { data: (await contactTagNames(ctx.db, { workspaceId: ctx.workspaceId, contactId: c.id })).sort(), added });
});
