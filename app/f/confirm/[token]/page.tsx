import { getDb } from "@/db/client";
import { workspaceForConsent } from "@/db/queries/consent";
import { getRepermissionRequest } from "@/db/queries/repermission";
import { nowMs } from "@/lib/clock";
import { readConfirmationToken, tokenWorkspace } from "@/lib/forms/tokens";

export const dynamic = "force-dynamic";
export const metadata = { title: "Confirm your subscription", robots: { index: false } };

/**
 * The double opt-in link's page. GET changes nothing (mail scanners fetch every link): it shows
 * a Confirm button whose POST (next.config.js rewrites → ./post) confirms.
 */
export default async function ConfirmPage(props: { params: Promise<{ token: string }> }) {
  const { token } = await props.params;
  const workspaceId = tokenWorkspace(token);
  const ws = workspaceId ? await workspaceForConsent(getDb(), { workspaceId }) : undefined;
  const claims = ws ? readConfirmationToken(ws.secret, token) : undefined;
  const expired = claims !== undefined && nowMs() > claims.expiresAtMs;
  // A re-permission link: the page shows the wording its confirmation records.
  const request = ws && claims?.requestId ? await getRepermissionRequest(getDb(), { workspaceId: ws.id, requestId: claims.requestId }) : undefined;
  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        {!claims || !ws ? (
          <>
            <h1 className="text-xl font-semibold">This link does not work</h1>
            <p className="mt-2 text-sm text-slate-700">It may have been copied incompletely. Sign up again to get a new one.</p>
          </>
        ) : expired ? (
          <>
            <h1 className="text-xl font-semibold">This link has expired</h1>
            <p className="mt-2 text-sm text-slate-700">Confirmation links work for 7 days. Sign up again to get a new one.</p>
          </>
        ) : (
          <>
            <h1 className="text-xl font-semibold">Confirm your subscription</h1>
            {request ? (
              <p className="mt-2 text-sm text-slate-700" data-testid="confirm-wording">Press the button to confirm: “{request.wording}”</p>
            ) : (
              <p className="mt-2 text-sm text-slate-700">
                Press the button to confirm that you want to receive email from <strong>{ws.name}</strong>. You can leave at any time
                with the link in every message.
              </p>
            )}
            <form method="post" action={`/f/confirm/${token}`} className="mt-5">
              <button type="submit" className="w-full rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
                Confirm
              </button>
            </form>
          </>
        )}
      </div>
    </main>
  );
}
