import Link from "next/link";

export const metadata = { title: "Sign in" };

export default function SignInPage() {
  return (
    <main className="mx-auto max-w-md px-6 py-24">
      <Link href="/" className="text-xl font-bold tracking-tight text-brand-700">
        Tillit
      </Link>
      <h1 className="mt-8 text-2xl font-semibold">Sign in</h1>
      <div data-testid="empty-state" className="mt-4 rounded-xl border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">
        <p>
          Team accounts are not switched on in this build yet. When they are, you will sign in with a link sent to your
          email address, and your first sign-in creates your workspace.
        </p>
        <p className="mt-3">
          Running Tillit locally? Mail the app sends is kept in the{" "}
          <Link className="text-brand-600 underline" href="/dev/mailbox">
            dev mailbox
          </Link>
          .
        </p>
      </div>
    </main>
  );
}
