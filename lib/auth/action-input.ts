import type { z } from "zod";
import { UNSTORABLE_MESSAGE, unstorableField, unstorablePath } from "../storable";

/**
 * The input side of a workspace action (lib/server/auth/action `workspaceAction`), pure so it can
 * be tested without a session. An action's zod schema describes its input as a typed object, the
 * way code calls it: `{ workspace, flowId, revision: 3, graph: {…}, force: true }`. A `<form>`
 * posts the same input as FormData, every value a string; the form-only coercions an action needs
 * (a number input, a checkbox, a field holding JSON) are declared once beside its schema with
 * `formFields`, and applied to form posts only, so typed callers cannot send "1" for `true`.
 *
 * Either way the input is checked in two steps: `readActionInput` (before the session is looked
 * up: it is a form or a plain object, and holds no text Postgres cannot store, naming the field),
 * then `parseActionInput` (after the permission check: coercions, then the schema; every error
 * names its field). docs/layout.md says where pure modules live.
 */

/** What an action answers; `data` is typed by the action's handler. */
export type ActionState<T = never> = {
  ok: boolean;
  message?: string;
  /** Field name → message, for forms to show beside the input. */
  fieldErrors?: Record<string, string>;
  /** What the action hands back (a new revision, a preview, a new API key shown once). */
  data?: T;
};

/** How one field of an action's input is read from a form post (and named in messages). */
export type FormField =
  /** A number input: "12" → 12, "" → absent; anything else is refused. */
  | "number"
  /** A checkbox: "on", "1", "true" → true; absent, "", "0", "false", "off" → false. */
  | "boolean"
  /**
   * A field holding JSON (a segment definition, a flow graph, an import's rows). `json` names it in
   * messages, typed or posted; `maxLength` bounds its JSON text, and `unstorable: "keep"` leaves
   * text Postgres cannot store in it to the handler to judge item by item.
   */
  | { json: string; maxLength?: number; unstorable?: "keep" };

type Fields = Partial<Record<string, FormField>>;

/** An action's input: its schema, and how form posts reach it. */
export type InputSpec<S extends z.ZodType = z.ZodType> = { schema: S; formFields: Fields };

/** Declares the form-only coercions (and JSON fields) of an action's input schema. */
export function formFields<S extends z.ZodType>(schema: S, fields: { [K in keyof z.input<S> & string]?: FormField }): InputSpec<S> {
  return { schema, formFields: fields };
}

/** The spec of an action declared with a bare schema (no form-only coercions) or with `formFields`. */
export const specOf = <S extends z.ZodType>(input: S | InputSpec<S>): InputSpec<S> => ("formFields" in input ? input : { schema: input, formFields: {} });

type Refused = { ok: false; state: ActionState };
export type ReadInput = { ok: true; value: Record<string, unknown>; form: boolean } | Refused;

const refuse = (field: string, message: string): Refused => ({ ok: false, state: { ok: false, message, fieldErrors: { [field]: message } } });
const at = (path: string) => (path ? ` (at ${path})` : "");
const jsonSpec = (f: FormField | undefined) => (typeof f === "object" ? f : undefined);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The first top-level field holding text Postgres cannot store, named as a message would. */
function unstorableEntry(value: Record<string, unknown>, fields: Fields): Refused | undefined {
  for (const [k, v] of Object.entries(value)) {
    const json = jsonSpec(fields[k]);
    if (json?.unstorable === "keep") continue;
    const field = unstorableField([[k, v]]);
    if (field === undefined) continue;
    // A key that is itself unstorable is named (escaped) by itself; a value by where in it.
    const path = field === k ? (unstorablePath(v) ?? "") : "";
    return refuse(field, `${json?.json ?? field}: ${UNSTORABLE_MESSAGE}${at(path)}`);
  }
  return undefined;
}

/**
 * An action's arguments, as anyone may encode them (actions are public endpoints): a form, or a
 * plain object, holding no text Postgres cannot store.
 */
