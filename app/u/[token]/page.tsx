import { getDb } from "@/db/client";
import { preferenceCentre } from "@/lib/server/consent/unsubscribe";

export const dynamic = "force-dynamic";
export const metadata = { title: "Email preferences", robots: { index: false } };

const mask = (email: string) => email.replace(/^(.)(.*)(@.*)$/, (_m, a: string, b: string, c: string) => `${a}${"•".repeat(Math.min(b.length, 6))}${c}`);

/**
 * The preference centre behind every unsubscribe link and List-Unsubscribe URL. GET changes
 * nothing (link scanners fetch it); its buttons POST to the same URL (next.config.js rewrites → ./post), as the
 * RFC 8058 one-click POST from mail clients does.
 */
export default async function PreferencesPage(props: { params: Promise<{ token: string }> }) {
  const { token } = await props.params;
  const p = await preferenceCentre(getDb(), token);
  if (!p || p.contact.status === "erased") {
    return (
      <main className="mx-auto max-w-md px-4 py-16">
        <div className="rounded-xl border border-slate-200 bg-white p-6">
          <h1 className="text-xl font-semibold">This link does not work</h1>
          <p className="mt-2 text-sm text-slate-700">It may have been copied incompletely. Use the unsubscribe link in a recent email.</p>
        </div>
      </main>
    );
  }
  const out = p.contact.status !== "subscribed" && p.contact.status !== "unconfirmed";
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-xl font-semibold">Email preferences</h1>
        <p className="mt-1 text-sm text-slate-600">
          For {mask(p.contact.email)} at {p.workspace.name}
        </p>
        {out ? (
          <p role="status" data-testid="unsubscribed-status" className="mt-4 rounded bg-slate-100 p-3 text-sm">
            You are unsubscribed: you will get no more marketing email from {p.workspace.name}.
          </p>
        ) : null}
        {p.topics.length > 0 && !out ? (
          <form method="post" action={`/u/${token}`} className="mt-5 space-y-2" data-testid="topics-form">
            <input type="hidden" name="action" value="preferences" />
            <p className="text-sm font-medium">Choose what you hear about</p>
            {p.topics.map((t) => (
              <label key={t.id} className="flex items-start gap-2 text-sm">
                <input type="checkbox" name="topics" value={t.key} defaultChecked={t.subscribed !== false} className="mt-1" />
                <span>
                  {t.name}
                  {t.description ? <span className="block text-xs text-slate-500">{t.description}</span> : null}
                </span>
              </label>
            ))}
            <button type="submit" className="mt-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
              Save preferences
            </button>
          </form>
        ) : null}
        {!out ? (
          <form method="post" action={`/u/${token}`} className="mt-6 border-t border-slate-200 pt-5">
            <input type="hidden" name="action" value="unsubscribe_all" />
            <button type="submit" className="w-full rounded-md bg-red-600 px-4 py-2 text-sm font-medium text-white hover:bg-red-700">
              Unsubscribe from all email
            </button>
          </form>
        ) : null}
      </div>
    </main>
  );
}
