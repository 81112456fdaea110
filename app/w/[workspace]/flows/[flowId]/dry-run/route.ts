import { z } from "zod";
import { getDb } from "@/db/client";
import { getFlowForEditor } from "@/db/queries/flows";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { currentUser } from "@/lib/server/auth/member";
import { loadDryRunFacts } from "@/lib/server/flows/dry-run";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { dryRunQuerySchema } from "@/lib/dry-run/facts";

/**
 * GET ?contact=<id>[&template=…&event=…&segment=…, each repeatable]: the contact's whole state as the runner
 * would read it now, for the editor's dry run (docs/flows.md#the-dry-run). Any member may run
 * one (viewers too); another workspace's flow or contact is a 404.
 */
export async function GET(req: Request, route: { params: Promise<{ workspace: string; flowId: string }> }) {
  const { workspace, flowId } = await route.params;
  const notFound = () => Response.json({ error: "Not found" }, { status: 404 });
  const user = await currentUser();
  if (!user || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(workspace) || !z.uuid().safeParse(flowId).success) return notFound();
  const url = new URL(req.url);
  const parsed = dryRunQuerySchema.safeParse({
    contact: url.searchParams.get("contact") ?? "",
    templates: url.searchParams.getAll("template"),
    events: url.searchParams.getAll("event"),
    segments: url.searchParams.getAll("segment"),
  });
  if (!parsed.success) return Response.json({ error: `Bad request: ${parsed.error.issues[0]?.path.join(".") || "query"} ${parsed.error.issues[0]?.message ?? ""}`.trim() }, { status: 400 });
  const db = getDb();
  const m = await getMembershipBySlug(db, { userId: user.id, slug: workspace });
  if (!m || !can(m.role, "workspace.read")) return notFound();
  const flow = await getFlowForEditor(db, { workspaceId: m.workspace.id, flowId });
  if (!flow) return notFound();
  const facts = await loadDryRunFacts(db, { ...parsed.data, workspaceId: m.workspace.id, at: now() });
  if (!facts) return notFound();
  return Response.json(facts, { headers: { "cache-control": "no-store" } });
}
