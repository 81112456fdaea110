import "server-only";
import { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { recordAudit, type AuditEntry } from "@/db/queries/audit";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { UNSTORABLE_MESSAGE, unstorableField, unstorablePath } from "@/lib/storable";
import { currentUser, type Member } from "./member";
import { can, permissions, type Permission } from "@/lib/auth/permissions";

/**
 * The one action client every workspace mutation goes through: who is signed in → member of the
 * workspace in the form → holds the permission → input parses → handler. Errors come back as a
 * message naming the field, never as a thrown 500; nothing is written unless all checks pass.
 */

export type ActionState = {
  ok: boolean;
  message?: string;
  /** Field name → message, for forms to show beside the input. */
  fieldErrors?: Record<string, string>;
  /** Data the form may show once (e.g. a new API key). */
  data?: Record<string, string>;
};

export class ActionError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Ctx<I> = {
  db: Db;
  member: Member;
  input: I;
  audit: (entry: Omit<AuditEntry, "workspaceId" | "actorUserId">) => Promise<void>;
};

/**
 * The form a server action was called with. Actions are public endpoints whose arguments are
 * whatever a client encodes, so the form is checked before anything reads it: that it is a form at
 * all, and that no field holds text Postgres cannot store.
 */
export function readActionForm(form: unknown): { ok: true; form: FormData } | { ok: false; field: string; message: string } {
  if (!(form instanceof FormData)) return { ok: false, field: "form", message: "form: send the form's fields as form data" };
  const field = unstorableField(form);
  if (field !== undefined) return { ok: false, field, message: `${field}: ${UNSTORABLE_MESSAGE}` };
  return { ok: true, form };
}

/**
 * A form field holding JSON (a flow graph, a segment definition, an import's rows), read with
 * `schema`. The message names what is wrong and where. Text Postgres cannot store is refused like
 * any other bad value, unless `unstorable: "keep"` leaves it to the handler to judge item by item.
 */
export function jsonField<S extends z.ZodType>(schema: S, what: string, opts: { maxLength?: number; unstorable?: "refuse" | "keep" } = {}) {
  const text = opts.maxLength ? z.string().max(opts.maxLength, `${what} is too large: send less at once`) : z.string();
  return text.transform((raw, ctx): z.output<S> => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: `${what} is not valid JSON` });
      return z.NEVER;
    }
    const at = (path: string) => (path ? ` (at ${path})` : "");
    const unstorable = opts.unstorable === "keep" ? undefined : unstorablePath(value);
    if (unstorable !== undefined) {
      ctx.addIssue({ code: "custom", message: `${what}: ${UNSTORABLE_MESSAGE}${at(unstorable)}` });
      return z.NEVER;
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      ctx.addIssue({ code: "custom", message: `${what}: ${issue.message}${at(issue.path.join("."))}` });
      return z.NEVER;
    }
    return r.data;
  });
}

const slugField = z.object({ workspace: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/) });

export function workspaceAction<S extends z.ZodType>(
  permission: Permission,
  schema: S,
  handler: (ctx: Ctx<z.output<S>>) => Promise<ActionState | void>,
) {
  return async (_prev: ActionState | undefined, formData: FormData): Promise<ActionState> => {
    const read = readActionForm(formData);
    if (!read.ok) return { ok: false, message: read.message, fieldErrors: { [read.field]: read.message } };
    const user = await currentUser();
    if (!user) return { ok: false, message: "Your session has ended: sign in again" };
    const raw = Object.fromEntries(read.form.entries());
    const ws = slugField.safeParse(raw);
    if (!ws.success) return { ok: false, message: "Workspace not found" };
    const db = getDb();
    const m = await getMembershipBySlug(db, { userId: user.id, slug: ws.data.workspace });
    if (!m) return { ok: false, message: "Workspace not found" };
    if (!can(m.role, permission))
      return { ok: false, message: `Your role (${m.role}) cannot do this: it needs ${permissions[permission]} or above` };
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const fieldErrors: Record<string, string> = {};
      for (const issue of parsed.error.issues) fieldErrors[String(issue.path[0] ?? "form")] ??= issue.message;
      const [field, message] = Object.entries(fieldErrors)[0]!;
      return { ok: false, message: `${field}: ${message}`, fieldErrors };
    }
    const member: Member = { user, role: m.role, workspace: m.workspace };
    try {
      const result = await handler({
        db,
        member,
        input: parsed.data,
        audit: (entry) => recordAudit(db, { ...entry, workspaceId: m.workspace.id, actorUserId: user.id }),
      });
      return result ?? { ok: true };
    } catch (err) {
      if (err instanceof ActionError)
        return { ok: false, message: err.message, ...(err.field ? { fieldErrors: { [err.field]: err.message } } : {}) };
      throw err;
    }
  };
}

/**
 * A read-only workspace action (a live preview, a count) served as a plain POST route for
 * background requests from the page. Those stay out of Next's server-action queue, which runs one
 * action at a time, so a preview never holds up the page's own actions, and the page can abort a
 * preview a newer edit replaced. The action's own checks (session, membership, permission, input)
 * apply unchanged; a request from another site is refused, as Next refuses cross-site server
 * actions.
 */
export function actionRoute(action: (prev: ActionState | undefined, formData: FormData) => Promise<ActionState>) {
  return async (req: Request): Promise<Response> => {
    const origin = req.headers.get("origin");
    const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
    const sameSite = origin === null || (URL.canParse(origin) && new URL(origin).host === host);
    if (!sameSite) return Response.json({ ok: false, message: "origin: cross-site requests are refused" } satisfies ActionState, { status: 403 });
    let form: FormData;
    try {
      form = await req.formData();
    } catch {
      return Response.json({ ok: false, message: "body: send the form as multipart or urlencoded form data" } satisfies ActionState, { status: 400 });
    }
    return Response.json(await action(undefined, form));
  };
}
