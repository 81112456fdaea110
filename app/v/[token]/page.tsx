import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { viewMessage } from "@/lib/server/email/view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Email", robots: { index: false, follow: false } };

/**
 * "View in browser" (`{{ view_url }}`): the message as its contact received it, public and
 * unguessable (a token signed with the workspace secret). A forged or unknown token is a 404;
 * viewing records no open and its links are not tracked (lib/server/email/view.ts). The HTML is
 * shown in a sandboxed frame with no script or same-origin rights, as the editor's preview does.
 */
export default async function ViewInBrowserPage(props: { params: Promise<{ token: string }> }) {
  const { token } = await props.params;
  const view = await viewMessage(getDb(), token);
  if (!view) notFound();
  if (view.kind !== "ok") {
    return (
      <main className="mx-auto max-w-md px-4 py-16">
        <div className="rounded-xl border border-slate-200 bg-white p-6" data-testid="view-gone">
          <h1 className="text-xl font-semibold">This email is no longer available</h1>
          <p className="mt-2 text-sm text-slate-700">
            {view.kind === "gone" ? `The recipient's data was erased at ${view.workspaceName}'s request or theirs.` : `${view.workspaceName} can no longer show this email.`}
          </p>
        </div>
      </main>
    );
  }
  return (
    <main className="mx-auto max-w-3xl px-4 py-6">
      <h1 className="mb-3 text-lg font-semibold" data-testid="view-subject">
        {view.subject}
      </h1>
      <iframe title={view.subject} data-testid="view-frame" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerPolicy="no-referrer" srcDoc={view.html} className="h-[80vh] w-full rounded border border-slate-200 bg-white" />
    </main>
  );
}
