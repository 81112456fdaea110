import { z } from "zod";
import { getDb } from "@/db/client";
import { recordAudit } from "@/db/queries/audit";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { currentUser } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { exportContact } from "@/lib/server/consent/gdpr";

/** The contact page's "Export data" download: the same JSON as GET /api/v1/contacts/{id}/export. */
export async function GET(_req: Request, route: { params: Promise<{ workspace: string; contactId: string }> }) {
  const { workspace, contactId } = await route.params;
  const notFound = () => new Response("Not found", { status: 404 });
  const user = await currentUser();
  if (!user || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(workspace) || !z.uuid().safeParse(contactId).success) return notFound();
  const db = getDb();
  const m = await getMembershipBySlug(db, { userId: user.id, slug: workspace });
  if (!m || !can(m.role, "contacts.export")) return notFound();
  const data = await exportContact(db, { workspaceId: m.workspace.id, contactId, at: now() });
  if (!data) return notFound();
  await recordAudit(db, { workspaceId: m.workspace.id, actorUserId: user.id, action: "contact.exported", targetType: "contact", targetId: contactId });
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="contact-${contactId}.json"`,
      "cache-control": "no-store",
    },
  });
}
