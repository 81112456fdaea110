import Link from "next/link";
import { requireMember } from "@/lib/server/auth/member";
import { createContactAction } from "../actions";
import { ContactForm } from "../contact-form";

export const metadata = { title: "Add contact" };

export default async function NewContactPage(props: { params: Promise<{ workspace: string }> }) {
  const { workspace } = await props.params;
  await requireMember(workspace, "contacts.edit");
  return (
    <>
      <Link href={`/w/${workspace}/contacts`} className="text-sm text-brand-600 hover:underline">← Contacts</Link>
      <h1 className="mt-2 text-2xl font-semibold">Add a contact</h1>
      <p className="mt-1 mb-6 max-w-2xl text-sm text-slate-600">
        A contact added by hand has given no consent yet: they start unconfirmed and receive no marketing until they opt in
        (a signup form or a confirmation).
      </p>
      <ContactForm workspace={workspace} action={createContactAction} submitLabel="Add contact" />
    </>
  );
}
