import { getDb } from "@/db/client";
import { consentLedger } from "@/db/queries/consent";
import { ActionForm } from "@/app/_components/action-form";
import { input, secondaryButton } from "@/app/_components/styles";
import { ConfirmSubmit } from "@/app/_components/ui/alert-dialog";
import { eraseContactAction } from "./gdpr-actions";

const fmt = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19);
const kindLabel = { opt_in: "Signup (opt-in)", confirmed: "Confirmation", withdrawn: "Withdrawal", complaint: "Spam complaint", erased: "Erasure" } as const;
const kindStyle = {
  opt_in: "border-l-sky-400",
  confirmed: "border-l-emerald-500",
  withdrawn: "border-l-amber-500",
  complaint: "border-l-red-500",
  erased: "border-l-slate-500",
} as const;

/** The consent ledger of one contact, newest first, with what proves each entry. */
export async function ConsentHistory(props: { workspaceId: string; contactId: string }) {
  const ledger = await consentLedger(getDb(), props);
  if (ledger.length === 0) {
    return <p className="mt-2 text-sm text-slate-500" data-testid="consent-empty">No consent recorded: this contact receives no marketing until they opt in.</p>;
  }
  return (
    <ol className="mt-2 space-y-2 text-sm" data-testid="consent-history">
      {ledger.map((c) => {
        const details: [string, string][] = [];
        if (c.email) details.push(["Address", c.email]);
        if (c.formId) details.push(["Form", `${c.formName ?? `${c.formId.slice(0, 8)}… (deleted)`}, wording version ${c.formVersion ?? "?"}`]);
        if (c.ip) details.push(["IP", c.ip]);
        if (c.userAgent) details.push(["Browser", c.userAgent]);
        if (typeof c.data.double_opt_in === "boolean") details.push(["Double opt-in", c.data.double_opt_in ? "yes" : "no"]);
        if (typeof c.data.opt_in_event_id === "string") details.push(["Confirms", `signup ${c.data.opt_in_event_id.slice(0, 8)}…`]);
        if (typeof c.data.message_id === "string") details.push(["From message", `${c.data.message_id.slice(0, 8)}…`]);
        if (typeof c.data.page === "string") details.push(["Page", c.data.page]);
        if (typeof c.data.source_description === "string") details.push(["Stated source", c.data.source_description]);
        return (
          <li key={c.id} id={`consent-${c.id}`} className={`rounded border border-l-4 border-slate-200 bg-white p-2 ${kindStyle[c.kind]}`} data-testid={`consent-${c.kind}`}>
            <div className="flex flex-wrap items-baseline gap-x-2">
              <span className="font-medium">{kindLabel[c.kind]}</span>
              {c.topic ? <span className="rounded bg-slate-100 px-1.5 text-xs">topic: {c.topic}</span> : <span className="text-xs text-slate-500">whole list</span>}
              <span className="text-slate-600">· {c.source.replace(/_/g, " ")} · {fmt(c.occurredAt)} UTC</span>
            </div>
            {c.wording ? <p className="mt-1 text-slate-600">“{c.wording}”</p> : null}
            {details.length ? (
              <dl className="mt-1 grid grid-cols-[7rem_1fr] gap-x-2 text-xs text-slate-600">
                {details.map(([k, v]) => (
                  <div key={k} className="contents">
                    <dt className="text-slate-400">{k}</dt>
                    <dd className="break-all">{v}</dd>
                  </div>
                ))}
              </dl>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/** Export and erase (data-subject requests), for roles that may. */
export function GdprPanel(props: { workspace: string; contactId: string; erased: boolean; canExport: boolean; canErase: boolean }) {
  if (!props.canExport && !props.canErase) return null;
  return (
    <section className="mt-8 rounded border border-slate-200 bg-white p-4" data-testid="gdpr-panel">
      <h2 className="text-base font-semibold">Data requests</h2>
      <p className="mt-1 text-xs text-slate-500">Export everything held about this person, or erase their personal data (the consent ledger keeps only its skeleton).</p>
      <div className="mt-3 flex flex-wrap items-start gap-4">
        {props.canExport ? (
          <a href={`/w/${props.workspace}/contacts/${props.contactId}/export`} className={secondaryButton} download>
            Export data (JSON)
          </a>
        ) : null}
        {props.canErase && !props.erased ? (
          <ActionForm action={eraseContactAction} workspace={props.workspace} className="flex items-center gap-2" testId="erase-form">
            <input type="hidden" name="contactId" value={props.contactId} />
            <input name="confirm" aria-label="Type the email address to confirm" placeholder="type the address to confirm" className={`${input} mt-0 w-56`} />
            <ConfirmSubmit
              title="Erase this person’s personal data?"
              description="Their email address, name and other personal data are deleted; the address is kept only as a hash so it is not re-added, and the consent ledger keeps only its skeleton. This cannot be undone."
              confirm="Erase personal data"
            >
              Erase personal data
            </ConfirmSubmit>
          </ActionForm>
        ) : null}
      </div>
    </section>
  );
}
