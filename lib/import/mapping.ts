import { z } from "zod";
import { UNSTORABLE_MESSAGE, unstorableText } from "../storable";

/**
 * CSV import, the pure part: how columns map onto contacts, how a row becomes a contact or a
 * reason it cannot, and the report. The browser uses it for the preview; the server applies it
 * again to every row it stores.
 */

export const targets = ["ignore", "email", "first_name", "last_name", "external_id", "time_zone", "attribute"] as const;
export type Target = (typeof targets)[number];
export const attributeTypes = ["string", "number", "boolean", "date"] as const;
export type AttributeType = (typeof attributeTypes)[number];

export const columnSchema = z.object({
  target: z.enum(targets),
  /** For target "attribute": the attribute's name and type. */
  attribute: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,49}$/, "attribute names are lower-case letters, digits and _ (e.g. plan_tier)")
    .optional(),
  type: z.enum(attributeTypes).optional(),
});
export type Column = z.infer<typeof columnSchema>;

export const mappingSchema = z
  .array(columnSchema)
  .min(1, "the file has no columns")
  .max(200)
  .superRefine((cols, ctx) => {
    const emails = cols.filter((c) => c.target === "email").length;
    if (emails !== 1) ctx.addIssue({ code: "custom", message: emails === 0 ? "map one column to Email" : "map only one column to Email" });
    const seen = new Set<string>();
    cols.forEach((c, i) => {
      if (c.target === "attribute") {
        if (!c.attribute) ctx.addIssue({ code: "custom", path: [i], message: `column ${i + 1}: name the attribute` });
        else if (seen.has(c.attribute)) ctx.addIssue({ code: "custom", path: [i], message: `column ${i + 1}: ${c.attribute} is mapped twice` });
        else seen.add(c.attribute);
      } else if (c.target !== "ignore") {
        if (seen.has(c.target)) ctx.addIssue({ code: "custom", path: [i], message: `column ${i + 1}: ${c.target} is mapped twice` });
        seen.add(c.target);
      }
    });
  });
export type Mapping = z.infer<typeof mappingSchema>;

export const tagListSchema = z.array(z.string().trim().min(1).max(100)).max(20);

export const settingsSchema = z.object({
  mapping: mappingSchema,
  tags: tagListSchema,
  header: z.array(z.string()).max(200),
});
export type ImportSettings = z.infer<typeof settingsSchema>;

export type ImportedContact = {
  email: string;
  firstName: string | null;
  lastName: string | null;
  externalId: string | null;
  timeZone: string | null;
  attributes: Record<string, string | number | boolean>;
};

const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]+$/;
const TRUE = new Set(["true", "yes", "y", "1"]);
const FALSE = new Set(["false", "no", "n", "0"]);

function typed(raw: string, type: AttributeType, name: string): { ok: true; value: string | number | boolean } | { ok: false; reason: string } {
  switch (type) {
    case "string":
      return raw.length > 500 ? { ok: false, reason: `${name} is longer than 500 characters` } : { ok: true, value: raw };
    case "number": {
      const n = Number(raw);
      return raw !== "" && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, reason: `${name} is not a number: "${raw}"` };
    }
    case "boolean": {
      const v = raw.toLowerCase();
      return TRUE.has(v) ? { ok: true, value: true } : FALSE.has(v) ? { ok: true, value: false } : { ok: false, reason: `${name} is not true or false: "${raw}"` };
    }
    case "date": {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(raw);
      if (!m || Number.isNaN(Date.parse(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`)) || new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`).getUTCDate() !== Number(m[3]))
        return { ok: false, reason: `${name} is not a date (YYYY-MM-DD): "${raw}"` };
      return { ok: true, value: `${m[1]}-${m[2]}-${m[3]}` };
    }
  }
}

