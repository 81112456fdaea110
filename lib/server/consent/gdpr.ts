import "server-only";
import type { Db } from "@/db/client";
import { contactDataExport, eraseContactData } from "@/db/queries/consent";
import { getContact } from "@/db/queries/contacts";
import { activeEnrollmentsOfContact, finishEnrollment } from "@/db/queries/enrollments";
import { suppressAddress } from "@/db/queries/suppressions";
import type { ConsentEmit } from "./record";

/**
 * Data-subject requests. Export: everything held about a contact, as JSON. Erase: personal data
 * deleted (the consent ledger keeps only each row's skeleton), the address kept only as an HMAC
 * in suppressions (reason `erased`) so it is not silently re-added, running flows ended.
 */

export async function exportContact(db: Db, q: { workspaceId: string; contactId: string; at: Date }) {
  const data = await contactDataExport(db, q);
  if (!data) return undefined;
  return {
    format: "tillit.contact-export.v1",
    exportedAt: q.at.toISOString(),
    ...data,
  };
}

export async function eraseContact(db: Db, q: { workspaceId: string; contactId: string; at: Date; emit?: ConsentEmit }) {
  const contact = await getContact(db, q);
  if (!contact) return undefined;
  if (contact.status === "erased") return { alreadyErased: true, endedEnrollments: 0 };
  // First the suppression: should anything after fail, the address still cannot be mailed.
  await suppressAddress(db, { workspaceId: q.workspaceId, email: contact.email, reason: "erased" });
  let ended = 0;
  for (const e of await activeEnrollmentsOfContact(db, q)) {
    if (await finishEnrollment(db, { workspaceId: q.workspaceId, enrollmentId: e.id, status: "exited", reason: "erased", at: q.at })) ended++;
  }
  await eraseContactData(db, q);
  if (q.emit) {
    await q.emit([{ name: "contact/unsubscribed", data: { workspaceId: q.workspaceId, contactId: q.contactId, source: "erasure" } }]).catch((err: unknown) => {
      console.error("consent: could not send contact/unsubscribed after erasure", err);
    });
  }
  return { alreadyErased: false, endedEnrollments: ended };
}
