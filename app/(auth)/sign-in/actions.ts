"use server";

import { AuthError } from "next-auth";
import { z } from "zod";
import { fieldText } from "@/lib/form-text";
import { readActionForm } from "@/lib/server/auth/action";
import { signIn } from "@/lib/server/auth/auth";
import { safeCallbackPath } from "@/lib/server/auth/member";
import { SignInLinkRefused } from "@/lib/server/auth/sign-in-links";

export type SignInState = { error?: string };

const schema = z.object({
  email: z.email("Enter a valid email address"),
  callbackUrl: z.string().optional(),
});

const refusals: Record<SignInLinkRefused["reason"], string> = {
  address: "We have sent several links to this address in the last 10 minutes. Use the newest one, or try again later.",
  network: "We have sent too many sign-in links from your network in the last hour. Try again later.",
};

export async function signInWithEmail(_prev: SignInState | undefined, form: FormData): Promise<SignInState> {
  const read = readActionForm(form);
  if (!read.ok) return { error: read.message };
  const parsed = schema.safeParse(Object.fromEntries(read.form.entries()));
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  const email = parsed.data.email.toLowerCase();
  try {
    // Redirects to the "check your email" page; a redirect is thrown, so it must not be caught here.
    // The caps on sign-in mail are enforced where the mail is sent (lib/auth/sign-in-links).
    await signIn("email", { email, redirectTo: safeCallbackPath(parsed.data.callbackUrl) ?? "/w" });
  } catch (err) {
    if (err instanceof SignInLinkRefused) return { error: refusals[err.reason] };
    if (err instanceof AuthError) return { error: "We could not send a sign-in link just now. Try again in a minute." };
    throw err;
  }
  return {};
}

export async function signInWithProvider(form: FormData) {
  const read = readActionForm(form);
  // The buttons post one of these; anything else is not a sign-in, and the page shows again.
  const provider = z.enum(["github", "google"]).safeParse(read.ok ? read.form.get("provider") : undefined);
  if (!read.ok || !provider.success) return;
  await signIn(provider.data, { redirectTo: safeCallbackPath(fieldText(read.form.get("callbackUrl"))) ?? "/w" });
}
