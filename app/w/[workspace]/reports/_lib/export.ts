import "server-only";
import { getDb } from "@/db/client";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { resolveRange, type DateRange } from "@/lib/analytics/date-range";
import { currentUser } from "@/lib/server/auth/member";
import { now } from "@/lib/clock";

/**
 * For the CSV export route handlers: the member of the workspace in the URL, or the response to
 * send instead (401 signed out; 404 for non-members, so a workspace's existence is not revealed).
 */
export async function exportMember(slug: string): Promise<{ workspaceId: string } | { response: Response }> {
  const user = await currentUser();
  if (!user) return { response: new Response("Sign in to export reports.\n", { status: 401 }) };
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) return { response: new Response("Not found\n", { status: 404 }) };
  const m = await getMembershipBySlug(getDb(), { userId: user.id, slug });
  if (!m) return { response: new Response("Not found\n", { status: 404 }) };
  return { workspaceId: m.workspace.id };
}

export function rangeOf(url: string): DateRange {
  const p = new URL(url).searchParams;
  return resolveRange({ range: p.get("range"), from: p.get("from"), to: p.get("to") }, now());
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function csvResponse(body: string, filename: string): Response {
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "cache-control": "private, no-store",
    },
  });
}
