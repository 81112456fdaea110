import { z } from "zod";
import { getDb } from "@/db/client";
import { getSegment, segmentMembers } from "@/db/queries/segments";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { csvLine } from "@/lib/csv";
import { currentUser } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";

/** The segment's members as CSV, streamed page by page (admins: exporting personal data). */
export async function GET(_req: Request, ctx: { params: Promise<{ workspace: string; segmentId: string }> }) {
  const { workspace, segmentId } = await ctx.params;
  const user = await currentUser();
  if (!user) return new Response("sign in first", { status: 401 });
  const db = getDb();
  const m = /^[a-z0-9][a-z0-9-]{1,62}$/.test(workspace) ? await getMembershipBySlug(db, { userId: user.id, slug: workspace }) : undefined;
  if (!m || !z.uuid().safeParse(segmentId).success) return new Response("segment not found", { status: 404 });
  const segment = await getSegment(db, { workspaceId: m.workspace.id, segmentId });
  if (!segment) return new Response("segment not found", { status: 404 });
  if (!can(m.role, "contacts.export")) return new Response(`your role (${m.role}) cannot export contacts`, { status: 403 });
  const at = now();
  const enc = new TextEncoder();
  const pages = segmentMembers(db, { workspaceId: m.workspace.id, definition: segment.definition, now: at });
  let header = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!header) {
        header = true;
        controller.enqueue(enc.encode(csvLine(["id", "email", "first_name", "last_name", "status", "created_at"])));
        return;
      }
      const next = await pages.next();
      if (next.done) return controller.close();
      controller.enqueue(enc.encode(next.value.map((c) => csvLine([c.id, c.email, c.firstName, c.lastName, c.status, c.createdAt.toISOString()])).join("")));
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
  const name = segment.name.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 60) || "segment";
  return new Response(body, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}-${at.toISOString().slice(0, 10)}.csv"`, "cache-control": "no-store" },
  });
}
