import Link from "next/link";

const pillars = [
  {
    title: "Permission first",
    body: "Hosted signup forms with double opt-in, a consent ledger that proves every opt-in, and one-click unsubscribe in every marketing message.",
  },
  {
    title: "Drip campaigns that listen",
    body: "Draw flows on a canvas: wait, branch on what a contact did — visited a page, left a cart, bought — and send the next message at the right time.",
  },
  {
    title: "Personal, measurable mail",
    body: "Merge fields, a clear call to action, tracked links and source codes, so every flow shows what it earned.",
  },
  {
    title: "Durable automation",
    body: "Each contact's path runs as a durable function: waits of days or weeks survive restarts and deploys.",
  },
];

export default function LandingPage() {
  return (
    <main>
      <header className="mx-auto flex max-w-5xl items-center justify-between px-6 py-6">
        <span className="text-xl font-bold tracking-tight text-brand-700">Tillit</span>
        <Link href="/sign-in" className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
          Sign in
        </Link>
      </header>
      <section className="mx-auto max-w-5xl px-6 pb-12 pt-16">
        <h1 className="max-w-3xl text-4xl font-bold tracking-tight sm:text-5xl">
          Marketing automation for people who asked to hear from you.
        </h1>
        <p className="mt-6 max-w-2xl text-lg text-slate-600">
          Tillit is an open-source, permission-first marketing-automation tool. Collect opt-ins you can prove, draw
          automation flows that react to what contacts do, and send email people expect — then see what it earned.
        </p>
        <div className="mt-8 flex gap-3">
          <Link href="/sign-in" className="rounded-md bg-brand-600 px-5 py-3 font-medium text-white hover:bg-brand-700">
            Sign in to your workspace
          </Link>
        </div>
      </section>
      <section className="mx-auto grid max-w-5xl gap-6 px-6 pb-24 sm:grid-cols-2">
        {pillars.map((p) => (
          <article key={p.title} className="rounded-xl border border-slate-200 bg-white p-6">
            <h2 className="font-semibold">{p.title}</h2>
            <p className="mt-2 text-sm text-slate-600">{p.body}</p>
          </article>
        ))}
      </section>
    </main>
  );
}
