"use client";

import { useActionState } from "react";
import { button, input, label } from "@/app/_components/styles";
import { signInWithEmail } from "./actions";

export function EmailSignInForm({ callbackUrl }: { callbackUrl?: string }) {
  const [state, action, pending] = useActionState(signInWithEmail, undefined);
  return (
    <form action={action} className="space-y-4">
      {callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null}
      <div>
        <label htmlFor="email" className={label}>
          Work email
        </label>
        <input id="email" name="email" type="email" required autoComplete="email" className={input} placeholder="you@company.com" />
      </div>
      {state?.error ? (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      ) : null}
      <button type="submit" className={`${button} w-full justify-center`} disabled={pending}>
        {pending ? "Sending…" : "Email me a sign-in link"}
      </button>
    </form>
  );
}
