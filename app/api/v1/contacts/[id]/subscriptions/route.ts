import { getContact } from "@/db/queries/contacts";
import { contactSubscriptions, setSubscriptions, UnknownTopicError } from "@/db/queries/subscriptions";
import { subscriptionsPut } from "@/lib/api/contacts";
import { ApiError, apiRoute, body, json, uuidParam } from "@/lib/server/api/handler";

type Params = { id: string };

const present = (rows: Awaited<ReturnType<typeof contactSubscriptions>>) =>
  rows.map((r) => ({ topic: r.key, name: r.name, state: r.state, updated_at: r.updatedAt?.toISOString() ?? null }));

export const GET = apiRoute<Params>(async (_req, ctx, p) => {
  const c = await getContact(ctx.db, { workspaceId: ctx.workspaceId, contactId: uuidParam(p.id, "contact") });
  if (!c) throw new ApiError("not_found", "contact not found");
  return json(200, { data: present(await contactSubscriptions(ctx.db, { workspaceId: ctx.workspaceId, contactId: c.id })) });
});

/**
 * Subscribes or unsubscribes the contact per topic. Each change is a consent event (source "api");
 * subscribing to a topic does not by itself confirm a list-wide opt-in.
 */
export const PUT = apiRoute<Params>(async (req, ctx, p) => {
  const contactId = uuidParam(p.id, "contact");
  const input = await body(req, subscriptionsPut);
  let changed: string[] | undefined;
  try {
    changed = await setSubscriptions(ctx.db, { workspaceId: ctx.workspaceId, contactId, changes: input.topics, source: "api" });
  } catch (err) {
    if (err instanceof UnknownTopicError) throw new ApiError("validation_failed", err.message, "topics");
    throw err;
  }
  if (!changed) throw new ApiError("not_found", "contact not found");
  if (changed.length) await ctx.audit("contact.subscriptions_changed", "contact", contactId, { topics: changed });
  return json(200, { data: present(await contactSubscriptions(ctx.db, { workspaceId: ctx.workspaceId, contactId })), changed });
});
