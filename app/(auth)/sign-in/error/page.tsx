import Link from "next/link";
import { REFUSED_ERROR_CODE } from "@/lib/server/auth/sign-in-links";

export const metadata = { title: "Sign-in problem" };

const messages: Record<string, string> = {
  Verification: "This sign-in link has expired or has already been used. Links work once, for 24 hours.",
  AccessDenied: "You do not have access.",
  Configuration: "Sign-in is not configured correctly on this server.",
  [REFUSED_ERROR_CODE]:
    "We did not send a link: too many sign-in links went to this address or from your network lately. Use the newest link you received, or try again later.",
};

export default async function SignInErrorPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { error } = await props.searchParams;
  // Own keys only: ?error=constructor must not find Object's constructor.
  const message = (typeof error === "string" && Object.hasOwn(messages, error) && messages[error]) || "Something went wrong while signing you in.";
  return (
    <main className="mx-auto max-w-sm px-6 py-24">
      <h1 className="text-2xl font-semibold">We could not sign you in</h1>
      <p role="alert" className="mt-3 text-sm text-slate-600">
        {message}
      </p>
      <Link href="/sign-in" className="mt-6 inline-block text-sm text-brand-600 hover:underline">
        Get a new sign-in link
      </Link>
    </main>
  );
}
