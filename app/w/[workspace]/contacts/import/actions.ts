"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { applyImportChunk, createImport, finishImport, ImportNotRunningError } from "@/db/queries/imports";
import { ActionError, formFields, workspaceAction } from "@/lib/server/auth/action";
import { now } from "@/lib/clock";
import { settingsSchema } from "@/lib/import/mapping";

// A chunk of up to 2000 rows, as JSON.
const MAX_JSON = 2_000_000;

export const startImportAction = workspaceAction(
  "contacts.import",
  formFields(
    z.object({
      fileName: z.string().trim().min(1, "choose a file").max(255),
      totalRows: z.number().int().min(1, "the file has no data rows").max(1_000_000, "at most 1,000,000 rows per import"),
      mode: z.enum(["update", "skip"], "choose what happens to existing contacts"),
      statement: z
        .string()
        .trim()
        .min(20, "say where and how these people gave consent (at least 20 characters)")
        .max(2000, "at most 2000 characters"),
      settings: settingsSchema,
    }),
    { totalRows: "number", settings: { json: "the column mapping", maxLength: MAX_JSON } },
  ),
  async ({ db, member, input, audit }) => {
    const { id } = await createImport(db, {
      workspaceId: member.workspace.id,
      fileName: input.fileName,
      mode: input.mode,
      statement: input.statement,
      settings: input.settings,
      totalRows: input.totalRows,
      createdBy: member.user.id,
    });
    await audit({ action: "import.started", targetType: "import", targetId: id });
    return { ok: true, data: { importId: id } };
  },
);

export const importChunkAction = workspaceAction(
  "contacts.import",
  formFields(
    z.object({
      importId: z.uuid("import not found"),
      firstRow: z.number().int().min(1),
      rows: z.array(z.array(z.string().max(20_000)).max(200)).min(1).max(5000),
      /** Row number (as a key) → the earlier row with the same address. */
      duplicates: z.record(z.string().regex(/^\d+$/), z.number().int().min(1)).optional(),
    }),
    {
      firstRow: "number",
      // A row holding text Postgres cannot store becomes a line of the report (applyImportChunk).
      rows: { json: "rows", maxLength: MAX_JSON, unstorable: "keep" },
      duplicates: { json: "duplicates", maxLength: MAX_JSON },
    },
  ),
  async ({ db, member, input }) => {
    try {
      const r = await applyImportChunk(db, {
        workspaceId: member.workspace.id,
        importId: input.importId,
        firstRow: input.firstRow,
        rows: input.rows,
        duplicates: Object.fromEntries(Object.entries(input.duplicates ?? {}).map(([k, v]) => [Number(k), v])),
        actorUserId: member.user.id,
        now: now(),
      });
      return { ok: true, data: { created: r.created, updated: r.updated, skipped: r.skipped, rejected: r.rejected } };
    } catch (err) {
      if (err instanceof ImportNotRunningError) throw new ActionError(err.message, "importId");
      throw err;
    }
  },
);

export const finishImportAction = workspaceAction("contacts.import", z.object({ importId: z.uuid("import not found") }), async ({ db, member, input, audit }) => {
  const row = await finishImport(db, { workspaceId: member.workspace.id, importId: input.importId, now: now() });
  if (!row) throw new ActionError("import not found, or already finished", "importId");
  await audit({ action: "import.finished", targetType: "import", targetId: row.id });
  revalidatePath(`/w/${member.workspace.slug}/contacts`);
  return {
    ok: true,
    data: { status: row.status, received: row.received, created: row.created, updated: row.updated, skipped: row.skipped, rejected: row.rejected },
  };
});
