"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { createTopic, deleteTopic, TopicExistsError } from "@/db/queries/consent";
import { ActionError, workspaceAction } from "@/lib/server/auth/action";

export const createTopicAction = workspaceAction(
  "settings.manage",
  z.object({
    name: z.string().trim().min(1, "a name is required").max(100),
    key: z.string().trim().regex(/^[a-z][a-z0-9_]{0,49}$/, "lower-case letters, digits and _, starting with a letter"),
    description: z.string().trim().max(500).default(""),
  }),
  async ({ db, member, input, audit }) => {
    try {
      const { id } = await createTopic(db, { workspaceId: member.workspace.id, ...input });
      await audit({ action: "topic.created", targetType: "topic", targetId: id, data: { key: input.key } });
    } catch (err) {
      if (err instanceof TopicExistsError) throw new ActionError(err.message, "key");
      throw err;
    }
    revalidatePath(`/w/${member.workspace.slug}/settings/topics`);
    return { ok: true, message: `Topic “${input.name}” created` };
  },
);

export const deleteTopicAction = workspaceAction("settings.manage", z.object({ topicId: z.uuid("topic not found") }), async ({ db, member, input, audit }) => {
  const row = await deleteTopic(db, { workspaceId: member.workspace.id, topicId: input.topicId });
  if (!row) throw new ActionError("topic not found");
  await audit({ action: "topic.deleted", targetType: "topic", targetId: row.id, data: { key: row.key } });
  revalidatePath(`/w/${member.workspace.slug}/settings/topics`);
  return { ok: true, message: "Topic deleted" };
});
