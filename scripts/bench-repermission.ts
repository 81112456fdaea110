import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { openDb } from "../db/client";
import { applyMigrations } from "../db/migrate";
import { createImport } from "../db/queries/imports";
import { createRepermissionRequest, listRepermissionPage, startAsking } from "../db/queries/repermission";
import { REPERMISSION_LIST_PAGE } from "../inngest/functions/repermission";

type Target = { url: string; embedded: boolean };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `npm run bench repermission [--contacts=N] [--reps=N]` (docs/benchmarks.md#repermission): the
 * fan-out of a re-permission request over an import of N unconfirmed contacts: listing them page
 * by page (the function's `list-<n>` steps, REPERMISSION_LIST_PAGE a page) and fixing the total,
 * against a plain `insert … select` of the same ask rows into the same table, in the same run.
 */
export async function benchRepermission(target: Target, opts: { contacts: number; reps: number }) {
  const h = openDb(target.url, { embedded: target.embedded, max: 2 });
  try {
    await applyMigrations(h.db);
    const w = randomUUID();
    await h.db.execute(sql`insert into workspaces (id, name, slug, double_opt_in_default) values (${w}::uuid, 'Bench re-permission', ${`bench-${w.slice(0, 8)}`}, true)`);
    const imp = await createImport(h.db, {
      workspaceId: w,
      fileName: "bench.csv",
      mode: "update",
      statement: "Signed up at the trade fair stand; paper forms on file",
      settings: { header: ["email"], mapping: [{ target: "email" as const }], tags: [] },
      totalRows: opts.contacts,
      createdBy: null,
    });
    // What an import leaves: unconfirmed contacts, each with its opt-in naming the import.
    let t0 = performance.now();
    await h.db.execute(sql`insert into contacts (workspace_id, email, status, source)
      select ${w}::uuid, 'r' || g || '@bench.example', 'unconfirmed', 'import' from generate_series(1, ${opts.contacts}) g`);
    await h.db.execute(sql`insert into consent_events (workspace_id, contact_id, kind, email, source, wording, data)
      select ${w}::uuid, c.id, 'opt_in', c.email, 'import', 'Signed up at the trade fair stand', jsonb_build_object('importId', ${imp.id}::text)
      from contacts c where c.workspace_id = ${w}::uuid`);
    await h.db.execute(sql`analyze contacts; analyze consent_events`);
    console.log(`repermission: seeded ${opts.contacts.toLocaleString("en")} unconfirmed contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const request = (source: "import") =>
      createRepermissionRequest(h.db, { workspaceId: w, source, importId: imp.id, wording: "bench", at: new Date() });
    const countAsks = async (requestId: string) => {
      const [r] = await h.sql<{ n: number }[]>`select count(*)::int as n from repermission_asks where request_id = ${requestId}::uuid`;
      return r!.n;
    };
    const ours: number[] = [];
    const plain: number[] = [];
    for (let rep = 0; rep < opts.reps; rep++) {
      // Ours: the function's listing steps, one page after the other, then the total fixed.
      const r = await request("import");
      t0 = performance.now();
      let afterId: string | null = null;
      let pages = 0;
      for (;;) {
        const page: { scanned: number; last: string | null } = await listRepermissionPage(h.db, { workspaceId: w, requestId: r.id, afterId, limit: REPERMISSION_LIST_PAGE });
        pages++;
        if (page.scanned < REPERMISSION_LIST_PAGE || page.last === null) break;
        afterId = page.last;
      }
      await startAsking(h.db, { workspaceId: w, requestId: r.id });
      ours.push((performance.now() - t0) / 1000);
      // A page listed again (a retried step) adds nothing.
      await listRepermissionPage(h.db, { workspaceId: w, requestId: r.id, afterId: null, limit: REPERMISSION_LIST_PAGE });
      const listed = await countAsks(r.id);

      // Baseline: the same ask rows in one plain insert … select.
      const b = await request("import");
      t0 = performance.now();
      await h.db.execute(sql`insert into repermission_asks (request_id, workspace_id, contact_id)
        select ${b.id}::uuid, ${w}::uuid, id from contacts where workspace_id = ${w}::uuid`);
      plain.push((performance.now() - t0) / 1000);
      const copied = await countAsks(b.id);
      if (listed !== opts.contacts || copied !== opts.contacts) throw new Error(`repermission bench listed ${listed} and copied ${copied} asks, expected ${opts.contacts}`);
      console.log(`repermission: rep ${rep + 1}: listed ${listed.toLocaleString("en")} in ${pages} pages, ${ours.at(-1)!.toFixed(2)} s; insert … select ${plain.at(-1)!.toFixed(2)} s`);
      await h.db.execute(sql`delete from repermission_requests where workspace_id = ${w}::uuid`);
    }
    const value = median(ours);
    const baseline = median(plain);
    console.log(
      `BENCH repermission value=${value.toFixed(2)} unit=s baseline=${baseline.toFixed(2)} ratio=${(value / baseline).toFixed(2)} target=ratio<=3 (${opts.contacts.toLocaleString("en")} unconfirmed contacts of an import listed in pages of ${REPERMISSION_LIST_PAGE}, vs one insert … select of the same rows)`,
    );
  } finally {
    await h.close();
  }
}
