import { normalizeAddress as addressKey } from "../address";
import { storableCopy } from "../storable";
import { rowToContact, type ImportedContact, type Mapping } from "./mapping";

/**
 * What an import does with each row, decided from the facts the database gave (pure: the queries
 * in db/queries/imports.ts fetch the facts and write the outcome). Every row ends as a contact to
 * write or as a line of the report with its reason, in the words the report shows.
 */

export type ImportIssue = { rowNumber: number; outcome: "rejected" | "skipped"; reason: string; raw: string[] };
export type ScreenedRow = { n: number; c: ImportedContact; raw: string[] };


const isTimeZone = (() => {
  let zones: Set<string> | undefined;
  return (tz: string) => {
    zones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
    return zones.has(tz);
  };
})();

/**
 * The first pass over a chunk, needing nothing stored: each row mapped to a contact, or refused
 * for what it holds or for repeating an address or external_id seen earlier in the file
 * (`duplicates`: row → the earlier row, from the browser's pass over the whole file).
 */
export function screenRows(rows: string[][], firstRow: number, mapping: Mapping, duplicates?: Readonly<Record<number, number>>): { issues: ImportIssue[]; good: ScreenedRow[] } {
  const issues: ImportIssue[] = [];
  const good: ScreenedRow[] = [];
  const seen = new Map<string, number>();
  const seenExternal = new Map<string, number>();
  rows.forEach((raw, i) => {
    const n = firstRow + i;
    const r = rowToContact(raw, mapping, isTimeZone);
    // The report keeps the row as sent, less what Postgres cannot store (the reason names it).
    if (!r.ok) return issues.push({ rowNumber: n, outcome: "rejected", reason: r.reason, raw: raw.map(storableCopy) });
    const key = addressKey(r.contact.email);
    const dup = seen.get(key) ?? duplicates?.[n];
    if (dup !== undefined) return issues.push({ rowNumber: n, outcome: "rejected", reason: `same address as row ${dup}`, raw });
    const ext = r.contact.externalId;
    const dupExt = ext ? seenExternal.get(ext) : undefined;
    if (dupExt !== undefined) return issues.push({ rowNumber: n, outcome: "rejected", reason: `same external_id as row ${dupExt}`, raw });
    seen.set(key, n);
    if (ext) seenExternal.set(ext, n);
    good.push({ n, c: r.contact, raw });
  });
  return { issues, good };
}

/** What the database knows about a chunk's addresses. */
export type StoredFacts = {
  /** Suppressed addresses (normalised) and why: "erased", "unsubscribed", "bounced", … */
  suppressed: ReadonlyMap<string, string>;
  /** Addresses (normalised) that are contacts already. */
  existing: ReadonlySet<string>;
  /** external_id → the address key of the contact holding it. */
  owners: ReadonlyMap<string, string>;
};

/**
 * The second pass: which screened rows may be written. An erased address never comes back; a
 * suppressed one does not come back as a new contact (an import does not restore consent); an
 * external_id stays with its contact; "skip" leaves existing contacts alone.
 */
export function admitRows(good: ScreenedRow[], facts: StoredFacts, mode: "update" | "skip"): { issues: ImportIssue[]; apply: ScreenedRow[] } {
  const issues: ImportIssue[] = [];
  const apply: ScreenedRow[] = [];
  for (const g of good) {
    const key = addressKey(g.c.email);
    const reason = facts.suppressed.get(key);
    const refuse = (outcome: ImportIssue["outcome"], why: string) => issues.push({ rowNumber: g.n, outcome, reason: why, raw: g.raw });
    if (reason === "erased") refuse("rejected", "this address was erased at the person's request and cannot be imported again");
    else if (reason && !facts.existing.has(key)) refuse("rejected", `this address is suppressed (${reason}): an import does not restore consent`);
    else if (g.c.externalId && facts.owners.has(g.c.externalId) && facts.owners.get(g.c.externalId) !== key) refuse("rejected", `external_id ${g.c.externalId} belongs to another contact`);
    else if (facts.existing.has(key) && mode === "skip") refuse("skipped", "already a contact (the import skips existing contacts)");
    else apply.push(g);
  }
  return { issues, apply };
}
