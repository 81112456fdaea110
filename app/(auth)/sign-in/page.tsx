import Link from "next/link";
import { redirect } from "next/navigation";
import { oauthProviders } from "@/lib/server/auth/auth";
import { currentUser, safeCallbackPath } from "@/lib/server/auth/member";
import { secondaryButton } from "@/app/_components/styles";
import { signInWithProvider } from "./actions";
import { EmailSignInForm } from "./email-form";

export const metadata = { title: "Sign in" };

export default async function SignInPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  const callbackUrl = safeCallbackPath(typeof sp.callbackUrl === "string" ? sp.callbackUrl : undefined);
  if (await currentUser()) redirect(callbackUrl ?? "/w");
  const providers = oauthProviders();
  return (
    <main className="mx-auto max-w-sm px-6 py-24">
      <Link href="/" className="text-xl font-bold tracking-tight text-brand-700">
        Tillit
      </Link>
      <h1 className="mt-8 text-2xl font-semibold">Sign in</h1>
      <p className="mt-2 text-sm text-slate-600">We will email you a link. No password needed. New here? The same link creates your account.</p>
      <div className="mt-6">
        <EmailSignInForm callbackUrl={callbackUrl} />
      </div>
      {providers.length > 0 ? (
        <div className="mt-6 space-y-2 border-t border-slate-200 pt-6">
          {providers.map((p) => (
            <form key={p.id} action={signInWithProvider}>
              <input type="hidden" name="provider" value={p.id} />
              {callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null}
              <button type="submit" className={`${secondaryButton} w-full justify-center`}>
                Continue with {p.name}
              </button>
            </form>
          ))}
        </div>
      ) : null}
    </main>
  );
}
