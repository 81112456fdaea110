"use client";

import { createContext, useActionState, useContext, useState, type FormEvent, type ReactNode } from "react";
import type { ActionState, FormAction } from "@/lib/server/auth/action";
import { notify } from "./ui/toast";

/**
 * For lists whose rows an action removes (retrying a failed run, marking a notice read): an
 * `ActionForm` states its outcome inside itself, and a row that goes away takes the outcome with
 * it. Here the outcome of a success is stated in one region above the list (`OutcomeRegion`),
 * which stays; a refusal is stated in place, beside the row's buttons, since the row stays. Each
 * is raised as a toast too (docs/ui.md, "Outcomes").
 */

type Outcome = { ok: boolean; message: string };
const Report = createContext<(o: Outcome) => void>(() => {});

export function OutcomeRegion(props: { children: ReactNode; testId?: string }) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  return (
    <Report.Provider value={setOutcome}>
      <div aria-live="polite">
        {outcome ? (
          <p
            role={outcome.ok ? "status" : "alert"}
            data-testid={props.testId}
            className={`mt-3 text-sm ${outcome.ok ? "text-emerald-700" : "text-red-700"}`}
          >
            {outcome.message}
          </p>
        ) : null}
      </div>
      {props.children}
    </Report.Provider>
  );
}

/**
 * A form bound to a workspace server action, for a row an action may remove: carries the
 * workspace slug, disables itself while pending, reports a success to the enclosing
 * `OutcomeRegion` and states a refusal in place. Without JavaScript the form still posts.
 */
export function OutcomeForm<T>(props: {
  action: FormAction<T>;
  workspace: string;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const report = useContext(Report);
  const [, formAction] = useActionState(props.action, undefined);
  const [pending, setPending] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
    setPending(true);
    let r: ActionState<T>;
    try {
      r = await props.action(undefined, data);
    } catch {
      r = { ok: false, message: "The server could not be reached: try again." };
    }
    // The row may be gone by now (its action removed it): the region and the toast still say what happened.
    setPending(false);
    const message = r.message ?? (r.ok ? "Done" : "Something went wrong: try again.");
    if (r.ok) {
      setRefusal(null);
      report({ ok: true, message });
    } else setRefusal(message);
    notify(r.ok ? "success" : "error", message);
  };
  return (
    <form action={formAction} onSubmit={(e) => void submit(e)} className={props.className} data-testid={props.testId}>
      <input type="hidden" name="workspace" value={props.workspace} />
      <fieldset disabled={pending} className="contents">
        {props.children}
      </fieldset>
      {refusal ? (
        <p role="alert" className="mt-1 text-left text-sm text-red-700">
          {refusal}
        </p>
      ) : null}
    </form>
  );
}
