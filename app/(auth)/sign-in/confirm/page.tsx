import Link from "next/link";
import { headers } from "next/headers";
import { env } from "@/lib/env";
import { currentUser } from "@/lib/server/auth/member";
import { button } from "@/app/_components/styles";

export const metadata = { title: "Sign in", robots: { index: false } };

const CALLBACK_PATH = "/api/auth/callback/email";

/**
 * The origin Auth.js makes sign-in links for: AUTH_URL when set, else the host this request
 * came to (Auth.js trusts the host, trustHost).
 */
function appOrigin(h: Headers): string | undefined {
  const configured = env().AUTH_URL;
  if (configured) return new URL(configured).origin;
  const host = h.get("x-forwarded-host") ?? h.get("host");
  if (!host) return undefined;
  try {
    return new URL(`${h.get("x-forwarded-proto") === "https" ? "https" : "http"}://${host}`).origin;
  } catch {
    return undefined;
  }
}

type Parsed =
  | { ok: true; email: string; params: [string, string][] }
  | { ok: false; problem: "incomplete" | "foreign" };

function parseLink(raw: unknown, origin: string | undefined): Parsed {
  let link: URL;
  try {
    link = new URL(typeof raw === "string" ? raw : "");
  } catch {
    return { ok: false, problem: "incomplete" };
  }
  // Someone else's link (or one made up to look like ours) would sign this browser in as them.
  if (link.origin !== origin || link.pathname !== CALLBACK_PATH) return { ok: false, problem: "foreign" };
  const token = link.searchParams.get("token");
  const email = link.searchParams.get("email");
  if (!token || !email) return { ok: false, problem: "incomplete" };
  // Only what Auth.js's callback reads is passed on.
  const params: [string, string][] = [["token", token], ["email", email]];
  const callbackUrl = link.searchParams.get("callbackUrl");
  if (callbackUrl) params.push(["callbackUrl", callbackUrl]);
  return { ok: true, email, params };
}

/**
 * The sign-in link in the mail lands here, not on the one-time callback: mail scanners fetch
 * links, and would use up the token. A person presses the button; scanners do not submit forms.
 * The page names the address the link signs in, so a link someone else sent cannot quietly
 * sign this browser into their account (login CSRF).
 */
export default async function ConfirmSignInPage(props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await props.searchParams;
  const link = parseLink(sp.link, appOrigin(await headers()));
  const user = link.ok ? await currentUser() : undefined;
  return (
    <main className="mx-auto max-w-sm px-6 py-24">
      <h1 className="text-2xl font-semibold">Sign in to Tillit</h1>
      {link.ok ? (
        <>
          <p className="mt-4 text-sm text-slate-700">
            This link signs you in as{" "}
            <strong data-testid="sign-in-address" className="break-all font-semibold text-slate-900">
              {link.email}
            </strong>
            .
          </p>
          <p className="mt-2 text-sm text-slate-600">Continue only if that is your address and you asked for this link.</p>
          {user && user.email.toLowerCase() !== link.email.toLowerCase() ? (
            <p role="alert" className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
              You are signed in as {user.email}. Continuing signs you in as {link.email} instead.
            </p>
          ) : null}
          {/* Relative action: the form posts to this app only. */}
          <form method="get" action={CALLBACK_PATH} className="mt-6">
            {link.params.map(([k, v]) => (
              <input key={k} type="hidden" name={k} value={v} />
            ))}
            <button type="submit" className={`${button} w-full justify-center`}>
              Sign in as {link.email}
            </button>
          </form>
        </>
      ) : (
        <p role="alert" className="mt-4 text-sm text-slate-600">
          {link.problem === "foreign" ? "This is not a sign-in link for this app." : "This sign-in link is incomplete."}{" "}
          <Link className="text-brand-600 underline" href="/sign-in">
            Ask for a new one
          </Link>
          .
        </p>
      )}
    </main>
  );
}
