import Link from "next/link";
import { button } from "../../../_components/styles";

export const metadata = { title: "Sign in", robots: { index: false } };

const CALLBACK_PATH = "/api/auth/callback/email";

/**
 * The sign-in link in the mail lands here, not on the one-time callback: mail scanners fetch
 * links, and would use up the token. A person presses the button; scanners do not submit forms.
 */
export default async function ConfirmSignInPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  let params: [string, string][] | undefined;
  try {
    const link = new URL(typeof sp.link === "string" ? sp.link : "");
    if (link.pathname === CALLBACK_PATH && link.searchParams.get("token")) params = [...link.searchParams.entries()];
  } catch {
    params = undefined;
  }
  return (
    <main className="mx-auto max-w-sm px-6 py-24">
      <h1 className="text-2xl font-semibold">Sign in to Tillit</h1>
      {params ? (
        // Relative action: the form posts to this app only, whatever host the link named.
        <form method="get" action={CALLBACK_PATH} className="mt-6">
          {params.map(([k, v]) => (
            <input key={k} type="hidden" name={k} value={v} />
          ))}
          <button type="submit" className={`${button} w-full justify-center`}>
            Sign in
          </button>
        </form>
      ) : (
        <p role="alert" className="mt-4 text-sm text-slate-600">
          This sign-in link is incomplete. <Link className="text-brand-600 underline" href="/sign-in">Ask for a new one</Link>.
        </p>
      )}
    </main>
  );
}
