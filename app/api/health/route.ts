import { sql } from "drizzle-orm";
import { getDb } from "../../../db/client";

export const dynamic = "force-dynamic";

/** Liveness and database reachability, for the supervisor, tests and load balancers. */
export async function GET() {
  try {
    await getDb().execute(sql`select 1`);
    return Response.json({ ok: true, database: "up" });
  } catch {
    return Response.json({ ok: false, database: "unreachable" }, { status: 503 });
  }
}
