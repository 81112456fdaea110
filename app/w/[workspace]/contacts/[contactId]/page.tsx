import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { contactTagNames, contactTimeline, getContact } from "@/db/queries/contacts";
import { messageReceipts } from "@/db/queries/messages";
import { describeReceipt } from "@/lib/consent/receipt";
import { requireMember } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { updateContactAction } from "../actions";
import { ContactForm } from "../contact-form";
import { ConsentHistory, GdprPanel } from "./consent-panel";

export const metadata = { title: "Contact" };

const fmt = (d: Date) => d.toISOString().replace("T", " ").slice(0, 16);

export default async function ContactPage(props: { params: Promise<{ workspace: string; contactId: string }> }) {
  const { workspace, contactId } = await props.params;
  const member = await requireMember(workspace);
  if (!z.uuid().safeParse(contactId).success) notFound();
  const db = getDb();
  const q = { workspaceId: member.workspace.id, contactId };
  const contact = await getContact(db, q);
  if (!contact) notFound();
  const [tags, timeline] = await Promise.all([contactTagNames(db, q), contactTimeline(db, q)]);
  const receipts = await messageReceipts(db, { workspaceId: q.workspaceId, messageIds: timeline.flatMap((t) => (t.kind === "message" && t.ref ? [t.ref] : [])) });
  return (
    <>
      <Link href={`/w/${workspace}/contacts`} className="text-sm text-brand-600 hover:underline">← Contacts</Link>
      <div className="mt-2 flex items-baseline gap-3">
        <h1 className="text-2xl font-semibold" data-testid="contact-email">{contact.email}</h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-sm text-slate-700" data-testid="contact-status">{contact.status}</span>
      </div>
      <p className="mt-1 text-sm text-slate-600">
        Added {fmt(contact.createdAt)} via {contact.source}
        {contact.externalId ? ` · your id: ${contact.externalId}` : ""}
        {tags.length ? ` · tags: ${tags.join(", ")}` : ""}
      </p>
      <div className="mt-6 grid gap-10 lg:grid-cols-2">
        <section>
          <h2 className="mb-3 text-base font-semibold">Profile</h2>
          <ContactForm workspace={workspace} action={updateContactAction} contact={contact} disabled={!can(member.role, "contacts.edit")} submitLabel="Save contact" />
        </section>
        <section>
          <h2 className="text-base font-semibold">Consent history</h2>
          <ConsentHistory workspaceId={member.workspace.id} contactId={contact.id} />
          <GdprPanel workspace={workspace} contactId={contact.id} erased={contact.status === "erased"} canExport={can(member.role, "contacts.export")} canErase={can(member.role, "contacts.erase")} />
          <h2 className="mt-8 text-base font-semibold">Timeline</h2>
          {timeline.length === 0 ? (
            <p className="mt-2 text-sm text-slate-500">Nothing yet. Tracked events, messages and flow enrollments appear here.</p>
          ) : (
            <ol className="mt-2 space-y-1 text-sm" data-testid="timeline">
              {timeline.map((t, i) => {
                const receipt = t.ref ? receipts.get(t.ref) : undefined;
                return (
                  <li key={i} className="flex gap-3" data-testid={t.kind === "message" ? "timeline-message" : undefined}>
                    <span className="w-32 shrink-0 text-slate-500">{fmt(t.at)}</span>
                    <span className="w-20 shrink-0 text-xs uppercase tracking-wide text-slate-500">{t.kind}</span>
                    <span>
                      {t.kind === "message" && t.ref ? (
                        <Link className="font-medium text-brand-600 hover:underline" href={`/w/${workspace}/messages/${t.ref}`}>{t.title}</Link>
                      ) : (
                        <span className="font-medium">{t.title}</span>
                      )}{" "}
                      <span className="break-all text-slate-500">{t.detail === "{}" ? "" : t.detail}</span>
                      {receipt ? <span className="block text-xs text-slate-500" data-testid="timeline-receipt">{describeReceipt(receipt)}</span> : null}
                    </span>
                  </li>
                );
              })}
            </ol>
          )}
        </section>
      </div>
    </>
  );
}
