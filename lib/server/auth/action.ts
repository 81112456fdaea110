import "server-only";
import type { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { recordAudit, type AuditEntry } from "@/db/queries/audit";
import { getMembershipBySlug } from "@/db/queries/workspaces";
import { parseActionInput, readActionInput, readRouteInput, specOf, type ActionState, type InputSpec } from "@/lib/auth/action-input";
import { UNSTORABLE_MESSAGE, unstorableField } from "@/lib/storable";
import { currentUser, type Member } from "./member";
import { can, permissions, type Permission } from "@/lib/auth/permissions";

/**
 * The one action client every workspace mutation goes through: who is signed in → member of the
 * workspace in the input → holds the permission → input parses → handler. Errors come back as a
 * message naming the field, never as a thrown 500; nothing is written unless all checks pass.
 *
 * Input is typed: code calls an action with a plain object its schema describes (plus
 * `workspace`), and a `<form action>` posts the same input as FormData, so forms keep working
 * without JavaScript. Form-only coercions (checkbox, number input, JSON field) are declared once
 * per action with `formFields` (lib/auth/action-input, which reads and parses the input). The
 * result is typed too: `data` is what the handler returns, so callers read `r.data.revision` as
 * a number. From the browser: `callAction` (app/_components/call-action) for server actions,
 * `postAction` (app/_components/post-form) for action routes.
 */

export { formFields, type ActionState, type FormField } from "@/lib/auth/action-input";

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

/** A workspace action: `input` is a form post, or the typed object its schema describes. */
export type WorkspaceAction<I, T> = (prev: ActionState<T> | undefined, input: FormData | (I & { workspace: string })) => Promise<ActionState<T>>;
/** What an action accepts from code (its typed input, with `workspace`). */
export type ActionInput<A> = A extends (prev: never, input: infer I) => unknown ? Exclude<I, FormData> : never;
/** What an action hands back in `data`. */
export type ActionData<A> = A extends (...args: never[]) => Promise<ActionState<infer T>> ? T : never;
/** An action as a `<form action>` sees it (ActionForm, useActionState). */
export type FormAction<T = never> = (prev: ActionState<T> | undefined, form: FormData) => Promise<ActionState<T>>;

/**
 * The form a server action outside a workspace was called with (sign-in, new workspace,
 * invitations). Actions are public endpoints whose arguments are whatever a client encodes, so
 * the form is checked before anything reads it: that it is a form at all, and that no field holds
 * text Postgres cannot store.
 */
export function readActionForm(form: unknown): { ok: true; form: FormData } | { ok: false; field: string; message: string } {
  if (!(form instanceof FormData)) return { ok: false, field: "form", message: "form: send the form's fields as form data" };
  const field = unstorableField(form);
  if (field !== undefined) return { ok: false, field, message: `${field}: ${UNSTORABLE_MESSAGE}` };
  return { ok: true, form };
}

const slugPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

export function workspaceAction<S extends z.ZodType, T = never>(
  permission: Permission,
  input: S | InputSpec<S>,
  handler: (ctx: Ctx<z.output<S>>) => Promise<ActionState<T> | void>,
): WorkspaceAction<z.input<S>, T> {
  const spec = specOf(input);
  return async (_prev, args) => {
    const read = readActionInput(args, spec.formFields);
    if (!read.ok) return read.state;
    const user = await currentUser();
    if (!user) return { ok: false, message: "Your session has ended: sign in again" };
    const slug = read.value.workspace;
    if (typeof slug !== "string" || !slugPattern.test(slug)) return { ok: false, message: "Workspace not found" };
    const db = getDb();
    const m = await getMembershipBySlug(db, { userId: user.id, slug });
    if (!m) return { ok: false, message: "Workspace not found" };
    if (!can(m.role, permission))
      return { ok: false, message: `Your role (${m.role}) cannot do this: it needs ${permissions[permission]} or above` };
    const parsed = parseActionInput(read, spec);
    if (!parsed.ok) return parsed.state;
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
 * background requests from the page, with JSON (or a form) as its body. Those stay out of Next's
 * server-action queue, which runs one action at a time, so a preview never holds up the page's own
 * actions, and the page can abort a preview a newer edit replaced. The action's own checks
 * (session, membership, permission, input) apply unchanged; a request from another site is
 * refused, as Next refuses cross-site server actions.
 */
export function actionRoute<I, T>(action: WorkspaceAction<I, T>) {
  // The body is whatever the client sent: the action reads and checks it like any argument.
  const call = action as (prev: undefined, input: unknown) => Promise<ActionState<T>>;
  return async (req: Request): Promise<Response> => {
    const read = await readRouteInput(req);
    if (!read.ok) return Response.json(read.state, { status: read.status });
    return Response.json(await call(undefined, read.input));
  };
}
