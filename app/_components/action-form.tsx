"use client";

import { startTransition, useActionState, useEffect, type FormEvent, type ReactNode } from "react";
import type { FormAction } from "@/lib/server/auth/action";
import { notify } from "./ui/toast";

/**
 * A form bound to a workspace server action: carries the workspace slug, disables itself while
 * pending, and shows the outcome (or the first field error) in a live region and as a toast.
 */
export function ActionForm<T>(props: {
  action: FormAction<T>;
  workspace?: string;
  children: ReactNode;
  className?: string;
  success?: string;
  /** Shown once: the text the action returns in `data[key]` (e.g. a new API key). */
  reveal?: { key: keyof T & string; label: string };
  testId?: string;
}) {
  const [state, formAction, pending] = useActionState(props.action, undefined);
  // Each answer is a new object: one toast per submission.
  const success = props.success;
  useEffect(() => {
    const message = state?.ok ? (state.message ?? success ?? "Saved") : state?.message;
    if (state && message) notify(state.ok ? "success" : "error", message);
  }, [state, success]);
  const revealed = state?.ok && props.reveal && state.data ? state.data[props.reveal.key] : undefined;
  // React resets a form after its action runs, which would throw away what a person typed when
  // the server refuses it; submitting ourselves keeps the fields. Without JS, `action` still works.
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
    startTransition(() => formAction(data));
  };
  return (
    <form action={formAction} onSubmit={submit} className={props.className} data-testid={props.testId}>
      {props.workspace ? <input type="hidden" name="workspace" value={props.workspace} /> : null}
      <fieldset disabled={pending} className="contents">
        {props.children}
      </fieldset>
      {state && !state.ok ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {state.message}
        </p>
      ) : null}
      {state?.ok ? (
        <p role="status" className="mt-2 text-sm text-emerald-700">
          {state.message ?? props.success ?? "Saved"}
        </p>
      ) : null}
      {props.reveal && typeof revealed === "string" && revealed ? (
        <div className="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <p className="font-medium">{props.reveal.label}</p>
          <code data-testid="revealed-secret" className="mt-1 block break-all font-mono">
            {revealed}
          </code>
        </div>
      ) : null}
    </form>
  );
}
