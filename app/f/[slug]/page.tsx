import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { recordFormView } from "@/db/queries/forms";
import { listTopics, workspaceForConsent } from "@/db/queries/consent";
import { liveFormBySlug } from "@/db/queries/forms";
import { nowMs } from "@/lib/clock";
import { readFormConfig } from "@/lib/forms/config";
import { SignupFormMarkup } from "@/lib/forms/render";
import { renderStamp } from "@/lib/forms/tokens";

export const dynamic = "force-dynamic";

export async function generateMetadata(props: { params: Promise<{ slug: string }> }) {
  const { slug } = await props.params;
  const form = /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug) ? await liveFormBySlug(getDb(), { slug }) : undefined;
  return { title: form ? readFormConfig(form.config).heading : "Signup", robots: { index: false } };
}

/** The hosted signup page, /f/[slug]; `?embed=1` drops the page chrome for the iframe embed. */
export default async function HostedFormPage(props: { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { slug } = await props.params;
  const sp = await props.searchParams;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) notFound();
  const db = getDb();
  const form = await liveFormBySlug(db, { slug });
  if (!form) notFound();
  const showsForm = typeof sp.submitted !== "string";
  const [ws, allTopics] = await Promise.all([
    workspaceForConsent(db, { workspaceId: form.workspaceId }),
    listTopics(db, { workspaceId: form.workspaceId }),
    // A view of the form itself (not its thank-you page) is the top of the form's funnel.
    showsForm ? recordFormView(db, { workspaceId: form.workspaceId, formId: form.id, day: new Date(nowMs()).toISOString().slice(0, 10) }) : undefined,
  ]);
  if (!ws) notFound();
  const config = readFormConfig(form.config);
  const embed = sp.embed === "1";
  const submitted = typeof sp.submitted === "string" ? sp.submitted : undefined;
  const topics = config.topics.map((k) => allTopics.find((t) => t.key === k)).filter((t) => t !== undefined);
  const body = submitted ? (
    <div role="status" data-testid="signup-success" className="space-y-2">
      <h1 className="text-xl font-semibold">{submitted === "confirm" ? "Almost there" : "You are subscribed"}</h1>
      <p className="text-sm text-slate-700">
        {submitted === "confirm" ? config.successMessage : "Thanks for signing up. You can leave at any time with the link in every email."}
      </p>
    </div>
  ) : (
    <>
      {config.style.logoUrl ? (
        // eslint-disable-next-line @next/next/no-img-element
        <img src={config.style.logoUrl} alt={ws.name} className="mb-4 max-h-12" />
      ) : null}
      <h1 className="text-xl font-semibold">{config.heading}</h1>
      {config.intro ? <p className="mt-2 text-sm text-slate-700">{config.intro}</p> : null}
      <div className="mt-5">
        <SignupFormMarkup
          slug={slug}
          config={config}
          consentWording={form.consentWording}
          topics={topics}
          stamp={renderStamp(ws.secret, form.id, nowMs())}
          action={`/f/${slug}${embed ? "?embed=1" : ""}`}
        />
      </div>
    </>
  );
  if (embed) {
    return (
      <main className="bg-white p-4">
        {body}
        {/* Tells the script embed how tall the form is, so its iframe fits without scrollbars. */}
        <script
          dangerouslySetInnerHTML={{
            __html: `(function(){function s(){parent.postMessage({tillitFormHeight:document.documentElement.scrollHeight},"*")}addEventListener("load",s);addEventListener("resize",s);s()})();`,
          }}
        />
      </main>
    );
  }
  return (
    <main className="mx-auto max-w-md px-4 py-12">
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm" style={{ borderTop: `4px solid ${config.style.colour}` }}>
        {body}
      </div>
      <p className="mt-4 text-center text-xs text-slate-500">
        {ws.name}
        {ws.postalAddress ? ` · ${ws.postalAddress}` : ""}
      </p>
    </main>
  );
}
