import Link from "next/link";

export const metadata = { title: "Check your email" };

export default function CheckEmailPage() {
  return (
    <main className="mx-auto max-w-sm px-6 py-24">
      <h1 className="text-2xl font-semibold">Check your email</h1>
      <p className="mt-3 text-sm text-slate-600">
        We sent you a sign-in link. It works once and expires in 24 hours. You can close this tab.
      </p>
      <Link href="/sign-in" className="mt-6 inline-block text-sm text-brand-600 hover:underline">
        Use another address
      </Link>
    </main>
  );
}