export function readActionInput(input: unknown, fields: Fields): ReadInput {
  if (input instanceof FormData) {
    const field = unstorableField(input);
    if (field !== undefined) return refuse(field, `${field}: ${UNSTORABLE_MESSAGE}`);
    return { ok: true, value: Object.fromEntries(input.entries()), form: true };
  }
  if (!isPlainObject(input)) return refuse("form", "form: send the form's fields as form data, or the action's input as an object");
  return unstorableEntry(input, fields) ?? { ok: true, value: input, form: false };
}

type Coerced = { value: unknown } | { error: string };

function coerce(raw: unknown, field: FormField): Coerced {
  if (field === "boolean") {
    if (raw === undefined) return { value: false };
    const v = typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
    if (v === "on" || v === "1" || v === "true") return { value: true };
    if (v === "" || v === "0" || v === "false" || v === "off") return { value: false };
    return { error: "must be on or off" };
  }
  if (raw === undefined) return { value: undefined };
  if (field === "number") {
    const v = typeof raw === "string" ? raw.trim() : undefined;
    if (v === "") return { value: undefined };
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) ? { value: n } : { error: "must be a number" };
  }
  if (typeof raw !== "string") return { error: `${field.json} is not valid JSON` };
  if (field.maxLength !== undefined && raw.length > field.maxLength) return { error: `${field.json} is too large: send less at once` };
  try {
    return { value: JSON.parse(raw) as unknown };
  } catch {
    return { error: `${field.json} is not valid JSON` };
  }
}

/** The length of a typed value as JSON text; 0 for what JSON cannot hold (the schema refuses it). */
function jsonLength(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return 0;
  }
}

function failed(fieldErrors: Record<string, string>): Refused {
  const [field, message] = Object.entries(fieldErrors)[0]!;
  return { ok: false, state: { ok: false, message: `${field}: ${message}`, fieldErrors } };
}

/**
 * The action's typed input from what `readActionInput` read: a form's coercions applied, then the
 * schema. Every problem is named by its field; one inside a JSON field also by where in it.
 */
export function parseActionInput<S extends z.ZodType>(read: { value: Record<string, unknown>; form: boolean }, spec: InputSpec<S>): { ok: true; data: z.output<S> } | Refused {
  const fieldErrors: Record<string, string> = {};
  const value = { ...read.value };
  for (const [k, field] of Object.entries(spec.formFields)) {
    if (!field) continue;
    if (read.form) {
      const c = coerce(value[k], field);
      if ("error" in c) fieldErrors[k] = c.error;
      else value[k] = c.value;
    } else if (typeof field === "object" && field.maxLength !== undefined && jsonLength(value[k]) > field.maxLength) {
      fieldErrors[k] = `${field.json} is too large: send less at once`;
    }
  }
  if (Object.keys(fieldErrors).length > 0) return failed(fieldErrors);
  // Text parsed out of a form's JSON fields is checked as a typed object's was before.
  const unstorable = read.form ? unstorableEntry(value, spec.formFields) : undefined;
  if (unstorable) return unstorable;
  const parsed = spec.schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "form");
    const json = jsonSpec(spec.formFields[field]);
    fieldErrors[field] ??= json ? `${json.json}: ${issue.message}${at(issue.path.slice(1).join("."))}` : issue.message;
  }
  return failed(fieldErrors);
}

/**
 * The input of a background POST to an action route (lib/server/auth/action `actionRoute`):
 * JSON, or a form as multipart or urlencoded data. Refused when from another site (as Next
 * refuses cross-site server actions) or when the body cannot be read.
 */
export async function readRouteInput(req: Request): Promise<{ ok: true; input: unknown } | { ok: false; status: 400 | 403; state: ActionState }> {
  const origin = req.headers.get("origin");
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  const sameSite = origin === null || (URL.canParse(origin) && new URL(origin).host === host);
  if (!sameSite) return { ok: false, status: 403, state: { ok: false, message: "origin: cross-site requests are refused" } };
  const json = (req.headers.get("content-type") ?? "").includes("application/json");
  try {
    return { ok: true, input: json ? ((await req.json()) as unknown) : await req.formData() };
  } catch {
    return { ok: false, status: 400, state: { ok: false, message: "body: send the input as JSON, or the form as multipart or urlencoded form data" } };
  }
}
