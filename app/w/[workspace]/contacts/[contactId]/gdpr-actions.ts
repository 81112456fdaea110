"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getContact } from "@/db/queries/contacts";
import { outboxEmitter } from "@/inngest/emit";
import { ActionError, workspaceAction } from "@/lib/server/auth/action";
import { now } from "@/lib/clock";
import { eraseContact } from "@/lib/server/consent/gdpr";

/** Erasure from the contact page: the person's address typed again confirms it is meant. */
export const eraseContactAction = workspaceAction(
  "contacts.erase",
  z.object({ contactId: z.uuid("contact not found"), confirm: z.string().trim() }),
  async ({ db, member, input, audit }) => {
    const contact = await getContact(db, { workspaceId: member.workspace.id, contactId: input.contactId });
    if (!contact) throw new ActionError("contact not found");
    if (contact.status === "erased") return { ok: true, message: "Already erased" };
    if (input.confirm.toLowerCase() !== contact.email.toLowerCase()) throw new ActionError("type the contact's email address to confirm the erasure", "confirm");
    const r = await eraseContact(db, { workspaceId: member.workspace.id, contactId: contact.id, at: now(), emit: outboxEmitter(db) });
    await audit({ action: "contact.erased", targetType: "contact", targetId: contact.id, data: { endedEnrollments: r?.endedEnrollments ?? 0 } });
    revalidatePath(`/w/${member.workspace.slug}/contacts/${contact.id}`);
    return { ok: true, message: "Personal data erased; the address is kept only as a hash so it is not re-added" };
  },
);
