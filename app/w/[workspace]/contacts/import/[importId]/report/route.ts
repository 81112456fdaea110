import { z } from "zod";
import { getDb } from "@/db/client";
import { getImport, importIssuePages } from "@/db/queries/imports";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { currentUser } from "@/lib/server/auth/member";
import { can } from "@/lib/auth/permissions";
import { csvLine } from "@/lib/csv";
import { settingsSchema } from "@/lib/import/mapping";

/** An import's report: one line per row that was rejected or skipped, with the reason and the original cells. */
export async function GET(_req: Request, ctx: { params: Promise<{ workspace: string; importId: string }> }) {
  const { workspace, importId } = await ctx.params;
  const user = await currentUser();
  if (!user) return new Response("sign in first", { status: 401 });
  const db = getDb();
  const m = /^[a-z0-9][a-z0-9-]{1,62}$/.test(workspace) ? await getMembershipBySlug(db, { userId: user.id, slug: workspace }) : undefined;
  if (!m || !z.uuid().safeParse(importId).success) return new Response("import not found", { status: 404 });
  const imp = await getImport(db, { workspaceId: m.workspace.id, importId });
  if (!imp) return new Response("import not found", { status: 404 });
  if (!can(m.role, "contacts.import")) return new Response(`your role (${m.role}) cannot see import reports`, { status: 403 });
  const header = settingsSchema.safeParse(imp.settings).data?.header ?? [];
  const enc = new TextEncoder();
  const pages = importIssuePages(db, { workspaceId: m.workspace.id, importId });
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(csvLine(["row", "outcome", "reason", ...header])));
        return;
      }
      const next = await pages.next();
      if (next.done) return controller.close();
      controller.enqueue(enc.encode(next.value.map((r) => csvLine([r.rowNumber, r.outcome, r.reason, ...r.raw])).join("")));
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
  const name = imp.fileName.replace(/\.csv$/i, "").replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 60) || "import";
  return new Response(body, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}-report.csv"`, "cache-control": "no-store" },
  });
}
