"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ContactExistsError, createContact, updateContact } from "@/db/queries/contacts";
import { ActionError, workspaceAction } from "@/lib/server/auth/action";
import { contactCreatedEvent, emit } from "@/inngest/emit";
import { parseAttributeRows } from "./attributes";

const optionalName = z
  .string()
  .trim()
  .max(100, "at most 100 characters")
  .transform((v) => (v === "" ? null : v));
const timeZone = z
  .string()
  .transform((v) => (v === "" ? null : v))
  .refine((tz) => tz === null || tz === "UTC" || Intl.supportedValuesOf("timeZone").includes(tz), "unknown time zone");

const fields = z.object({ firstName: optionalName, lastName: optionalName, timeZone }).passthrough();

function attributesOf(input: Record<string, unknown>) {
  const attrs = parseAttributeRows(input);
  if (!attrs.ok) throw new ActionError(`${attrs.field}: ${attrs.message}`, attrs.field);
  return attrs.value;
}

export const createContactAction = workspaceAction(
  "contacts.edit",
  fields.extend({ email: z.email("enter a valid email address").max(254) }),
  async ({ db, member, input, audit }) => {
    let id: string;
    try {
      ({ id } = await createContact(db, {
        workspaceId: member.workspace.id,
        email: input.email,
        firstName: input.firstName,
        lastName: input.lastName,
        timeZone: input.timeZone,
        attributes: attributesOf(input),
      }));
    } catch (err) {
      if (err instanceof ContactExistsError) throw new ActionError(err.message, "email");
      throw err;
    }
    await audit({ action: "contact.created", targetType: "contact", targetId: id });
    await emit(db, [contactCreatedEvent(member.workspace.id, id, "manual")]);
    redirect(`/w/${member.workspace.slug}/contacts/${id}`);
  },
);

export const updateContactAction = workspaceAction(
  "contacts.edit",
  fields.extend({ contactId: z.uuid("contact not found") }),
  async ({ db, member, input, audit }) => {
    const row = await updateContact(db, {
      workspaceId: member.workspace.id,
      contactId: input.contactId,
      firstName: input.firstName,
      lastName: input.lastName,
      timeZone: input.timeZone,
      attributes: attributesOf(input),
    });
    if (!row) throw new ActionError("contact not found");
    await audit({ action: "contact.updated", targetType: "contact", targetId: row.id });
    revalidatePath(`/w/${member.workspace.slug}/contacts/${row.id}`);
    return { ok: true, message: "Contact saved" };
  },
);
