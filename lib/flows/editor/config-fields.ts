import { z } from "zod";
import { isNodeKind, nodeCatalog, type FieldWidget } from "../catalog";
import { MS, parseDuration } from "../duration";

/**
 * The pure half of the node panel's form (app/…/_editor/config-form.tsx): the JSON Schema it is
 * built from, and what each field starts as, is called, suggests and reads back. Which widget a
 * field gets is the catalog's to say, in the field's metadata (`FieldWidget`); nothing here looks
 * at a field's name except to make its label.
 */

/** The part of a JSON Schema the form reads, with the catalog's field hints. */
export type FieldSchema = {
  type?: string | string[];
  properties?: Record<string, FieldSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: FieldSchema[];
  oneOf?: FieldSchema[];
  items?: FieldSchema;
  default?: unknown;
  additionalProperties?: FieldSchema | boolean;
  minimum?: number;
  widget?: FieldWidget;
  title?: string;
  placeholder?: string;
  help?: string;
};

/** A node kind's config as the form sees it (input side: defaults may be left out); null for unknown kinds. */
export function configFieldSchema(kind: string): FieldSchema | null {
  if (!isNodeKind(kind)) return null;
  return z.toJSONSchema(nodeCatalog[kind].configSchema, { io: "input", unrepresentable: "any" }) as FieldSchema;
}

export function isNull(s: FieldSchema): boolean {
  return s.type === "null";
}

/** The field's label: its hint's title, else its name in words ("timeoutMs" → "Timeout", "segmentId" → "Segment"). */
export function fieldLabel(name: string, s?: FieldSchema): string {
  if (s?.title) return s.title;
  const base = name.replace(/Ms$/, "").replace(/Id$/, "");
  const words = base.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The property every variant of a tagged union fixes to a constant (condition mode, rule type), or null. */
export function discriminator(variants: FieldSchema[]): string | null {
  const first = variants[0]?.properties;
  if (!first) return null;
  for (const [k, v] of Object.entries(first)) if (v.const !== undefined && variants.every((x) => x.properties?.[k]?.const !== undefined)) return k;
  return null;
}

/** A starting value for a schema: its default, else an empty value of its type. */
export function initial(s: FieldSchema): unknown {
  if (s.default !== undefined) return structuredClone(s.default);
  if (s.const !== undefined) return s.const;
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return initial(variants.find((v) => !isNull(v)) ?? variants[0]!);
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(s.properties ?? {})) if (s.required?.includes(k) || p.default !== undefined) out[k] = initial(p);
    return out;
  }
  if (t === "array") return [];
  if (t === "string") return s.enum ? s.enum[0] : "";
  if (t === "integer" || t === "number") return s.minimum !== undefined && s.minimum > 0 ? s.minimum : 0;
  if (t === "boolean") return false;
  return null;
}

/**
 * A new list item. Items with an id (condition branches, split branches) get a fresh one, since
 * it names their exit handle, with a label to match, and a weight when they have one.
 */
export function freshItem(item: FieldSchema, list: readonly unknown[]): unknown {
  const fresh = initial(item);
  if (fresh && typeof fresh === "object" && "id" in (item.properties ?? {})) {
    const taken = new Set(list.map((x) => (x as { id?: string } | null)?.id));
    let n = list.length + 1;
    while (taken.has(`b${n}`)) n++;
    Object.assign(fresh, { id: `b${n}`, label: `Branch ${n}`, ...("weight" in (item.properties ?? {}) ? { weight: 50 } : {}) });
  }
  return fresh;
}

const placeholders: Partial<Record<FieldWidget, string>> = {
  time: "09:00",
  "date-time": "2026-05-01T09:00:00+02:00",
  "time-zone": "workspace default",
};

/** What an empty text field shows: the hint's own placeholder, else its widget's example. */
export function placeholderFor(s: FieldSchema): string | undefined {
  return s.placeholder ?? (s.widget ? placeholders[s.widget] : undefined);
}

/** The suggestion lists the form renders once (`<datalist>` ids), by widget. */
export const suggestionLists = { tag: "picker-tags", event: "picker-events", attribute: "picker-attributes", "time-zone": "picker-zones" } as const;

/** The suggestion list a text field offers, if its widget has one. */
export function suggestionsFor(s: FieldSchema): string | undefined {
  return s.widget !== undefined && s.widget in suggestionLists ? suggestionLists[s.widget as keyof typeof suggestionLists] : undefined;
}

/** Is this number field typed as a duration, may it be negative, and in what unit is it stored (ms, or hours)? */
export function durationKind(s: FieldSchema): { signed: boolean; unitMs: number } | null {
  if (s.widget === "duration") return { signed: false, unitMs: 1 };
  if (s.widget === "signed-duration") return { signed: true, unitMs: 1 };
  if (s.widget === "duration-hours") return { signed: false, unitMs: MS.hour };
  return null;
}

/** A typed duration in the field's unit ("2 days" → 48 for hours); null when it is none, or not whole units. */
export function parseInUnit(text: string, kind: { signed: boolean; unitMs: number }): number | null {
  const ms = parseSigned(text, kind.signed);
  if (ms === null || ms % kind.unitMs !== 0) return null;
  return ms / kind.unitMs;
}

/** A typed duration as milliseconds; signed fields take a leading "-" and read "" or "0" as 0. null: not a duration. */
export function parseSigned(text: string, signed: boolean): number | null {
  const t = text.trim();
  if (signed && t.startsWith("-")) {
    const ms = parseDuration(t.slice(1));
    return ms === null ? null : -ms;
  }
  if (signed && (t === "0" || t === "")) return 0;
  return parseDuration(t);
}

/** A scalar as the text that `scalar` reads back: a list as "a, b"; anything but a plain scalar as JSON. */
export function scalarText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Typed text as a filter's value: numbers, true/false/null, a comma list as a list; empty is no value. */
export function scalar(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  if (t.includes(",")) return t.split(",").map((x) => scalar(x) ?? "");
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

/** A string map (webhook headers) as "Name: value" lines, and back. */
export function headerLines(value: Record<string, string>): string {
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

export function parseHeaderLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.split(/:(.*)/s).map((x) => x.trim()))
      .filter((p) => p[0])
      .map((p) => [p[0]!, p[1] ?? ""]),
  );
}
