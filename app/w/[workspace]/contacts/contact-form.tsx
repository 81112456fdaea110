import type { AttributeValue } from "@/db/schema/contacts";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import type { FormAction } from "@/lib/server/auth/action";
import { attributeTypes, typeOf } from "./attributes";

/** The create/edit form of a contact: names, time zone and typed attributes. */
export function ContactForm(props: {
  workspace: string;
  action: FormAction;
  contact?: { id: string; email: string; firstName: string | null; lastName: string | null; timeZone: string | null; attributes: Record<string, AttributeValue> };
  disabled?: boolean;
  submitLabel: string;
}) {
  const c = props.contact;
  const rows = [...Object.entries(c?.attributes ?? {}), ["", ""] as [string, AttributeValue], ["", ""] as [string, AttributeValue]];
  const zones = ["", "UTC", ...Intl.supportedValuesOf("timeZone")];
  return (
    <ActionForm action={props.action} workspace={props.workspace} className="max-w-2xl space-y-4" testId="contact-form">
      <fieldset disabled={props.disabled} className="space-y-4">
        {c ? <input type="hidden" name="contactId" value={c.id} /> : null}
        <div>
          <label htmlFor="email" className={label}>Email</label>
          {c ? (
            <p id="email" className="mt-1 text-sm text-slate-700">{c.email}</p>
          ) : (
            <input id="email" name="email" type="email" required className={input} />
          )}
        </div>
        <div className="grid grid-cols-2 gap-4">
          <div>
            <label htmlFor="firstName" className={label}>First name</label>
            <input id="firstName" name="firstName" defaultValue={c?.firstName ?? ""} className={input} />
          </div>
          <div>
            <label htmlFor="lastName" className={label}>Last name</label>
            <input id="lastName" name="lastName" defaultValue={c?.lastName ?? ""} className={input} />
          </div>
        </div>
        <div>
          <label htmlFor="timeZone" className={label}>Time zone</label>
          <select id="timeZone" name="timeZone" defaultValue={c?.timeZone ?? ""} className={input}>
            {zones.map((z) => (
              <option key={z} value={z}>{z === "" ? "Workspace default" : z}</option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend className={label}>Attributes</legend>
          <div className="mt-1 space-y-2">
            {rows.map(([name, value], i) => (
              <div key={i} className="grid grid-cols-[1fr_8rem_1fr] gap-2">
                <input name={`attr_name_${i}`} defaultValue={name} aria-label={`Attribute ${i + 1} name`} placeholder="plan_tier" className={input} />
                <select name={`attr_type_${i}`} defaultValue={name ? typeOf(value) : "string"} aria-label={`Attribute ${i + 1} type`} className={input}>
                  {attributeTypes.map((t) => (
                    <option key={t} value={t}>{t}</option>
                  ))}
                </select>
                <input name={`attr_value_${i}`} defaultValue={name ? String(value) : ""} aria-label={`Attribute ${i + 1} value`} className={input} />
              </div>
            ))}
          </div>
        </fieldset>
        {props.disabled ? null : <button type="submit" className={button}>{props.submitLabel}</button>}
      </fieldset>
    </ActionForm>
  );
}
