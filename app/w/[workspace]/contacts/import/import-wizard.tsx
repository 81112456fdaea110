"use client";

import Papa from "papaparse";
import { useMemo, useState } from "react";
import type { ActionState } from "@/lib/server/auth/action";
import { attributeTypes, duplicateRows, guessMapping, mappingSchema, rowToContact, targets, type Column, type Mapping } from "@/lib/import/mapping";
import { button, input, label } from "@/app/_components/styles";
import { Table } from "@/app/_components/ui/table";
import { finishImportAction, importChunkAction, startImportAction } from "./actions";

const targetLabels: Record<(typeof targets)[number], string> = {
  ignore: "Don't import",
  email: "Email",
  first_name: "First name",
  last_name: "Last name",
  external_id: "External id",
  time_zone: "Time zone",
  attribute: "Attribute",
};

/** Rows per request, and a byte budget so wide files stay under the request size limit. */
const CHUNK_ROWS = 2000;
const CHUNK_BYTES = 600_000;

type Parsed = { fileName: string; header: string[]; rows: string[][] };
type Totals = { status: string; received: number; created: number; updated: number; skipped: number; rejected: number };

/** Calls an import action with its typed input, sending it again when the answer was lost. */
async function call<I, T>(action: (p: ActionState<T> | undefined, input: I) => Promise<ActionState<T>>, input: Exclude<I, FormData>, attempts = 3): Promise<ActionState<T>> {
  for (let i = 1; ; i++) {
    try {
      return await action(undefined, input);
    } catch (err) {
      // A lost response: the chunk is applied once on the server, so sending it again is safe.
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

export function ImportWizard(props: { workspace: string; doubleOptIn: boolean }) {
  const [parsed, setParsed] = useState<Parsed | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [mapping, setMapping] = useState<Mapping>([]);
  const [tags, setTags] = useState("");
  const [statement, setStatement] = useState("");
  const [mode, setMode] = useState<"update" | "skip">("update");
  const [progress, setProgress] = useState<{ sent: number; total: number; importId: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<(Totals & { importId: string }) | null>(null);
  const running = progress !== null && result === null && error === null;

  const onFile = (file: File | undefined) => {
    setParsed(null);
    setResult(null);
    setError(null);
    setProgress(null);
    setParseError(null);
    if (!file) return;
    Papa.parse<string[]>(file, {
      skipEmptyLines: false,
      complete: (r) => {
        const data = r.data;
        // A final line break is not a row.
        while (data.length > 0 && data[data.length - 1]!.length === 1 && data[data.length - 1]![0] === "") data.pop();
        const [header, ...rows] = data;
        if (!header || rows.length === 0) {
          setParseError("The file has no data rows: the first row must name the columns.");
          return;
        }
        setParsed({ fileName: file.name, header, rows });
        setMapping(guessMapping(header, rows.slice(0, 20)));
      },
      error: (e) => setParseError(`Could not read the file: ${e.message}`),
    });
  };

  const mappingCheck = useMemo(() => mappingSchema.safeParse(mapping), [mapping]);
  const preview = useMemo(() => (parsed && mappingCheck.success ? parsed.rows.slice(0, 5).map((r) => rowToContact(r, mapping)) : []), [parsed, mapping, mappingCheck.success]);
  const tagList = tags.split(",").map((t) => t.trim()).filter(Boolean);
  const statementOk = statement.trim().length >= 20;

  const setColumn = (i: number, c: Column) => setMapping(mapping.map((x, j) => (j === i ? c : x)));

  const start = async () => {
    if (!parsed || !mappingCheck.success || !statementOk) return;
    setError(null);
    setResult(null);
    const started = await call(startImportAction, {
      workspace: props.workspace,
      fileName: parsed.fileName,
      totalRows: parsed.rows.length,
      mode,
      statement,
      settings: { mapping, tags: tagList, header: parsed.header },
    });
    if (!started.ok || !started.data?.importId) {
      setError(started.message ?? "The import could not start");
      return;
    }
    const importId = started.data.importId;
    const emailColumn = mapping.findIndex((c) => c.target === "email");
    const dups = duplicateRows(parsed.rows, emailColumn);
    setProgress({ sent: 0, total: parsed.rows.length, importId });
    let i = 0;
    while (i < parsed.rows.length) {
      let bytes = 0;
      let end = i;
      while (end < parsed.rows.length && end - i < CHUNK_ROWS && bytes < CHUNK_BYTES) bytes += JSON.stringify(parsed.rows[end++]).length;
      const firstRow = i + 1;
      const chunkDups: Record<string, number> = {};
      for (let n = firstRow; n <= end; n++) if (dups[n] !== undefined) chunkDups[n] = dups[n]!;
      let r: ActionState<unknown>;
      try {
        r = await call(importChunkAction, { workspace: props.workspace, importId, firstRow, rows: parsed.rows.slice(i, end), duplicates: chunkDups });
      } catch {
        r = { ok: false, message: "The connection failed" };
      }
      if (!r.ok) {
        setError(`${r.message ?? "A chunk failed"} — stopped after ${i.toLocaleString("en")} rows; the report lists what was received.`);
        break;
      }
      i = end;
      setProgress({ sent: i, total: parsed.rows.length, importId });
    }
    const done = await call(finishImportAction, { workspace: props.workspace, importId });
    if (done.ok && done.data) {
      setResult({ importId, ...done.data });
    } else setError(done.message ?? "The import could not be finished");
  };

  return (
    <div className="mt-6 space-y-6">
      <div>
        <label htmlFor="csv-file" className={label}>CSV file</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" disabled={running} className={`${input} max-w-md`} onChange={(e) => onFile(e.target.files?.[0])} />
        <p className="mt-1 text-xs text-slate-500">The first row names the columns. Read in your browser; rows are sent in chunks.</p>
        {parseError ? <p role="alert" className="mt-2 text-sm text-red-700">{parseError}</p> : null}
      </div>

      {parsed ? (
        <>
          <section>
            <h2 className="text-lg font-semibold">Columns</h2>
            <p className="text-sm text-slate-600" data-testid="import-rows">{parsed.rows.length.toLocaleString("en")} rows in {parsed.fileName}</p>
            <Table
              caption={`Columns of ${parsed.fileName}`}
              testId="import-mapping"
              className="mt-2"
              rows={parsed.header.map((h, i) => ({ h, i }))}
              rowKey={({ i }) => String(i)}
              columns={[
                { header: "Column", className: "font-medium", cell: ({ h, i }) => h || `(column ${i + 1})` },
                { header: "Sample", className: "max-w-xs truncate text-slate-500", cell: ({ i }) => parsed.rows.slice(0, 3).map((r) => r[i] ?? "").join(" · ") },
                {
                  header: "Import as",
                  cell: ({ h, i }) => {
                    const c = mapping[i] ?? { target: "ignore" };
                    return (
                      <div className="flex flex-wrap gap-2">
                        <select aria-label={`Import ${h} as`} className={`${input} mt-0 w-40`} value={c.target} disabled={running} onChange={(e) => {
                          const t = e.target.value as Column["target"];
                          setColumn(i, t === "attribute" ? { target: t, attribute: c.attribute ?? h.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").replace(/^([0-9])/, "a_$1").slice(0, 50), type: c.type ?? "string" } : { target: t });
                        }}>
                          {targets.map((t) => (
                            <option key={t} value={t}>{targetLabels[t]}</option>
                          ))}
                        </select>
                        {c.target === "attribute" ? (
                          <>
                            <input aria-label={`Attribute name for ${h}`} className={`${input} mt-0 w-40`} value={c.attribute ?? ""} disabled={running} onChange={(e) => setColumn(i, { ...c, attribute: e.target.value })} />
                            <select aria-label={`Type of ${h}`} className={`${input} mt-0 w-28`} value={c.type ?? "string"} disabled={running} onChange={(e) => setColumn(i, { ...c, type: e.target.value as Column["type"] })}>
                              {attributeTypes.map((t) => (
                                <option key={t} value={t}>{t}</option>
                              ))}
                            </select>
                          </>
                        ) : null}
                      </div>
                    );
                  },
                },
              ]}
            />
            {!mappingCheck.success ? <p role="alert" className="mt-2 text-sm text-red-700">{mappingCheck.error.issues[0]?.message}</p> : null}
          </section>

          {preview.length > 0 ? (
            <section>
              <h2 className="text-lg font-semibold">Preview</h2>
              <ul className="mt-2 space-y-1 text-sm" data-testid="import-preview">
                {preview.map((p, i) =>
                  p.ok ? (
                    <li key={i}>Row {i + 1}: <span className="font-medium">{p.contact.email}</span> {[p.contact.firstName, p.contact.lastName].filter(Boolean).join(" ")}{" "}
                      <span className="text-slate-500">{JSON.stringify(p.contact.attributes)}</span></li>
                  ) : (
                    <li key={i} className="text-red-700">Row {i + 1}: will be in the report — {p.reason}</li>
                  ),
                )}
              </ul>
            </section>
          ) : null}

          <section className="grid max-w-3xl gap-4">
            <div>
              <label htmlFor="import-statement" className={label}>Where and how did these people consent? (required)</label>
              <textarea id="import-statement" rows={3} value={statement} disabled={running} onChange={(e) => setStatement(e.target.value)} className={input}
                placeholder="Signed up for the newsletter at our stand at the Bergen trade fair, 2 May 2025; paper forms kept on file." />
              <p className="mt-1 text-xs text-slate-500">Stored with every imported contact&apos;s opt-in record. {props.doubleOptIn ? "They will still need to confirm (double opt-in)." : ""}</p>
            </div>
            <div>
              <label htmlFor="import-tags" className={label}>Tags to add (comma-separated)</label>
              <input id="import-tags" value={tags} disabled={running} onChange={(e) => setTags(e.target.value)} className={input} placeholder="Trade fair 2025" />
            </div>
            <fieldset disabled={running}>
              <legend className={label}>Contacts that already exist</legend>
              <label className="mt-1 flex items-center gap-2 text-sm"><input type="radio" name="mode" checked={mode === "update"} onChange={() => setMode("update")} /> Update them (fill in names and attributes from the file)</label>
              <label className="flex items-center gap-2 text-sm"><input type="radio" name="mode" checked={mode === "skip"} onChange={() => setMode("skip")} /> Skip them (listed in the report)</label>
            </fieldset>
            <div>
              <button type="button" className={button} disabled={running || !mappingCheck.success || !statementOk} onClick={() => void start()}>
                Import {parsed.rows.length.toLocaleString("en")} rows
              </button>
              {!statementOk ? <p className="mt-1 text-xs text-slate-500">Describe the consent source (at least 20 characters) to import.</p> : null}
            </div>
          </section>
        </>
      ) : null}

      {progress ? (
        <section className="max-w-3xl" aria-live="polite">
          <div className="h-3 w-full overflow-hidden rounded bg-slate-200">
            <div role="progressbar" aria-label="Import progress" aria-valuemin={0} aria-valuemax={progress.total} aria-valuenow={progress.sent}
              className="h-full bg-brand-600 transition-all" style={{ width: `${(100 * progress.sent) / progress.total}%` }} />
          </div>
          <p className="mt-1 text-sm text-slate-600" data-testid="import-progress">{progress.sent.toLocaleString("en")} of {progress.total.toLocaleString("en")} rows sent</p>
        </section>
      ) : null}
      {error ? <p role="alert" className="text-sm text-red-700">{error}</p> : null}
      {result ? (
        <section className="max-w-3xl rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm" data-testid="import-result">
          <p className="font-medium">Import {result.status}: {result.received.toLocaleString("en")} rows</p>
          <p data-testid="import-totals">
            {result.created.toLocaleString("en")} created · {result.updated.toLocaleString("en")} updated · {result.skipped.toLocaleString("en")} skipped · {result.rejected.toLocaleString("en")} rejected
          </p>
          {result.skipped + result.rejected > 0 ? (
            <a className="mt-2 inline-block text-brand-600 hover:underline" href={`/w/${props.workspace}/contacts/import/${result.importId}/report`} download>
              Download the report of {(result.skipped + result.rejected).toLocaleString("en")} rows not imported
            </a>
          ) : <p>Every row became a contact.</p>}
          <a className="mt-2 block text-brand-600 hover:underline" href={`/w/${props.workspace}/contacts/import/${result.importId}`} data-testid="import-page-link">
            {props.doubleOptIn ? "Open the import to ask its unconfirmed contacts to confirm" : "Open the import"}
          </a>
        </section>
      ) : null}
    </div>
  );
}
