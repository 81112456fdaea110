import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { getDevMail } from "@/db/queries/dev-mailbox";
import { requireDevMailbox } from "../gate";

export const metadata = { title: "Dev mailbox message", robots: { index: false } };

const views = ["html", "text", "headers"] as const;
const paramsSchema = z.object({ id: z.uuid() });
const searchSchema = z.object({ view: z.enum(views).catch("html") });

export default async function DevMailPage(props: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireDevMailbox();
  const params = paramsSchema.safeParse(await props.params);
  if (!params.success) notFound();
  const { view } = searchSchema.parse(await props.searchParams);
  const mail = await getDevMail(getDb(), params.data.id);
  if (!mail) notFound();

  const headers: [string, string][] = [
    ["From", mail.from],
    ["To", mail.to.join(", ")],
    ...(mail.replyTo ? ([["Reply-To", mail.replyTo]] as [string, string][]) : []),
    ["Subject", mail.subject],
    ["Date", mail.createdAt.toUTCString()],
    ...Object.entries(mail.headers),
    ...mail.tags.map((t) => [`X-Tag-${t.name}`, t.value] as [string, string]),
    ...(mail.idempotencyKey ? ([["Idempotency-Key", mail.idempotencyKey]] as [string, string][]) : []),
  ];

  return (
    <main className="mx-auto max-w-5xl px-6 py-10">
      <Link href="/dev/mailbox" className="text-sm text-brand-600 hover:underline">
        ← Dev mailbox
      </Link>
      <h1 className="mt-4 text-2xl font-semibold" data-testid="mail-subject">
        {mail.subject}
      </h1>
      <p className="mt-1 text-sm text-slate-600">
        From {mail.from} to {mail.to.join(", ")}
      </p>
      <nav className="mt-6 flex gap-2 border-b border-slate-200" aria-label="Message views">
        {views.map((v) => (
          <Link
            key={v}
            href={`/dev/mailbox/${mail.id}?view=${v}`}
            aria-current={v === view ? "page" : undefined}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${
              v === view ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"
            }`}
          >
            {v === "html" ? "HTML" : v === "text" ? "Text" : "Raw headers"}
          </Link>
        ))}
      </nav>
      <section className="mt-4">
        {view === "html" ? (
          mail.html ? (
            // Sandboxed without scripts: a message's HTML is untrusted content.
            <iframe
              title="HTML part"
              sandbox=""
              srcDoc={mail.html}
              className="h-[70vh] w-full rounded-lg border border-slate-200 bg-white"
            />
          ) : (
            <p className="text-sm text-slate-600">This message has no HTML part.</p>
          )
        ) : view === "text" ? (
          <pre data-testid="mail-text" className="whitespace-pre-wrap rounded-lg border border-slate-200 bg-white p-4 text-sm">
            {mail.text ?? "This message has no plain-text part."}
          </pre>
        ) : (
          <pre data-testid="mail-headers" className="overflow-x-auto rounded-lg border border-slate-200 bg-white p-4 text-sm">
            {headers.map(([k, v]) => `${k}: ${v}`).join("\n")}
          </pre>
        )}
      </section>
    </main>
  );
}
