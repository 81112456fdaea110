"use server";

import { AuthError } from "next-auth";
import { z } from "zod";
import { signIn } from "../../../lib/auth/auth";
import { safeCallbackPath } from "../../../lib/auth/member";

export type SignInState = { error?: string };

const schema = z.object({
  email: z.email("Enter a valid email address"),
  callbackUrl: z.string().optional(),
});

export async function signInWithEmail(_prev: SignInState | undefined, form: FormData): Promise<SignInState> {
  const parsed = schema.safeParse(Object.fromEntries(form.entries()));
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  try {
    // Redirects to the "check your email" page; a redirect is thrown, so it must not be caught here.
    await signIn("email", { email: parsed.data.email.toLowerCase(), redirectTo: safeCallbackPath(parsed.data.callbackUrl) ?? "/w" });
  } catch (err) {
    if (err instanceof AuthError) return { error: "We could not send a sign-in link just now. Try again in a minute." };
    throw err;
  }
  return {};
}

export async function signInWithProvider(form: FormData) {
  const provider = z.enum(["github", "google"]).parse(form.get("provider"));
  await signIn(provider, { redirectTo: safeCallbackPath(String(form.get("callbackUrl") ?? "")) ?? "/w" });
}
