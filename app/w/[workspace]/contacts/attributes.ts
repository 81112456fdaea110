import { z } from "zod";
import type { AttributeValue } from "@/db/schema/contacts";
import { fieldText } from "@/lib/form-text";

/** Typed contact attributes as the forms send them: rows of name, type and value. */
export const attributeTypes = ["string", "number", "boolean", "date"] as const;
export type AttributeType = (typeof attributeTypes)[number];

export function typeOf(v: AttributeValue): AttributeType {
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(v)) return "date";
  return "string";
}

const nameRule = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,49}$/, "attribute names are lower-case letters, digits and _ (e.g. plan_tier)");

/** Reads attr_name_N / attr_type_N / attr_value_N fields; a row with no name is ignored. */
export function parseAttributeRows(form: Record<string, unknown>): { ok: true; value: Record<string, AttributeValue> } | { ok: false; field: string; message: string } {
  const out: Record<string, AttributeValue> = {};
  for (let i = 0; i < 100; i++) {
    const rawName = form[`attr_name_${i}`];
    if (rawName === undefined) break;
    if (typeof rawName !== "string" || rawName.trim() === "") continue;
    const name = nameRule.safeParse(rawName);
    if (!name.success) return { ok: false, field: `attr_name_${i}`, message: name.error.issues[0]!.message };
    const type = z.enum(attributeTypes).safeParse(form[`attr_type_${i}`]);
    if (!type.success) return { ok: false, field: `attr_type_${i}`, message: "choose a type" };
    const raw = fieldText(form[`attr_value_${i}`]).trim();
    const label = `${name.data}`;
    if (type.data === "number") {
      const n = Number(raw);
      if (raw === "" || !Number.isFinite(n)) return { ok: false, field: `attr_value_${i}`, message: `${label} must be a number` };
      out[name.data] = n;
    } else if (type.data === "boolean") {
      if (raw !== "true" && raw !== "false") return { ok: false, field: `attr_value_${i}`, message: `${label} must be true or false` };
      out[name.data] = raw === "true";
    } else if (type.data === "date") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw))) return { ok: false, field: `attr_value_${i}`, message: `${label} must be a date (YYYY-MM-DD)` };
      out[name.data] = raw;
    } else {
      if (raw.length > 500) return { ok: false, field: `attr_value_${i}`, message: `${label} must be at most 500 characters` };
      out[name.data] = raw;
    }
  }
  return { ok: true, value: out };
}