/** One data row → a contact, or the reason it cannot be one. Empty cells leave a field unset. */
export function rowToContact(raw: readonly string[], mapping: Mapping, isTimeZone: (tz: string) => boolean = () => true):
  | { ok: true; contact: ImportedContact }
  | { ok: false; reason: string } {
  const c: ImportedContact = { email: "", firstName: null, lastName: null, externalId: null, timeZone: null, attributes: {} };
  if (raw.length === 1 && raw[0]!.trim() === "") return { ok: false, reason: "empty row" };
  const unstorable = raw.findIndex(unstorableText);
  if (unstorable >= 0) return { ok: false, reason: `column ${unstorable + 1}: ${UNSTORABLE_MESSAGE}` };
  for (const [i, col] of mapping.entries()) {
    const cell = (raw[i] ?? "").trim();
    switch (col.target) {
      case "ignore":
        break;
      case "email":
        c.email = cell;
        break;
      case "first_name":
      case "last_name":
        if (cell.length > 100) return { ok: false, reason: `${col.target} is longer than 100 characters` };
        if (col.target === "first_name") c.firstName = cell || null;
        else c.lastName = cell || null;
        break;
      case "external_id":
        if (cell.length > 200) return { ok: false, reason: "external_id is longer than 200 characters" };
        c.externalId = cell || null;
        break;
      case "time_zone":
        if (cell && !isTimeZone(cell)) return { ok: false, reason: `unknown time zone "${cell}"` };
        c.timeZone = cell || null;
        break;
      case "attribute": {
        if (cell === "" || !col.attribute) break;
        const v = typed(cell, col.type ?? "string", col.attribute);
        if (!v.ok) return v;
        c.attributes[col.attribute] = v.value;
        break;
      }
    }
  }
  if (c.email === "") return { ok: false, reason: "no email address" };
  if (c.email.length > 254 || !EMAIL.test(c.email)) return { ok: false, reason: `not a valid email address: "${c.email}"` };
  return { ok: true, contact: c };
}

const slug = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .replace(/^([0-9])/, "a_$1")
    .slice(0, 50) || "column";

/** A first guess at the mapping from the header and some sample rows; the person corrects it. */
export function guessMapping(header: readonly string[], sample: readonly (readonly string[])[]): Mapping {
  const used = new Set<string>();
  return header.map((h, i) => {
    const k = h.trim().toLowerCase().replace(/[\s_-]+/g, "");
    const known: Partial<Record<string, Target>> = {
      email: "email", emailaddress: "email", mail: "email", "e-mail": "email",
      firstname: "first_name", givenname: "first_name", first: "first_name",
      lastname: "last_name", surname: "last_name", familyname: "last_name", last: "last_name",
      externalid: "external_id", userid: "external_id", customerid: "external_id",
      timezone: "time_zone", tz: "time_zone",
    };
    const t = known[k];
    if (t && !used.has(t)) {
      used.add(t);
      return { target: t };
    }
    const values = sample.map((r) => (r[i] ?? "").trim()).filter((v) => v !== "");
    const type: AttributeType =
      values.length > 0 && values.every((v) => /^\d{4}-\d{2}-\d{2}/.test(v))
        ? "date"
        : values.length > 0 && values.every((v) => Number.isFinite(Number(v)))
          ? "number"
          : values.length > 0 && values.every((v) => TRUE.has(v.toLowerCase()) || FALSE.has(v.toLowerCase()))
            ? "boolean"
            : "string";
    let name = slug(h);
    while (used.has(name)) name = `${name}_${i}`.slice(0, 50);
    used.add(name);
    return { target: "attribute", attribute: name, type };
  });
}

/** Rows (1-based) whose address appeared on an earlier row of the file, mapped to that row. */
export function duplicateRows(rows: readonly (readonly string[])[], emailColumn: number): Record<number, number> {
  const first = new Map<string, number>();
  const out: Record<number, number> = {};
  rows.forEach((r, i) => {
    const e = (r[emailColumn] ?? "").trim().toLowerCase();
    if (e === "") return;
    const at = first.get(e);
    if (at === undefined) first.set(e, i + 1);
    else out[i + 1] = at;
  });
  return out;
}
