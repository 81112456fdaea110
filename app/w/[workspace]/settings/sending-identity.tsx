import { input, label } from "@/app/_components/styles";

export type SendingIdentity = { fromName: string | null; fromEmail: string | null; replyTo: string | null; postalAddress: string | null };

/**
 * The sending identity's fields (from name and address, reply-to, postal address), the same on
 * the General and Sending settings pages; each page's form posts them with its own action.
 */
export function SendingIdentityFields(props: { identity: SendingIdentity; className?: string }) {
  const ws = props.identity;
  return (
    <section className={props.className ?? "space-y-4"} aria-labelledby="sending-identity">
      <div>
        <h2 id="sending-identity" className="text-base font-semibold">Sending identity</h2>
        <p className="mt-1 text-xs text-slate-500">
          Who your mail comes from, for every template and flow. Replies go to the reply-to address when you set one, otherwise to the from address.
        </p>
      </div>
      <div className="grid grid-cols-2 gap-4">
        <div>
          <label htmlFor="fromName" className={label}>From name</label>
          <input id="fromName" name="fromName" defaultValue={ws.fromName ?? ""} className={input} placeholder="Acme Outdoor" />
        </div>
        <div>
          <label htmlFor="fromEmail" className={label}>From address</label>
          <input id="fromEmail" name="fromEmail" type="email" defaultValue={ws.fromEmail ?? ""} className={input} placeholder="news@acme.com" />
        </div>
      </div>
      <div>
        <label htmlFor="replyTo" className={label}>Reply-to address</label>
        <input id="replyTo" name="replyTo" type="email" defaultValue={ws.replyTo ?? ""} className={input} />
      </div>
      <div>
        <label htmlFor="postalAddress" className={label}>Postal address</label>
        <textarea id="postalAddress" name="postalAddress" rows={3} defaultValue={ws.postalAddress ?? ""} className={input} />
        <p className="mt-1 text-xs text-slate-500">
          Printed in the footer of every marketing message, beside the unsubscribe link. Marketing mail is not sent without one (CAN-SPAM).
        </p>
      </div>
    </section>
  );
}
