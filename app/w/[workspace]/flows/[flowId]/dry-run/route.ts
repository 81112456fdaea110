import { z } from "zod";
import { getDb } from "@/db/client";
import { getFlowForEditor } from "@/db/queries/flows";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { currentUser } from "@/lib/server/auth/member";
import { loadDryRunFacts } from "@/lib/server/flows/dry-run";
import { can } from "@/lib/auth/permissions";
import { now } from "@/lib/clock";
import { dryRunQuerySchema } from "@/lib/dry-run/facts";
import { apiErrorCodeOf } from "@/lib/api/errors";

/** The query parameter each field of dryRunQuerySchema is read from, to name it in a refusal. */
const PARAM = { contact: "contact", templates: "template", events: "event", segments: "segment" } as const;

/** A JSON refusal as the request proxy and the REST API answer: `field` names the query parameter at fault. */
function refuse(status: 400 | 404, message: string, field?: string) {
  return Response.json({ error: { code: apiErrorCodeOf(status), message, ...(field ? { field } : {}) } }, { status, headers: { "cache-control": "no-store" } });
}

/**
 * GET ?contact=<id>[&template=…&event=…&segment=…, each repeatable]: the contact's whole state as the runner
 * would read it now, for the editor's dry run (docs/flows.md#the-dry-run). Any member may run
 * one (viewers too); another workspace's flow or contact is a 404; a malformed query is a 400 whose
 * `field` names the parameter (`contact`, `template`, `event`, `segment`).
 */
export async function GET(req: Request, route: { params: Promise<{ workspace: string; flowId: string }> }) {
  const { workspace, flowId } = await route.params;
  const notFound = () => refuse(404, "There is no such flow or contact in this workspace.");
  const user = await currentUser();
  if (!user || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(workspace) || !z.uuid().safeParse(flowId).success) return notFound();
  const url = new URL(req.url);
  const contacts = url.searchParams.getAll("contact");
  if (contacts.length > 1) return refuse(400, "contact: give one contact", "contact");
  const parsed = dryRunQuerySchema.safeParse({
    contact: contacts[0] ?? "",
    templates: url.searchParams.getAll("template"),
    events: url.searchParams.getAll("event"),
    segments: url.searchParams.getAll("segment"),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0];
    const field = typeof key === "string" && key in PARAM ? PARAM[key as keyof typeof PARAM] : "query";
    return refuse(400, `${field}: ${issue?.message ?? "not understood"}`, field);
  }
  const db = getDb();
  const m = await getMembershipBySlug(db, { userId: user.id, slug: workspace });
  if (!m || !can(m.role, "workspace.read")) return notFound();
  const flow = await getFlowForEditor(db, { workspaceId: m.workspace.id, flowId });
  if (!flow) return notFound();
  const facts = await loadDryRunFacts(db, { ...parsed.data, workspaceId: m.workspace.id, at: now() });
  if (!facts) return notFound();
  return Response.json(facts, { headers: { "cache-control": "no-store" } });
}
