"use server";

import { AuthError } from "next-auth";
import { z } from "zod";
import { getDb } from "../../../db/client";
import { countRecentSignInLinks } from "../../../db/queries/sign-in";
import { readActionForm } from "../../../lib/auth/action";
import { SIGN_IN_LINK_LIFETIME_MS, signIn } from "../../../lib/auth/auth";
import { now } from "../../../lib/clock";
import { safeCallbackPath } from "../../../lib/auth/member";

export type SignInState = { error?: string };

const schema = z.object({
  email: z.email("Enter a valid email address"),
  callbackUrl: z.string().optional(),
});

export async function signInWithEmail(_prev: SignInState | undefined, form: FormData): Promise<SignInState> {
  const read = readActionForm(form);
  if (!read.ok) return { error: read.message };
  const parsed = schema.safeParse(Object.fromEntries(read.form.entries()));
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  const email = parsed.data.email.toLowerCase();
  // The form mails whatever address is typed: cap links per address so it cannot flood an inbox.
  const recent = await countRecentSignInLinks(getDb(), {
    email,
    since: new Date(now().getTime() - 10 * 60_000),
    linkLifetimeMs: SIGN_IN_LINK_LIFETIME_MS,
  });
  if (recent >= 3) return { error: "We have sent several links to this address in the last 10 minutes. Use the newest one, or try again later." };
  try {
    // Redirects to the "check your email" page; a redirect is thrown, so it must not be caught here.
    await signIn("email", { email, redirectTo: safeCallbackPath(parsed.data.callbackUrl) ?? "/w" });
  } catch (err) {
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
  await signIn(provider.data, { redirectTo: safeCallbackPath(String(read.form.get("callbackUrl") ?? "")) ?? "/w" });
}
